package io.tierlog.cold;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tierlog.cold.testing.FaultyObjectStore;
import io.tierlog.cold.testing.LogFixture;
import io.tierlog.cold.testing.TierTestBed;
import io.tierlog.cold.testing.S3ProxyHarness;
import io.tierlog.core.TopicPartition;
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
import java.util.concurrent.CountDownLatch;

import static io.tierlog.cold.RemoteSegmentState.COPY_SEGMENT_FINISHED;
import static io.tierlog.cold.RemoteSegmentState.COPY_SEGMENT_STARTED;
import static io.tierlog.cold.RemoteSegmentState.DELETE_SEGMENT_FINISHED;
import static io.tierlog.cold.RemoteSegmentState.DELETE_SEGMENT_STARTED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The offloader's upload attempts seen through their lifecycle, against S3Proxy: an object is visible and its
 * local copy deletable only once the manifest is written; a failed attempt ends deleted, or left for the sweep.
 */
class OffloadLifecycleTest {
    private static final LogConfig SMALL_SEGMENTS = new LogConfig(64 * 1024, 3_600_000, 1024, FsyncPolicy.NEVER);
    /** Long enough that a failed attempt's state can be looked at before the retry replaces it. */
    private static final Duration SLOW_RETRY = Duration.ofMinutes(10);
    private static S3ProxyHarness server;
    private static S3ObjectStore s3;

    @TempDir
    Path dir;
    private TierTestBed bed;
    private LogManager logs;
    private SimpleMeterRegistry registry;
    private ColdTierConfig config;
    private final Random rnd = new Random(7);

    @BeforeAll
    static void startServer() {
        server = S3ProxyHarness.startTransient();
        s3 = server.store("lifecycle");
    }

    @AfterAll
    static void stopServer() {
        s3.close();
        server.close();
    }

    @BeforeEach
    void setUp() {
        bed = new TierTestBed(dir, "l", SLOW_RETRY, SLOW_RETRY);
        logs = bed.logs();
        registry = bed.registry();
        config = bed.config();
    }

    @AfterEach
    void tearDown() throws Exception {
        bed.close();
    }

    private ColdTier tier(ObjectStore store, ColdTierConfig c) {
        return bed.tier(store, c, registry);
    }

    /** A log whose first segment is closed (and more after it). */
    private PartitionLog filled(TopicPartition tp) {
        PartitionLog log = logs.open(tp, SMALL_SEGMENTS);
        for (int i = 0; i < 40; i++) {
            LogFixture.appendBatch(log, rnd, 10, 200, i * 10L);
        }
        log.roll();
        return log;
    }

    private List<String> segmentObjects(TopicPartition tp) {
        return s3.list(config.keyPrefix() + "/" + tp.topic() + "/" + tp.partition() + "/").stream()
                .map(ObjectMeta::key).filter(k -> k.endsWith(".seg")).toList();
    }

    private double failures() {
        return registry.counter("tierlog.cold.upload.failures").count();
    }

    @Test
    void anUploadStaysStartedAndInvisibleUntilItsManifestIsWrittenThenFinishes() {
        TopicPartition tp = new TopicPartition("gated", 0);
        PartitionLog log = filled(tp);
        SegmentInfo first = log.closedSegments().getFirst();
        FaultyObjectStore faulty = new FaultyObjectStore(s3);
        CountDownLatch gate = new CountDownLatch(1);
        faulty.manifestGate = gate;
        ColdTier tier = tier(faulty, config);
        tier.register(log);
        await().atMost(Duration.ofSeconds(10)).until(() -> faulty.manifestPuts.get() == 1); // object written, manifest hangs

        assertThat(tier.lastUploadState(tp)).isEqualTo(COPY_SEGMENT_STARTED);
        assertThat(segmentObjects(tp)).hasSize(1);
        assertThat(tier.isOffloaded(first)).as("the local copy must stay until the manifest names the object").isFalse();
        assertThat(tier.segments(tp)).as("readers do not see it").isEmpty();

        gate.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> tier.isOffloaded(first));
        assertThat(tier.segments(tp).getFirst().objectKey()).isEqualTo(segmentObjects(tp).getFirst());
        await().atMost(Duration.ofSeconds(30)).until(() -> log.closedSegments().stream().allMatch(tier::isOffloaded));
        assertThat(tier.lastUploadState(tp)).isEqualTo(COPY_SEGMENT_FINISHED);
    }

    @Test
    void aFailedObjectPutDeletesWhatMayHaveLandedAndEndsDeleted() {
        TopicPartition tp = new TopicPartition("putfails", 0);
        PartitionLog log = filled(tp);
        ColdTier tier = tier(new LandsThenFails(s3), config);
        tier.register(log);
        await().atMost(Duration.ofSeconds(10)).until(() -> failures() == 1);

        assertThat(tier.lastUploadState(tp)).isEqualTo(DELETE_SEGMENT_FINISHED);
        assertThat(segmentObjects(tp)).as("the object the failed PUT wrote is gone").isEmpty();
        assertThat(log.closedSegments()).noneMatch(tier::isOffloaded);
    }

    /** A store whose first segment PUT lands and then reports failure (a lost answer), as S3 can. */
    private static final class LandsThenFails implements ObjectStore {
        private final ObjectStore d;
        private final java.util.concurrent.atomic.AtomicBoolean failed = new java.util.concurrent.atomic.AtomicBoolean();

        LandsThenFails(ObjectStore d) {
            this.d = d;
        }

        @Override
        public void putFile(String key, Path file, long length, byte[] trailer) {
            d.putFile(key, file, length, trailer);
            if (failed.compareAndSet(false, true)) {
                throw new ObjectStoreException("injected: the answer to PUT " + key + " was lost");
            }
        }

        @Override
        public void put(String key, byte[] bytes) {
            d.put(key, bytes);
        }

        @Override
        public byte[] getRange(String key, long offset, int length) {
            return d.getRange(key, offset, length);
        }

        @Override
        public byte[] get(String key) {
            return d.get(key);
        }

        @Override
        public java.util.Optional<ObjectMeta> head(String key) {
            return d.head(key);
        }

        @Override
        public List<ObjectMeta> list(String prefix) {
            return d.list(prefix);
        }

        @Override
        public void delete(String key) {
            d.delete(key);
        }

        @Override
        public void deleteAll(java.util.Collection<String> keys) {
            d.deleteAll(keys);
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aFailedManifestPutLeavesTheObjectToTheSweepAndTheLocalCopyInPlace() {
        TopicPartition tp = new TopicPartition("manifestfails", 0);
        PartitionLog log = filled(tp);
        FaultyObjectStore faulty = new FaultyObjectStore(s3);
        faulty.failManifestPuts.set(1);
        ColdTier tier = tier(faulty, config);
        tier.register(log);
        await().atMost(Duration.ofSeconds(10)).until(() -> failures() == 1);

        assertThat(tier.lastUploadState(tp)).as("no manifest will name it, deletion is the sweep's")
                .isEqualTo(DELETE_SEGMENT_STARTED);
        assertThat(segmentObjects(tp)).as("not deleted here: the manifest PUT may have landed").hasSize(1);
        assertThat(log.closedSegments()).noneMatch(tier::isOffloaded);
        tier.close();

        // the next start (another process) sweeps the orphan, then offloads the segment again
        ColdTier next = tier(s3, config.withRetryBackoff(Duration.ofMillis(2), Duration.ofMillis(40)));
        assertThat(segmentObjects(tp)).isEmpty();
        next.register(log);
        await().atMost(Duration.ofSeconds(30)).until(() -> log.closedSegments().stream().allMatch(next::isOffloaded));
        assertThat(segmentObjects(tp)).hasSize(log.closedSegments().size());
    }
}
