package io.tierlog.ingest;

import io.tierlog.core.BatchBuilder;
import io.tierlog.core.Compression;
import io.tierlog.core.Record;
import io.tierlog.core.TopicPartition;
import io.tierlog.core.RecordBatch;
import io.tierlog.hot.FetchData;
import io.tierlog.hot.LogConfig;
import io.tierlog.hot.LogManager;
import io.tierlog.hot.PartitionLog;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Helpers shared by the ingest tests: batches that say who published them, and a log registry. */
final class TestData {
    static final long BASE_TS = 1_732_470_000_000L;

    private TestData() {
    }

    /** One batch of {@code count} records keyed by publisher, values = consecutive sequence numbers. */
    static ByteBuffer batch(int publisher, long firstSeq, int count) {
        BatchBuilder b = new BatchBuilder(Compression.NONE);
        byte[] key = ("p" + publisher).getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < count; i++) {
            b.add(BASE_TS + firstSeq + i, key, ByteBuffer.allocate(8).putLong(firstSeq + i).array());
        }
        return b.build().buffer();
    }

    static int publisherOf(Record r) {
        return Integer.parseInt(new String(r.key(), StandardCharsets.UTF_8).substring(1));
    }

    static long seqOf(Record r) {
        return ByteBuffer.wrap(r.value()).getLong();
    }

    /** Every record below the high watermark, in offset order. */
    static List<Record> readAll(PartitionLog log) {
        List<Record> out = new ArrayList<>();
        long offset = log.logStartOffset();
        while (offset < log.highWatermark()) {
            FetchData d = log.read(offset, 1 << 20);
            if (d.isEmpty()) {
                break;
            }
            for (RecordBatch rb : RecordBatch.iterate(d.batches())) {
                for (Record r : rb.records()) {
                    if (r.offset() >= offset) {
                        out.add(r);
                        offset = r.offset() + 1;
                    }
                }
            }
        }
        return out;
    }

    /** Opens one log per partition on first use (the pipeline's log function). */
    static final class Logs implements Function<TopicPartition, PartitionLog> {
        final Map<TopicPartition, PartitionLog> logs = new ConcurrentHashMap<>();
        private final Function<TopicPartition, PartitionLog> factory;

        Logs(Function<TopicPartition, PartitionLog> factory) {
            this.factory = factory;
        }

        static Logs onDisk(LogManager manager, LogConfig config) {
            return new Logs(tp -> manager.open(tp, config));
        }

        @Override
        public PartitionLog apply(TopicPartition tp) {
            return logs.computeIfAbsent(tp, factory);
        }
    }

    /** Names of the live threads a pipeline starts. */
    static Set<String> ingestThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.startsWith("tierlog-ingest-")).collect(Collectors.toSet());
    }
}
