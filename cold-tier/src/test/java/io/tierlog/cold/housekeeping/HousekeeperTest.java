package io.tierlog.cold.housekeeping;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tierlog.cold.ColdTier;
import io.tierlog.cold.ColdTierConfig;
import io.tierlog.cold.S3ObjectStore;
import io.tierlog.cold.testing.FaultyObjectStore;
import io.tierlog.cold.testing.LogFixture;
import io.tierlog.cold.testing.S3ProxyHarness;
import io.tierlog.cold.housekeeping.RetentionPolicy.Cleanup;
import io.tierlog.cold.housekeeping.RetentionPolicy.Limits;
import io.tierlog.cold.housekeeping.RetentionPolicy.Storage;
import io.tierlog.core.BatchBuilder;
import io.tierlog.core.Compression;
import io.tierlog.core.Record;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.AppendInfo;
import io.tierlog.hot.FsyncPolicy;
import io.tierlog.hot.LogConfig;
import io.tierlog.hot.LogManager;
import io.tierlog.hot.PartitionLog;
import io.tierlog.hot.SegmentInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The housekeeper's runs against real hot-tier logs and a cold tier on S3Proxy, without HTTP. */
class HousekeeperTest {
    private static final long NOW = 10_000_000;
    private static final LogConfig SMALL_SEGMENTS = new LogConfig(16 * 1024, 3_600_000, 1024, FsyncPolicy.NEVER);
    @TempDir
    Path dir;
    private LogManager logs;
    private ColdTier cold;
    private FaultyObjectStore store;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final Random rnd = new Random(3);

    @BeforeEach
    void setUp() {
        logs = new LogManager(dir.resolve("data"));
        store = new FaultyObjectStore(s3);
        cold = new ColdTier(store, ColdTierConfig.DEFAULTS.withKeyPrefix("h-" + UUID.randomUUID())
                .withRetryBackoff(Duration.ofMillis(2), Duration.ofMillis(40)), new SimpleMeterRegistry());
        cold.start();
    }

    @AfterEach
    void tearDown() {
        cold.close();
        logs.close();
    }

    /** A log of closed segments whose records are stamped from 0 (old, seen from {@link #NOW}). */
    private PartitionLog filled(TopicPartition tp) {
        PartitionLog log = logs.open(tp, SMALL_SEGMENTS);
        for (int i = 0; i < 60; i++) {
            LogFixture.appendBatch(log, rnd, 10, 200, i);
        }
        log.roll();
        return log;
    }

    @Test
    void localCopiesPastTheLocalLimitGoOnlyOnceOffloadedAndStayReadableFromTheColdTier() {
        TopicPartition tp = new TopicPartition("tiered", 0);
        PartitionLog log = filled(tp);
        RetentionPolicy policy = new RetentionPolicy(Storage.TIERED, Cleanup.DELETE, Limits.NONE, new Limits(1000, -1));
        Housekeeper housekeeper = new Housekeeper(cold, registry);
        List<SegmentInfo> closed = log.closedSegments();
        assertThat(closed).hasSizeGreaterThan(2);
        store.writesDown = true;
        cold.register(log);

        Housekeeper.Outcome blocked = housekeeper.run(log, policy, NOW);
        assertThat(blocked.localSegmentsDeleted()).as("nothing offloaded yet").isZero();
        assertThat(registry.counter("tierlog.housekeeping.local.waiting.for.offload").count()).isEqualTo(1);
        assertThat(log.closedSegments()).hasSameSizeAs(closed);

        store.writesDown = false;
        await().atMost(Duration.ofSeconds(30)).until(() -> closed.stream().allMatch(cold::isOffloaded));
        Housekeeper.Outcome done = housekeeper.run(log, policy, NOW);
        assertThat(done.localSegmentsDeleted()).isEqualTo(closed.size());
        assertThat(done.remoteSegmentsDeleted()).isZero();
        assertThat(registry.counter("tierlog.housekeeping.local.deleted.segments", "reason", "offloaded_past_local_limit")
                .count()).isEqualTo(closed.size());
        assertThat(log.logStartOffset()).isEqualTo(closed.getLast().nextOffset());
        assertThat(LogFixture.fromOffset(cold.read(tp, 0, 1 << 20))).first().extracting(Record::offset).isEqualTo(0L);
    }

    @Test
    void dataPastTheTotalRetentionGoesFromBothTiers() {
        TopicPartition tp = new TopicPartition("expired", 0);
        PartitionLog log = filled(tp);
        cold.register(log);
        await().atMost(Duration.ofSeconds(30)).until(() -> log.closedSegments().stream().allMatch(cold::isOffloaded));
        int closed = log.closedSegments().size();
        RetentionPolicy policy = new RetentionPolicy(Storage.TIERED, Cleanup.DELETE, new Limits(1000, -1), Limits.NONE);

        Housekeeper.Outcome o = new Housekeeper(cold, registry).run(log, policy, NOW);
        assertThat(o.localSegmentsDeleted()).isEqualTo(closed);
        assertThat(o.remoteSegmentsDeleted()).isEqualTo(closed);
        assertThat(cold.segments(tp)).isEmpty();
    }

    @Test
    void aLocalOnlyTopicIsTrimmedBySizeAndLeavesTheColdTierAlone() {
        TopicPartition tp = new TopicPartition("local", 0);
        PartitionLog log = filled(tp);
        RetentionPolicy policy = new RetentionPolicy(Storage.LOCAL, Cleanup.DELETE, new Limits(-1, 20 * 1024), Limits.NONE);

        Housekeeper.Outcome o = new Housekeeper(cold, registry).run(log, policy, NOW);
        assertThat(o.localSegmentsDeleted()).isPositive();
        assertThat(log.sizeInBytes()).isLessThanOrEqualTo(20 * 1024);
        assertThat(o.compaction()).isEmpty();
        assertThat(cold.segments(tp)).isEmpty();
    }

    @Test
    void aCompactedTopicIsCompactedOnlyWhenSegmentsClosedSinceTheLastRun() {
        TopicPartition tp = new TopicPartition("compacted", 0);
        PartitionLog log = logs.open(tp, SMALL_SEGMENTS);
        appendSameKeys(log, 0);
        RetentionPolicy policy = new RetentionPolicy(Storage.LOCAL, Cleanup.COMPACT, Limits.NONE, Limits.NONE);
        Housekeeper housekeeper = new Housekeeper(cold, registry);

        Housekeeper.Outcome first = housekeeper.run(log, policy, NOW);
        assertThat(first.compaction()).hasValueSatisfying(r -> assertThat(r.recordsRemoved()).isPositive());
        assertThat(first.localSegmentsDeleted()).as("compact alone deletes nothing by retention").isZero();
        assertThat(housekeeper.run(log, policy, NOW).compaction()).as("nothing closed since").isEmpty();

        appendSameKeys(log, 1000);
        assertThat(housekeeper.run(log, policy, NOW).compaction()).isPresent();
        housekeeper.forgetTopic(tp.topic());
        assertThat(housekeeper.run(log, policy, NOW).compaction()).as("forgotten: compacts again").isPresent();
    }

    /** 200 records over 5 keys, in batches of 10, then a roll. */
    private void appendSameKeys(PartitionLog log, long baseTs) {
        for (int b = 0; b < 20; b++) {
            BatchBuilder builder = new BatchBuilder(Compression.NONE);
            for (int i = 0; i < 10; i++) {
                builder.add(baseTs + b * 10 + i, ("key" + i % 5).getBytes(), new byte[100]);
            }
            AppendInfo info = log.append(builder.build().buffer());
            log.advanceHighWatermark(info.nextOffset());
        }
        log.roll();
    }

    private static S3ProxyHarness server;
    private static S3ObjectStore s3;

    @BeforeAll
    static void startServer() {
        server = S3ProxyHarness.startTransient();
        s3 = server.store("housekeeping");
    }

    @AfterAll
    static void stopServer() {
        s3.close();
        server.close();
    }
}
