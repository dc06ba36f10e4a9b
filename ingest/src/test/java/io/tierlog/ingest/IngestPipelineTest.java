package io.tierlog.ingest;

import io.tierlog.hot.testing.DelegatingLog;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tierlog.core.InvalidInputException;
import io.tierlog.core.MetricCodec;
import io.tierlog.core.MetricEvent;
import io.tierlog.core.Record;
import io.tierlog.core.SeriesKey;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.AppendInfo;
import io.tierlog.hot.FsyncPolicy;
import io.tierlog.hot.LogConfig;
import io.tierlog.hot.LogIOException;
import io.tierlog.hot.PartitionLog;
import io.tierlog.hot.LogManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static io.tierlog.ingest.TestData.batch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class IngestPipelineTest {
    private static final TopicPartition P0 = new TopicPartition("cpu", 0);
    private static final TopicPartition P1 = new TopicPartition("cpu", 1);

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<IngestPipeline> pipelines = new ArrayList<>();
    @TempDir
    Path dir;
    private LogManager manager;

    @BeforeEach
    void openLogs() {
        manager = new LogManager(dir);
    }

    private IngestPipeline start(IngestConfig config, java.util.function.Function<TopicPartition, PartitionLog> logs) {
        IngestPipeline p = new IngestPipeline(config, logs, registry);
        pipelines.add(p);
        return p;
    }

    private static IngestConfig config() {
        return IngestConfig.defaults().withShards(2).withRingSize(64).withPublishTimeout(Duration.ofSeconds(5));
    }

    @AfterEach
    void closeAll() {
        pipelines.forEach(IngestPipeline::close);
        manager.close();
    }

    @Test
    void appendAssignsDenseOffsetsAndRecordsAreReadable() throws Exception {
        TestData.Logs logs = TestData.Logs.onDisk(manager, LogConfig.DEFAULTS);
        IngestPipeline p = start(config(), logs);
        List<TopicPartition> notified = new CopyOnWriteArrayList<>();
        p.addAppendListener((tp, hw) -> notified.add(tp));

        AppendAck a = p.append(P0, batch(1, 0, 3), Acks.LEADER).get(5, TimeUnit.SECONDS);
        AppendAck b = p.append(P0, batch(1, 3, 2), null).get(5, TimeUnit.SECONDS);
        AppendAck c = p.append(P1, batch(2, 0, 4), Acks.LEADER).get(5, TimeUnit.SECONDS);

        assertThat(a).isEqualTo(new AppendAck(P0, 0, 3));
        assertThat(b).isEqualTo(new AppendAck(P0, 3, 2));
        assertThat(c).isEqualTo(new AppendAck(P1, 0, 4));
        PartitionLog log0 = logs.apply(P0);
        assertThat(log0.highWatermark()).isEqualTo(5);
        List<Record> records = TestData.readAll(log0);
        assertThat(records).extracting(Record::offset).containsExactly(0L, 1L, 2L, 3L, 4L);
        assertThat(records).extracting(TestData::seqOf).containsExactly(0L, 1L, 2L, 3L, 4L);
        assertThat(notified).contains(P0, P1);
        assertThat(registry.get("tierlog.ingest.acks").tag("kind", "leader").counter().count()).isEqualTo(3);
        assertThat(registry.get("tierlog.ingest.ring.remaining").tag("shard", "0").gauge().value()).isEqualTo(64);
    }

    @Test
    void concatenatedBatchesInOnePublishGetOneAck() throws Exception {
        TestData.Logs logs = TestData.Logs.onDisk(manager, LogConfig.DEFAULTS);
        IngestPipeline p = start(config(), logs);
        ByteBuffer one = batch(1, 0, 2);
        ByteBuffer two = batch(1, 2, 5);
        ByteBuffer both = ByteBuffer.allocate(one.remaining() + two.remaining()).put(one).put(two).flip();
        assertThat(p.append(P0, both, Acks.LEADER).get(5, TimeUnit.SECONDS)).isEqualTo(new AppendAck(P0, 0, 7));
    }

    @Test
    void badInputIsRejectedWithoutTouchingTheLog() {
        TestData.Logs logs = TestData.Logs.onDisk(manager, LogConfig.DEFAULTS);
        IngestPipeline p = start(config(), logs);
        ByteBuffer truncated = batch(1, 0, 3);
        truncated.limit(truncated.limit() - 1);
        assertThatThrownBy(() -> p.append(P0, truncated, Acks.LEADER).get())
                .hasCauseInstanceOf(InvalidInputException.class).hasMessageContaining("truncated");
        assertThatThrownBy(() -> p.append(P0, ByteBuffer.allocate(0), Acks.LEADER).get())
                .hasCauseInstanceOf(InvalidInputException.class).hasMessageContaining("empty");
        MetricEvent bad = new MetricEvent("1bad name", Map.of(), TestData.BASE_TS, 1.0);
        assertThatThrownBy(() -> p.appendEvents("cpu", 2, List.of(bad), Acks.LEADER).get())
                .hasCauseInstanceOf(InvalidInputException.class);
        assertThat(logs.logs).isEmpty();
    }

    @Test
    void metricEventsArePartitionedBySeriesKeyAndKeepTheirOrder() throws Exception {
        TestData.Logs logs = TestData.Logs.onDisk(manager, LogConfig.DEFAULTS);
        IngestPipeline p = start(config(), logs);
        List<MetricEvent> events = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            events.add(new MetricEvent("cpu.usage", Map.of("host", "h" + (i % 6)), TestData.BASE_TS + i, i));
        }
        List<AppendAck> acks = p.appendEvents("cpu", 4, events, Acks.LEADER).get(5, TimeUnit.SECONDS);

        assertThat(acks).extracting(a -> a.topicPartition().partition()).isSorted().doesNotHaveDuplicates();
        assertThat(acks.stream().mapToInt(AppendAck::count).sum()).isEqualTo(60);
        for (AppendAck ack : acks) {
            List<MetricEvent> stored = TestData.readAll(logs.apply(ack.topicPartition())).stream()
                    .map(MetricCodec::decode).toList();
            List<MetricEvent> expected = events.stream()
                    .filter(e -> SeriesKey.partitionFor(e.seriesKey().toBytes(), 4) == ack.topicPartition().partition())
                    .toList();
            assertThat(stored).containsExactlyElementsOf(expected);
            assertThat(ack.count()).isEqualTo(expected.size());
        }
    }

    @Test
    void consecutivePublishesOfOnePartitionAreCoalescedWithExactOffsets() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<Integer> appendSizes = new CopyOnWriteArrayList<>();
        TestData.Logs logs = new TestData.Logs(tp -> new DelegatingLog(manager.open(tp, LogConfig.DEFAULTS)) {
            @Override
            public AppendInfo append(ByteBuffer batches, long minTimestamp) {
                entered.countDown();
                await(release);
                AppendInfo info = super.append(batches, minTimestamp);
                appendSizes.add(info.recordCount());
                return info;
            }
        });
        IngestPipeline p = start(config().withShards(1), logs);
        CompletableFuture<AppendAck> first = p.append(P0, batch(0, 0, 1), Acks.LEADER);
        assertThat(entered.await(5, TimeUnit.SECONDS)).isTrue();
        List<CompletableFuture<AppendAck>> rest = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            rest.add(p.append(P0, batch(i, 100L * i, i), Acks.LEADER));
        }
        release.countDown();
        assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo(new AppendAck(P0, 0, 1));
        long expectedBase = 1;
        for (int i = 1; i <= 10; i++) {
            assertThat(rest.get(i - 1).get(5, TimeUnit.SECONDS)).isEqualTo(new AppendAck(P0, expectedBase, i));
            expectedBase += i;
        }
        // the ten publishes that queued behind the gate went to the log as one write
        assertThat(appendSizes).containsExactly(1, 55);
        List<Record> records = TestData.readAll(logs.apply(P0));
        for (int i = 1, off = 1; i <= 10; i++) {
            for (int j = 0; j < i; j++, off++) {
                assertThat(TestData.publisherOf(records.get(off))).isEqualTo(i);
                assertThat(TestData.seqOf(records.get(off))).isEqualTo(100L * i + j);
            }
        }
        assertThat(registry.get("tierlog.ingest.write.entries").summary().max()).isEqualTo(10);
    }

    @Test
    void fullRingFailsPublishWithOverloadedAfterTheBoundedWait() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        TestData.Logs logs = new TestData.Logs(tp -> new DelegatingLog(manager.open(tp, LogConfig.DEFAULTS)) {
            @Override
            public AppendInfo append(ByteBuffer batches, long minTimestamp) {
                await(release);
                return super.append(batches, minTimestamp);
            }
        });
        IngestPipeline p = start(config().withShards(1).withRingSize(4).withPublishTimeout(Duration.ofMillis(100)), logs);
        List<CompletableFuture<AppendAck>> accepted = new ArrayList<>();
        CompletableFuture<AppendAck> rejected = null;
        long rejectedAfterNanos = 0;
        for (int i = 0; i < 10 && rejected == null; i++) {
            long t0 = System.nanoTime();
            CompletableFuture<AppendAck> f = p.append(P0, batch(0, i, 1), Acks.LEADER);
            if (f.isCompletedExceptionally()) {
                rejected = f;
                rejectedAfterNanos = System.nanoTime() - t0;
            } else {
                accepted.add(f);
            }
        }
        assertThat(rejected).as("a publish into a full ring is rejected").isNotNull();
        assertThatThrownBy(rejected::get).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(OverloadedException.class).hasMessageContaining("ring full");
        assertThat(rejectedAfterNanos).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(100));
        // ring of 4 + the one the blocked writer holds
        assertThat(accepted).hasSizeBetween(4, 5);
        assertThat(registry.get("tierlog.ingest.rejects").tag("reason", "overloaded").counter().count()).isEqualTo(1);
        release.countDown();
        CompletableFuture.allOf(accepted.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
        assertThat(logs.apply(P0).highWatermark()).isEqualTo(accepted.size());
    }

    @Test
    void appendFailureFailsOnlyThatPartitionAndTheLogStaysReadable() throws Exception {
        AtomicBoolean failing = new AtomicBoolean();
        TestData.Logs logs = new TestData.Logs(tp -> new DelegatingLog(manager.open(tp, LogConfig.DEFAULTS)) {
            @Override
            public AppendInfo append(ByteBuffer batches, long minTimestamp) {
                if (failing.get() && tp.equals(P1)) {
                    throw new LogIOException("No space left on device (simulated) in " + tp, null);
                }
                return super.append(batches, minTimestamp);
            }
        });
        IngestPipeline p = start(config().withShards(1), logs);
        p.append(P1, batch(1, 0, 5), Acks.LEADER).get(5, TimeUnit.SECONDS);
        failing.set(true);
        List<CompletableFuture<AppendAck>> p0 = new ArrayList<>();
        List<CompletableFuture<AppendAck>> p1 = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            p0.add(p.append(P0, batch(0, i, 1), Acks.LEADER));
            p1.add(p.append(P1, batch(1, 5 + i, 1), i % 2 == 0 ? Acks.LEADER : Acks.DURABLE));
        }
        for (int i = 0; i < 20; i++) {
            assertThat(p0.get(i).get(5, TimeUnit.SECONDS)).isEqualTo(new AppendAck(P0, i, 1));
            CompletableFuture<AppendAck> f = p1.get(i);
            assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(LogIOException.class)
                    .hasMessageContaining("No space left").hasMessageContaining("cpu-1");
        }
        PartitionLog log1 = logs.apply(P1);
        assertThat(TestData.readAll(log1)).extracting(TestData::seqOf).containsExactly(0L, 1L, 2L, 3L, 4L);
        failing.set(false);
        assertThat(p.append(P1, batch(1, 5, 1), Acks.DURABLE).get(5, TimeUnit.SECONDS)).isEqualTo(new AppendAck(P1, 5, 1));
        assertThat(registry.get("tierlog.ingest.failures").counter().count()).isEqualTo(20);
    }

    @Test
    void failingFsyncFailsDurableAcksButNotLeaderAcks() throws Exception {
        TestData.Logs logs = new TestData.Logs(tp -> new DelegatingLog(manager.open(tp, LogConfig.DEFAULTS)) {
            @Override
            public void flush() {
                throw new LogIOException("fsync failed: Input/output error (simulated)", null);
            }
        });
        IngestPipeline p = start(config(), logs);
        CompletableFuture<AppendAck> durable = p.append(P0, batch(0, 0, 2), Acks.DURABLE);
        assertThatThrownBy(() -> durable.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(LogIOException.class)
                .hasMessageContaining("fsync of cpu-0 failed").hasMessageContaining("Input/output error");
        assertThat(p.append(P0, batch(0, 2, 1), Acks.LEADER).get(5, TimeUnit.SECONDS)).isEqualTo(new AppendAck(P0, 2, 1));
    }

    @Test
    void logThatCannotBeOpenedFailsItsPublishes() {
        IngestPipeline p = start(config(), tp -> {
            throw new IllegalStateException("topic deleted");
        });
        assertThatThrownBy(() -> p.append(P0, batch(0, 0, 1), Acks.LEADER).get(5, TimeUnit.SECONDS))
                .hasCauseInstanceOf(LogIOException.class).hasMessageContaining("cpu-0").hasMessageContaining("topic deleted");
    }

    @Test
    void publishingAfterCloseFailsFastAndThreadsEnd() throws Exception {
        java.util.Set<String> before = TestData.ingestThreads();
        TestData.Logs logs = TestData.Logs.onDisk(manager, LogConfig.DEFAULTS);
        IngestPipeline p = new IngestPipeline(config().withShards(3), logs, registry);
        assertThat(TestData.ingestThreads()).hasSize(before.size() + 7); // 3 writers, 3 flushers, the ticker
        p.append(P0, batch(0, 0, 1), Acks.DURABLE).get(5, TimeUnit.SECONDS);
        p.close();
        assertThat(TestData.ingestThreads()).isEqualTo(before);
        long t0 = System.nanoTime();
        CompletableFuture<AppendAck> late = p.append(P0, batch(0, 1, 1), Acks.LEADER);
        assertThat(System.nanoTime() - t0).isLessThan(TimeUnit.MILLISECONDS.toNanos(50));
        assertThatThrownBy(late::get).hasCauseInstanceOf(IngestClosedException.class);
        assertThat(registry.find("tierlog.ingest.ring.remaining").gauges()).isEmpty();
        p.close(); // idempotent
    }

    @Test
    void closeDrainsTheRingAndFlushes() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        TestData.Logs logs = new TestData.Logs(tp -> new DelegatingLog(manager.open(tp, LogConfig.DEFAULTS
                .withFsyncPolicy(FsyncPolicy.interval(60_000)))) {
            @Override
            public AppendInfo append(ByteBuffer batches, long minTimestamp) {
                await(release);
                return super.append(batches, minTimestamp);
            }
        });
        IngestPipeline p = start(config().withShards(1), logs);
        List<CompletableFuture<AppendAck>> futures = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            futures.add(p.append(i % 2 == 0 ? P0 : P1, batch(0, i, 1), i % 3 == 0 ? Acks.DURABLE : Acks.LEADER));
        }
        Thread closer = new Thread(p::close);
        closer.start();
        release.countDown();
        closer.join(10_000);
        assertThat(closer.isAlive()).isFalse();
        for (CompletableFuture<AppendAck> f : futures) {
            assertThat(f).isCompleted();
            assertThat(f.get().count()).isEqualTo(1);
        }
        // the one-minute interval never came, but a clean shutdown fsyncs what it acknowledged
        assertThat(logs.apply(P0).flushedOffset()).isEqualTo(15);
        assertThat(logs.apply(P1).flushedOffset()).isEqualTo(15);
    }

    @Test
    void forgottenTopicGetsItsLogFromTheLogFunctionAgain() throws Exception {
        AtomicInteger opened = new AtomicInteger();
        IngestPipeline p = start(config(), tp -> {
            opened.incrementAndGet();
            return manager.open(tp, LogConfig.DEFAULTS);
        });
        p.append(P0, batch(0, 0, 2), Acks.LEADER).get(5, TimeUnit.SECONDS);
        p.append(P0, batch(0, 2, 1), Acks.LEADER).get(5, TimeUnit.SECONDS);
        assertThat(opened.get()).isEqualTo(1);
        p.forgetTopic("cpu").get(5, TimeUnit.SECONDS);
        manager.deleteTopic("cpu");
        // the re-created topic starts again at offset 0, from a freshly opened log
        assertThat(p.append(P0, batch(0, 0, 1), Acks.DURABLE).get(5, TimeUnit.SECONDS)).isEqualTo(new AppendAck(P0, 0, 1));
        assertThat(opened.get()).isEqualTo(2);
    }

    static void await(CountDownLatch latch) {
        try {
            if (!latch.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("test gate never opened");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

}
