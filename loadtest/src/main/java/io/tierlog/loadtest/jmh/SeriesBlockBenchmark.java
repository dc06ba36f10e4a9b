package io.tierlog.loadtest.jmh;

import io.tierlog.cold.series.SeriesBlockReader;
import io.tierlog.cold.series.SeriesBlockWriter;
import io.tierlog.core.MetricCodec;
import io.tierlog.core.Record;
import io.tierlog.loadtest.cold.MetricsMix;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What a series block costs the CPU per sample: writing one (the offload's encoding of a closed segment), reading
 * every record back (a replay), and a selective read of one metric's series (a PromQL selector). One segment of the
 * {@link MetricsMix} workload, 1000 series x 360 scrapes, regular or with 25 ms of jitter. Scores are nanoseconds per
 * sample of the segment (ops = samples).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@OperationsPerInvocation(SeriesBlockBenchmark.SAMPLES)
public class SeriesBlockBenchmark {
    static final int TARGETS = 50;
    static final int SCRAPES = 360;
    static final int SAMPLES = TARGETS * MetricsMix.SERIES_PER_TARGET * SCRAPES;

    @Param({"0", "25"})
    public int jitterMs;

    private List<Record> records;
    private byte[] block;

    @Setup
    public void setup() {
        MetricsMix mix = new MetricsMix(TARGETS, 1_764_000_000_000L, SCRAPES, 10_000, jitterMs, 42);
        List<MetricsMix.Series> series = mix.series();
        byte[][] keys = new byte[series.size()][];
        for (int s = 0; s < keys.length; s++) {
            keys[s] = series.get(s).key();
        }
        records = new ArrayList<>(SAMPLES);
        long[] offset = {0};
        try {
            mix.forEach((s, ts, v) -> records.add(new Record(offset[0]++, ts, keys[s], MetricCodec.encodeValue(v, series.get(s).type()))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        block = SeriesBlockWriter.write(records);
    }

    @Benchmark
    public byte[] write() {
        return SeriesBlockWriter.write(records);
    }

    /** The same block without rollups (version 2): the difference to {@link #write} is what the hour rollups cost. */
    @Benchmark
    public byte[] writeWithoutRollups() {
        SeriesBlockWriter.Builder b = SeriesBlockWriter.builder(SeriesBlockWriter.ROW_GROUP_RECORDS, new long[0]);
        records.forEach(b::add);
        return b.finish();
    }

    @Benchmark
    public List<Record> readAll() {
        return SeriesBlockReader.open(this::range, block.length).read(0, Integer.MAX_VALUE);
    }

    @Benchmark
    public List<SeriesBlockReader.SeriesSamples> selectOneMetric() {
        return SeriesBlockReader.open(this::range, block.length)
                .select(Map.of(SeriesBlockReader.NAME_LABEL, "process_cpu_seconds_total", "job", "svc-3"), Long.MIN_VALUE, Long.MAX_VALUE);
    }

    private byte[] range(long position, int length) {
        return Arrays.copyOfRange(block, (int) position, (int) position + length);
    }
}
