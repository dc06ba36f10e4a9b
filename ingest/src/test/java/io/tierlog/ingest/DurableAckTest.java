package io.tierlog.ingest;

import io.tierlog.hot.testing.DelegatingLog;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.FsyncPolicy;
import io.tierlog.hot.LogConfig;
import io.tierlog.hot.PartitionLog;
import io.tierlog.hot.LogManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.tierlog.ingest.TestData.batch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A durable acknowledgement never completes before an fsync that covers it. */
class DurableAckTest {
    private static final TopicPartition P0 = new TopicPartition("cpu", 0);
    @TempDir
    Path dir;
    private LogManager manager;

    @BeforeEach
    void openLogs() {
        manager = new LogManager(dir);
    }

    @AfterEach
    void closeLogs() {
        manager.close();
    }

    /** Counts flushes and lets a test hold one open. */
    static final class ObservedLog extends DelegatingLog {
        final AtomicInteger flushes = new AtomicInteger();
        volatile CountDownLatch flushEntered;
        volatile CountDownLatch flushRelease;

        ObservedLog(PartitionLog delegate) {
            super(delegate);
        }

        @Override
        public void flush() {
            CountDownLatch entered = flushEntered;
            CountDownLatch release = flushRelease;
            if (entered != null) {
                entered.countDown();
                IngestPipelineTest.await(release);
            }
            super.flush();
            flushes.incrementAndGet();
        }

        @Override
        public boolean maybeFlush(long nowMs) {
            boolean flushed = super.maybeFlush(nowMs);
            if (flushed) {
                flushes.incrementAndGet();
            }
            return flushed;
        }
    }

    private static IngestConfig config() {
        return IngestConfig.defaults().withShards(2).withRingSize(256).withPublishTimeout(Duration.ofSeconds(5))
                .withFlushTick(Duration.ofMillis(5));
    }

    @Test
    void durableAckWaitsForTheFsyncEvenWhenTheLogNeverFsyncsOnItsOwn() throws Exception {
        ObservedLog log = new ObservedLog(manager.open(P0, LogConfig.DEFAULTS));
        try (IngestPipeline p = new IngestPipeline(config(), tp -> log, new SimpleMeterRegistry())) {
            log.flushEntered = new CountDownLatch(1);
            log.flushRelease = new CountDownLatch(1);
            CompletableFuture<AppendAck> durable = p.append(P0, batch(0, 0, 3), Acks.DURABLE);
            assertThat(log.flushEntered.await(5, TimeUnit.SECONDS)).isTrue();
            // data is appended and visible, the fsync is in progress: the ack must not be out yet
            await().atMost(Duration.ofSeconds(5)).until(() -> log.highWatermark() == 3);
            assertThat(durable).isNotDone();
            assertThat(log.flushedOffset()).isZero();
            log.flushEntered = null;
            log.flushRelease.countDown();
            assertThat(durable.get(5, TimeUnit.SECONDS)).isEqualTo(new AppendAck(P0, 0, 3));
            assertThat(log.flushedOffset()).isGreaterThanOrEqualTo(3);
        }
    }

    /**
     * The fsync runs on the shard's flusher, not on the writer: while one is in progress the writer keeps appending
     * and acknowledging leader publishes of the same partition, and the next fsync covers what came meanwhile.
     */
    @Test
    void appendsAndLeaderAcksGoOnWhileAnFsyncIsInProgress() throws Exception {
        ObservedLog log = new ObservedLog(manager.open(P0, LogConfig.DEFAULTS));
        try (IngestPipeline p = new IngestPipeline(config(), tp -> log, new SimpleMeterRegistry())) {
            log.flushEntered = new CountDownLatch(1);
            log.flushRelease = new CountDownLatch(1);
            CompletableFuture<AppendAck> durable = p.append(P0, batch(0, 0, 3), Acks.DURABLE);
            assertThat(log.flushEntered.await(5, TimeUnit.SECONDS)).isTrue();
            for (int i = 1; i <= 20; i++) {
                assertThat(p.append(P0, batch(0, 10L * i, 2), Acks.LEADER).get(5, TimeUnit.SECONDS))
                        .as("leader publish %d during the fsync", i).isEqualTo(new AppendAck(P0, 1L + 2L * i, 2));
            }
            CompletableFuture<AppendAck> laterDurable = p.append(P0, batch(0, 1000, 1), Acks.DURABLE);
            assertThat(durable).isNotDone();
            log.flushEntered = null;
            log.flushRelease.countDown();
            assertThat(durable.get(5, TimeUnit.SECONDS)).isEqualTo(new AppendAck(P0, 0, 3));
            assertThat(laterDurable.get(5, TimeUnit.SECONDS)).isEqualTo(new AppendAck(P0, 43, 1));
            assertThat(log.flushedOffset()).isGreaterThanOrEqualTo(44);
        }
    }

    @Test
    void everyDurableAckOfConcurrentPublishersSawItsFsyncFirst() throws Exception {
        TestData.Logs logs = new TestData.Logs(tp -> new ObservedLog(manager.open(tp, LogConfig.DEFAULTS)));
        int threads = 4;
        int perThread = 500;
        List<CompletableFuture<Boolean>> checks = new ArrayList<>();
        try (IngestPipeline p = new IngestPipeline(config(), logs, new SimpleMeterRegistry())) {
            List<Thread> publishers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                List<CompletableFuture<Boolean>> mine = new ArrayList<>();
                Thread th = new Thread(() -> {
                    for (int i = 0; i < perThread; i++) {
                        TopicPartition tp = new TopicPartition("cpu", i % 3);
                        Acks acks = i % 2 == 0 ? Acks.DURABLE : Acks.LEADER;
                        CompletableFuture<AppendAck> f = p.append(tp, batch(id, i, 2), acks);
                        PartitionLog log = logs.apply(tp);
                        // evaluated on the thread that completes the future, at completion time
                        mine.add(f.thenApply(ack -> acks == Acks.LEADER
                                || log.flushedOffset() >= ack.nextOffset()));
                    }
                    synchronized (checks) {
                        checks.addAll(mine);
                    }
                });
                publishers.add(th);
                th.start();
            }
            for (Thread th : publishers) {
                th.join(30_000);
            }
            CompletableFuture.allOf(checks.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        }
        assertThat(checks).hasSize(threads * perThread).allMatch(CompletableFuture::join);
        int flushes = logs.logs.values().stream().mapToInt(l -> ((ObservedLog) l).flushes.get()).sum();
        assertThat(flushes).isPositive();
    }

    @Test
    void intervalFsyncCompletesDurableAcksWhileIdleAndLeaderAcksDoNotWait() throws Exception {
        ObservedLog log = new ObservedLog(manager.open(P0, LogConfig.DEFAULTS.withFsyncPolicy(FsyncPolicy.interval(100))));
        try (IngestPipeline p = new IngestPipeline(config(), tp -> log, new SimpleMeterRegistry())) {
            ConcurrentHashMap<String, Long> flushedAtAck = new ConcurrentHashMap<>();
            long t0 = System.nanoTime();
            CompletableFuture<AppendAck> leader = p.append(P0, batch(0, 0, 1), Acks.LEADER)
                    .whenComplete((a, e) -> flushedAtAck.put("leader", log.flushedOffset()));
            CompletableFuture<AppendAck> durable = p.append(P0, batch(0, 1, 1), Acks.DURABLE)
                    .whenComplete((a, e) -> flushedAtAck.put("durable", log.flushedOffset()));
            assertThat(leader.get(5, TimeUnit.SECONDS)).isEqualTo(new AppendAck(P0, 0, 1));
            // nothing else is published: only the pipeline's timer can bring the interval fsync
            assertThat(durable.get(2, TimeUnit.SECONDS)).isEqualTo(new AppendAck(P0, 1, 1));
            long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(flushedAtAck.get("durable")).isGreaterThanOrEqualTo(2);
            assertThat(flushedAtAck.get("leader")).as("a leader ack does not wait for the interval fsync").isZero();
            assertThat(log.flushes.get()).isEqualTo(1);
            assertThat(elapsedMs).as("the interval flush came within about the interval").isLessThan(1000);
            // and an idle log with unflushed LEADER data gets its interval fsync too
            p.append(P0, batch(0, 2, 1), Acks.LEADER).get(5, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(2)).until(() -> log.flushedOffset() == 3);
        }
    }
}
