package io.tierlog.loadtest.jmh;

import io.tierlog.core.BatchBuilder;
import io.tierlog.core.Compression;
import io.tierlog.core.Limits;
import io.tierlog.core.MetricCodec;
import io.tierlog.core.MetricEvent;
import io.tierlog.core.Record;
import io.tierlog.core.RecordBatch;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Batch codec cost per record, 100-record metric batches: encode (from MetricEvents, with validation and
 * series-key rendering; and from ready key/value bytes) and decode (to Records; to MetricEvents).
 * Scores are records per second (ops = records).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(CodecBenchmark.RECORDS)
public class CodecBenchmark {
    static final int RECORDS = 100;

    @Param({"NONE", "LZ4", "ZSTD"})
    public Compression compression;

    private List<MetricEvent> events;
    private byte[][] keys;
    private byte[][] values;
    private long[] timestamps;
    private ByteBuffer encoded;
    private final Limits limits = Limits.DEFAULTS;

    @Setup
    public void setup() {
        events = BenchData.events(RECORDS, 0);
        keys = new byte[RECORDS][];
        values = new byte[RECORDS][];
        timestamps = new long[RECORDS];
        for (int i = 0; i < RECORDS; i++) {
            MetricEvent e = events.get(i);
            keys[i] = e.seriesKey().toBytes();
            values[i] = MetricCodec.encodeValue(e.value(), e.type());
            timestamps[i] = e.timestamp();
        }
        encoded = MetricCodec.encode(events, compression, limits).buffer();
    }

    @Benchmark
    public RecordBatch encodeEvents() {
        return MetricCodec.encode(events, compression, limits);
    }

    @Benchmark
    public RecordBatch encodeRecords() {
        BatchBuilder b = new BatchBuilder(compression);
        for (int i = 0; i < RECORDS; i++) {
            b.add(timestamps[i], keys[i], values[i]);
        }
        return b.build();
    }

    @Benchmark
    public void decodeRecords(Blackhole bh) {
        RecordBatch.wrap(encoded).forEach(bh::consume);
    }

    @Benchmark
    public void decodeMetricEvents(Blackhole bh) {
        RecordBatch.wrap(encoded).forEach((Record r) -> bh.consume(MetricCodec.decode(r)));
    }

    @Benchmark
    public void validate() {
        RecordBatch.wrap(encoded).validate();
    }
}
