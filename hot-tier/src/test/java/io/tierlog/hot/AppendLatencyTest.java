package io.tierlog.hot;

import io.tierlog.core.TopicPartition;
import io.tierlog.hot.testing.TempLogDir;
import io.tierlog.hot.testing.TestBatches;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A rough wall-clock figure for appends of 100-record batches (fsync NEVER) until the JMH suite exists. Run with
 * {@code -Dtest.groups.excluded= -Dtest=AppendLatencyTest}; prints the mean per append.
 */
@Tag("benchmark")
class AppendLatencyTest {
    @Test
    void appendOf100RecordBatch() {
        Random rnd = new Random(1);
        long[] ts = new long[100];
        for (int i = 0; i < ts.length; i++) {
            ts[i] = 1_700_000_000_000L + i;
        }
        ByteBuffer template = TestBatches.batch(rnd, ts);
        ByteBuffer batch = ByteBuffer.allocate(template.remaining()).put(template.duplicate()).flip();
        try (TempLogDir tmp = new TempLogDir()) {
            PartitionLog log = tmp.open(new TopicPartition("bench", 0), LogConfig.DEFAULTS);
            int warmup = 20_000;
            int measured = 100_000;
            for (int i = 0; i < warmup; i++) {
                log.append(batch);
            }
            long start = System.nanoTime();
            for (int i = 0; i < measured; i++) {
                log.append(batch);
            }
            long nanos = System.nanoTime() - start;
            System.out.printf("append of a %d-byte, 100-record batch: %.2f us mean over %d appends (%.0f MB/s)%n",
                    batch.remaining(), nanos / 1000.0 / measured, measured,
                    (double) batch.remaining() * measured / (nanos / 1e9) / 1e6);
            assertThat(log.logEndOffset()).isEqualTo(100L * (warmup + measured));
            log.advanceHighWatermark(log.logEndOffset());

            // sequential 1 MiB reads over the whole log (page cache), then random 4 KiB reads
            long bytes = 0;
            start = System.nanoTime();
            for (long next = 0; next < log.highWatermark(); ) {
                FetchData f = log.read(next, 1 << 20);
                bytes += f.batches().remaining();
                next += (long) (f.batches().remaining() / batch.remaining()) * 100;
            }
            nanos = System.nanoTime() - start;
            System.out.printf("sequential 1 MiB reads: %.0f MB/s%n", bytes / (nanos / 1e9) / 1e6);
            int reads = 100_000;
            start = System.nanoTime();
            for (int i = 0; i < reads; i++) {
                log.read(rnd.nextLong(log.highWatermark()), 4096);
            }
            nanos = System.nanoTime() - start;
            System.out.printf("random 4 KiB reads: %.2f us mean over %d reads%n", nanos / 1000.0 / reads, reads);
        }
    }
}
