package io.tierlog.loadtest.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The harness's bookkeeping without a server: at a fixed rate, failed sends, records due but never sent (the
 * producer stalled) and records never consumed all land in the latencies at the ceiling and are counted apart.
 */
class RunAccountingTest {
    @TempDir
    Path outDir;

    /** Every 10th send fails; send number {@code stallAt} blocks until the stop (a full buffer), then fails. */
    private static final class ScriptedRun extends Run {
        private final long stallAt;
        private final int dropEvery;
        private final BlockingQueue<Long> wire = new LinkedBlockingQueue<>();

        ScriptedRun(Workload w, Path outDir, long stallAt, int dropEvery) {
            super("scripted", w, new PrintWriter(new StringWriter()), outDir);
            this.stallAt = stallAt;
            this.dropEvery = dropEvery;
            this.drainTimeout = Duration.ofMillis(300);
        }

        @Override
        void setUp() {
        }

        @Override
        ProducerLoop producerLoop(int index) {
            return (seq, intendedNanos) -> {
                if (seq == stallAt) {
                    while (!stopProducers) {
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                    }
                    acked(new IOException("buffer full"), intendedNanos, 10);
                } else if (seq % 10 == 9) {
                    acked(new IOException("refused"), intendedNanos, 10);
                } else {
                    acked(null, intendedNanos, 10);
                    if (dropEvery == 0 || seq % dropEvery != 0) {
                        wire.add(wallMicros(intendedNanos));
                    }
                }
            };
        }

        @Override
        Runnable consumerLoop() {
            return () -> {
                try {
                    while (!stopConsumer) {
                        Long stamp = wire.poll(10, TimeUnit.MILLISECONDS);
                        if (stamp != null) {
                            consumed(stamp);
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            };
        }

        @Override
        void query() {
        }

        @Override
        long failedSends() {
            return 0;
        }

        @Override
        void closeProducers() {
        }

        @Override
        void tearDown() {
        }
    }

    private static Workload oneSecondAt1000PerSecond() {
        return new Workload("t", 1, 1, 1000, 1, 1024, 1024, 0, "none", Duration.ofSeconds(1), Duration.ZERO, true, 0,
                1, 1024, 1);
    }

    private static long atCeiling(Histogram h) {
        return h.getCountBetweenValues(h.lowestEquivalentValue(Latencies.MAX_MICROS), Latencies.MAX_MICROS);
    }

    @Test
    void failedAndNeverSentRecordsCountAtTheCeilingInBothLatencies() throws Exception {
        ScriptedRun run = new ScriptedRun(oneSecondAt1000PerSecond(), outDir, 100, 0);
        run.stopGrace = Duration.ZERO; // the stalled producer gets no chance to catch up
        RunResult r = run.execute();

        assertThat(r.failedRecords()).isEqualTo(11); // seq 9, 19, ..., 99 and the stalled 100
        // the stall began ~100 ms into a 1 s window: ~900 records were due and never sent (more if the stop is late)
        assertThat(r.unsentRecords()).isBetween(700L, 5000L);
        assertThat(r.ackedRecords()).isEqualTo(90);
        assertThat(atCeiling(r.ack())).isEqualTo(r.failedRecords() + r.unsentRecords());
        assertThat(r.ack().getTotalCount()).isEqualTo(90 + r.failedRecords() + r.unsentRecords());
        assertThat(atCeiling(r.e2e())).isEqualTo(r.failedRecords() + r.unsentRecords());
        assertThat(r.e2e().getTotalCount()).isEqualTo(90 + r.failedRecords() + r.unsentRecords());
        assertThat(r.undelivered()).isZero();
        assertThat(r.format()).contains("11 failed", "due but never sent", "at the ceiling");
    }

    @Test
    void acknowledgedRecordsNeverConsumedCountAtTheCeilingOfTheEndToEndLatency() throws Exception {
        RunResult r = new ScriptedRun(oneSecondAt1000PerSecond(), outDir, Long.MAX_VALUE, 4).execute();

        assertThat(r.undelivered()).isPositive(); // every 4th acknowledged record never reaches the consumer
        assertThat(atCeiling(r.e2e())).isEqualTo(r.failedRecords() + r.unsentRecords() + r.undelivered());
        assertThat(atCeiling(r.ack())).isEqualTo(r.failedRecords() + r.unsentRecords());
        // at the intended send time: a 1 ms pacer and an in-memory wire leave the median far below a second
        assertThat(r.e2e().getValueAtPercentile(50)).isLessThan(TimeUnit.SECONDS.toMicros(1));
    }
}
