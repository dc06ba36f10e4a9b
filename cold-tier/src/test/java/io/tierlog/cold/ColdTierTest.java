package io.tierlog.cold;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.minio.GetObjectArgs;
import io.minio.MinioClient;
import io.tierlog.cold.testing.FaultyObjectStore;
import io.tierlog.cold.testing.LogFixture;
import io.tierlog.cold.testing.S3ProxyHarness;
import io.tierlog.cold.testing.TierTestBed;
import io.tierlog.core.Record;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.FetchData;
import io.tierlog.hot.FsyncPolicy;
import io.tierlog.hot.LogConfig;
import io.tierlog.hot.LogManager;
import io.tierlog.hot.OffsetOutOfRangeException;
import io.tierlog.hot.PartitionLog;
import io.tierlog.hot.SegmentInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.awaitility.Awaitility.await;

/** The cold tier end to end: real hot-tier logs, S3Proxy in-process, MinIO's client as an independent reader. */
class ColdTierTest {
    private static final LogConfig SMALL_SEGMENTS = new LogConfig(64 * 1024, 3_600_000, 1024, FsyncPolicy.NEVER);
    private static S3ProxyHarness server;
    private static S3ObjectStore s3;
    private static MinioClient minio;
    private static final String BUCKET = "coldtier";

    @TempDir
    Path dir;
    private TierTestBed bed;
    private LogManager logs;
    private SimpleMeterRegistry registry;
    private ColdTierConfig config;
    private final Random rnd = new Random(42);

    @BeforeAll
    static void startServer() {
        server = S3ProxyHarness.startTransient();
        s3 = server.store(BUCKET);
        minio = MinioClient.builder().endpoint(server.endpoint().toString())
                .credentials(S3ProxyHarness.ACCESS_KEY, S3ProxyHarness.SECRET_KEY).region("us-east-1").build();
    }

    @AfterAll
    static void stopServer() {
        s3.close();
        server.close();
    }

    @BeforeEach
    void setUp() {
        bed = new TierTestBed(dir, "t", Duration.ofMillis(2), Duration.ofMillis(40));
        logs = bed.logs();
        registry = bed.registry();
        config = bed.config();
    }

    @AfterEach
    void tearDown() throws Exception {
        bed.close();
    }

    private ColdTier tier(ObjectStore store, ColdTierConfig c, SimpleMeterRegistry reg) {
        return bed.tier(store, c, reg);
    }

    private ColdTier tier(ObjectStore store) {
        return tier(store, config, registry);
    }

    /** A log with {@code batches} random batches, everything closed (rolled). */
    private PartitionLog filled(TopicPartition tp, int batches, long baseTs) {
        PartitionLog log = logs.open(tp, SMALL_SEGMENTS);
        for (int i = 0; i < batches; i++) {
            LogFixture.appendBatch(log, rnd, 1 + rnd.nextInt(20), 200, baseTs + i * 10L);
        }
        log.roll();
        return log;
    }

    private static void awaitOffloaded(ColdTier tier, PartitionLog log) {
        await().atMost(Duration.ofSeconds(30)).until(() -> log.closedSegments().stream().allMatch(tier::isOffloaded));
    }

    private void offloadAll(PartitionLog log) {
        ColdTier writer = tier(s3);
        writer.register(log);
        awaitOffloaded(writer, log);
    }

    private static List<Record> readAllRemote(ColdTier tier, TopicPartition tp, int maxBytes) {
        List<Record> out = new ArrayList<>();
        long next = tier.remoteLogStartOffset(tp);
        while (next < tier.remoteEndOffset(tp)) {
            FetchData f = tier.read(tp, next, maxBytes);
            assertThat(f.highWatermark()).isEqualTo(tier.remoteEndOffset(tp));
            List<Record> got = LogFixture.fromOffset(f);
            assertThat(got).isNotEmpty();
            assertThat(got.get(0).offset()).isEqualTo(next);
            out.addAll(got);
            next = got.get(got.size() - 1).offset() + 1;
        }
        return out;
    }

    private static List<Record> readAllLocal(PartitionLog log, long from, long to) {
        List<Record> out = new ArrayList<>();
        long next = from;
        while (next < to) {
            List<Record> got = LogFixture.fromOffset(log.read(next, 64 * 1024));
            out.addAll(got.stream().filter(r -> r.offset() < to).toList());
            next = got.get(got.size() - 1).offset() + 1;
        }
        return out;
    }

    @Test
    void offloadsEveryClosedSegmentInOrderAndReadsBackExactly() throws Exception {
        TopicPartition tp = new TopicPartition("metrics.cpu", 3);
        PartitionLog log = filled(tp, 300, 1_000_000);
        List<SegmentInfo> closed = log.closedSegments();
        assertThat(closed).hasSizeGreaterThan(3);
        ColdTier tier = tier(s3);
        tier.register(log);
        awaitOffloaded(tier, log);

        List<RemoteSegmentInfo> remote = tier.segments(tp);
        assertThat(remote).extracting(RemoteSegmentInfo::baseOffset).containsExactlyElementsOf(closed.stream().map(SegmentInfo::baseOffset).toList());
        assertThat(remote).extracting(RemoteSegmentInfo::nextOffset).containsExactlyElementsOf(closed.stream().map(SegmentInfo::nextOffset).toList());
        assertThat(remote).extracting(RemoteSegmentInfo::minTimestamp).containsExactlyElementsOf(closed.stream().map(SegmentInfo::minTimestamp).toList());
        assertThat(remote).extracting(RemoteSegmentInfo::maxTimestamp).containsExactlyElementsOf(closed.stream().map(SegmentInfo::maxTimestamp).toList());
        assertThat(remote.get(0).objectKey()).matches(config.keyPrefix() + "/metrics\\.cpu/3/0{20}-\\d{20}-[0-9a-f-]{36}\\.seg");
        assertThat(tier.remoteLogStartOffset(tp)).isZero();
        assertThat(tier.remoteEndOffset(tp)).isEqualTo(log.logEndOffset());

        // an independent S3 client sees the local segment's bytes at the start of each object
        for (int i = 0; i < closed.size(); i++) {
            byte[] local = Arrays.copyOf(Files.readAllBytes(closed.get(i).logFile()), (int) closed.get(i).sizeInBytes());
            try (InputStream in = minio.getObject(GetObjectArgs.builder().bucket(BUCKET).object(remote.get(i).objectKey())
                    .offset(0L).length(closed.get(i).sizeInBytes()).build())) {
                assertThat(in.readAllBytes()).isEqualTo(local);
            }
        }

        assertThat(readAllRemote(tier, tp, 3000)).isEqualTo(readAllLocal(log, 0, log.logEndOffset()));
        for (long ts : new long[] {0, 1_000_000, 1_001_234, 1_002_000, 1_002_995, 1_003_500, 5_000_000}) {
            assertThat(tier.offsetForTimestamp(tp, ts)).as("ts %d", ts).isEqualTo(log.offsetForTimestamp(ts));
        }
        assertThatThrownBy(() -> tier.read(tp, log.logEndOffset(), 1000)).isInstanceOf(OffsetOutOfRangeException.class)
                .hasMessageContaining("metrics.cpu-3");
        assertThat(registry.counter("tierlog.cold.uploads").count()).isEqualTo(closed.size());
        assertThat(registry.counter("tierlog.cold.upload.bytes").count())
                .isGreaterThan(closed.stream().mapToLong(SegmentInfo::sizeInBytes).sum());
        assertThat(registry.get("tierlog.cold.offload.lag.bytes").gauge().value()).isZero();
        assertThat(registry.get("tierlog.cold.read.latency").timer().count()).isPositive();
    }

    @Test
    void segmentsClosedAfterRegistrationAreOffloadedAndBoundaryHasNoGapOrDuplicate() {
        TopicPartition tp = new TopicPartition("live", 0);
        PartitionLog log = logs.open(tp, SMALL_SEGMENTS);
        ColdTier tier = tier(s3);
        tier.register(log);
        for (int i = 0; i < 200; i++) {
            LogFixture.appendBatch(log, rnd, 10, 100, 1000 + i);
        }
        awaitOffloaded(tier, log);
        long remoteEnd = tier.remoteEndOffset(tp);
        assertThat(remoteEnd).isEqualTo(log.closedSegments().getLast().nextOffset()).isLessThan(log.logEndOffset());
        // stitched read: remote up to remoteEnd, local from there: every offset once, in order
        List<Record> stitched = new ArrayList<>(readAllRemote(tier, tp, 5000));
        stitched.addAll(readAllLocal(log, remoteEnd, log.logEndOffset()));
        assertThat(stitched).extracting(Record::offset)
                .containsExactlyElementsOf(java.util.stream.LongStream.range(0, log.logEndOffset()).boxed().toList());
        assertThat(stitched).isEqualTo(readAllLocal(log, 0, log.logEndOffset()));
    }

    @Test
    void coldRandomReadNeedsAtMostTwoGetsAndWarmReadNone() {
        TopicPartition tp = new TopicPartition("random", 1);
        PartitionLog log = filled(tp, 300, 0);
        offloadAll(log);
        FaultyObjectStore counting = new FaultyObjectStore(s3);
        ColdTier fresh = tier(counting, config, new SimpleMeterRegistry());
        for (long offset : new long[] {log.logEndOffset() / 2, 1, log.logEndOffset() - 1}) {
            int before = counting.rangedGets.get();
            FetchData cold = fresh.read(tp, offset, 4096);
            assertThat(counting.rangedGets.get() - before).as("GETs for a cold read at %d", offset).isLessThanOrEqualTo(2);
            before = counting.rangedGets.get();
            FetchData warm = fresh.read(tp, offset, 4096);
            assertThat(counting.rangedGets.get()).isEqualTo(before);
            assertThat(LogFixture.bytes(warm.batches())).isEqualTo(LogFixture.bytes(cold.batches()))
                    .isEqualTo(LogFixture.bytes(log.read(offset, 4096).batches()));
        }
        assertThat(fresh.cacheHitRatio()).isGreaterThan(0.4);
    }

    @Test
    void sequentialReadsAreServedByReadAheadWithFewerLargerGets() {
        TopicPartition tp = new TopicPartition("seq", 0);
        PartitionLog log = logs.open(tp, new LogConfig(1024 * 1024, 3_600_000, 1024, FsyncPolicy.NEVER));
        for (int i = 0; i < 300; i++) {
            LogFixture.appendBatch(log, rnd, 10, 200, i);
        }
        log.roll();
        offloadAll(log);
        long chunks = (log.closedSegments().getFirst().sizeInBytes() + 16383) / 16384;
        assertThat(chunks).isGreaterThan(8);
        List<Record> expected = readAllLocal(log, 0, log.logEndOffset());

        FaultyObjectStore plainCount = new FaultyObjectStore(s3);
        ColdTier plain = tier(plainCount, config.withCache(16 * 1024, 64L * 1024 * 1024, 0), new SimpleMeterRegistry());
        assertThat(readAllRemote(plain, tp, 2000)).isEqualTo(expected);
        // without read-ahead: the index plus one GET per chunk
        assertThat(plainCount.rangedGets.get()).isEqualTo((int) chunks + 1);

        FaultyObjectStore aheadCount = new FaultyObjectStore(s3);
        ColdTier ahead = tier(aheadCount, config.withCache(16 * 1024, 64L * 1024 * 1024, 4), new SimpleMeterRegistry());
        assertThat(readAllRemote(ahead, tp, 2000)).isEqualTo(expected);
        // with 4 chunks of read-ahead refilled when 2 are left: at least two chunks per GET
        assertThat(aheadCount.rangedGets.get()).isLessThanOrEqualTo((int) (chunks / 2) + 2);
    }

    @Test
    void resumesAfterRestartWithoutUploadingAgain() {
        TopicPartition tp = new TopicPartition("resume", 0);
        PartitionLog log = filled(tp, 150, 0);
        int firstBatch = log.closedSegments().size();
        ColdTier first = tier(s3);
        first.register(log);
        awaitOffloaded(first, log);
        first.close();
        for (int i = 0; i < 150; i++) {
            LogFixture.appendBatch(log, rnd, 10, 200, 5000 + i);
        }
        log.roll();
        SimpleMeterRegistry reg2 = new SimpleMeterRegistry();
        ColdTier second = tier(s3, config, reg2);
        second.register(log);
        awaitOffloaded(second, log);
        assertThat(reg2.counter("tierlog.cold.uploads").count()).isEqualTo(log.closedSegments().size() - firstBatch);
        assertThat(second.segments(tp)).extracting(RemoteSegmentInfo::baseOffset)
                .containsExactlyElementsOf(log.closedSegments().stream().map(SegmentInfo::baseOffset).toList());
        assertThat(readAllRemote(second, tp, 10_000)).isEqualTo(readAllLocal(log, 0, log.logEndOffset()));
    }

    @Test
    void crashBetweenUploadAndManifestLeavesAnOrphanThatTheNextStartRemoves() {
        TopicPartition tp = new TopicPartition("crash", 2);
        PartitionLog log = filled(tp, 100, 0);
        FaultyObjectStore faulty = new FaultyObjectStore(s3);
        faulty.manifestWritesDown = true; // every upload lands, no manifest write does: like a crash in between
        ColdTier crashed = tier(faulty);
        crashed.register(log);
        await().atMost(Duration.ofSeconds(10)).until(() -> faulty.segmentPuts.get() >= 3);
        assertThat(log.closedSegments()).noneMatch(crashed::isOffloaded);
        assertThat(crashed.offloadLagBytes()).isPositive();
        crashed.close();
        String partitionPrefix = config.keyPrefix() + "/crash/2/";
        assertThat(s3.list(partitionPrefix)).isNotEmpty().allMatch(m -> m.key().endsWith(".seg"));

        ColdTier restarted = tier(s3);
        assertThat(s3.list(partitionPrefix)).as("orphans removed by start()").isEmpty();
        restarted.register(log);
        awaitOffloaded(restarted, log);
        List<String> live = restarted.segments(tp).stream().map(RemoteSegmentInfo::objectKey).toList();
        assertThat(s3.list(partitionPrefix)).extracting(ObjectMeta::key)
                .containsExactlyInAnyOrderElementsOf(concat(live, partitionPrefix + "manifest.bin"));
        assertThat(readAllRemote(restarted, tp, 10_000)).isEqualTo(readAllLocal(log, 0, log.logEndOffset()));
    }

    private static List<String> concat(List<String> a, String b) {
        List<String> out = new ArrayList<>(a);
        out.add(b);
        return out;
    }

    @Test
    void failedUploadsRetryWithBackoffAndNothingIsOffloadedBeforeConfirmed() {
        TopicPartition tp = new TopicPartition("faults", 0);
        PartitionLog log = filled(tp, 150, 0);
        FaultyObjectStore faulty = new FaultyObjectStore(s3);
        faulty.failSegmentPuts.set(4);
        faulty.failManifestPuts.set(3);
        ColdTier tier = tier(faulty);
        tier.register(log);
        awaitOffloaded(tier, log);
        assertThat(faulty.injectedFailures.get()).isEqualTo(7);
        assertThat(registry.counter("tierlog.cold.upload.failures").count()).isEqualTo(7);
        assertThat(tier.segments(tp)).hasSize(log.closedSegments().size());
        assertThat(readAllRemote(tier, tp, 10_000)).isEqualTo(readAllLocal(log, 0, log.logEndOffset()));
        // the failed attempts left no visible object behind: only manifest keys (+ at most orphans of failed manifest writes)
        assertThat(tier.segments(tp)).extracting(RemoteSegmentInfo::baseOffset).doesNotHaveDuplicates();
    }

    @Test
    void connectionRefusedDelaysOffloadButLosesNothingAndReadsKeepWorking() throws Exception {
        TopicPartition tp = new TopicPartition("refused", 0);
        PartitionLog log = filled(tp, 100, 0);
        ColdTier tier = tier(s3);
        FaultyObjectStore switchable = new FaultyObjectStore(s3);
        ColdTier writer = tier(switchable);
        writer.register(log);
        awaitOffloaded(writer, log);
        int offloaded = log.closedSegments().size();

        int deadPort;
        try (ServerSocket s = new ServerSocket(0)) {
            deadPort = s.getLocalPort();
        }
        S3ObjectStore dead = S3ObjectStore.create(S3Config.compatible(URI.create("http://127.0.0.1:" + deadPort), BUCKET,
                S3ProxyHarness.ACCESS_KEY, S3ProxyHarness.SECRET_KEY).withRetries(2, Duration.ofSeconds(2)));
        bed.closeAtEnd(dead);
        ObjectStore live = switchable.swap(dead);
        for (int i = 0; i < 100; i++) {
            LogFixture.appendBatch(log, rnd, 10, 200, 9000 + i);
        }
        log.roll();
        await().atMost(Duration.ofSeconds(20)).until(() -> registry.counter("tierlog.cold.upload.failures").count() >= 3);
        assertThat(log.closedSegments().subList(offloaded, log.closedSegments().size())).noneMatch(writer::isOffloaded);
        assertThat(writer.offloadLagBytes()).isPositive();
        assertThat(writer.offloadLagMs(System.currentTimeMillis() + 1)).isPositive();
        // remote data already offloaded stays readable (through another reader on the healthy endpoint)
        assertThat(readAllRemote(tier, tp, 10_000)).isEqualTo(readAllLocal(log, 0, tier.remoteEndOffset(tp)));

        switchable.swap(live);
        awaitOffloaded(writer, log);
        assertThat(writer.offloadLagBytes()).isZero();
        assertThat(readAllRemote(writer, tp, 10_000)).isEqualTo(readAllLocal(log, 0, log.logEndOffset()));
    }

    @Test
    void aSegmentFileDeletedBeforeUploadIsSkippedAndLaterSegmentsStillGoUp() throws Exception {
        TopicPartition tp = new TopicPartition("vanished", 0);
        PartitionLog log = filled(tp, 100, 0);
        FaultyObjectStore faulty = new FaultyObjectStore(s3);
        faulty.writesDown = true;
        ColdTier tier = tier(faulty);
        tier.register(log);
        await().atMost(Duration.ofSeconds(10)).until(() -> faulty.injectedFailures.get() >= 2);
        SegmentInfo first = log.closedSegments().getFirst();
        Files.delete(first.logFile());
        faulty.writesDown = false;
        List<SegmentInfo> rest = log.closedSegments().subList(1, log.closedSegments().size());
        await().atMost(Duration.ofSeconds(30)).until(() -> rest.stream().allMatch(tier::isOffloaded));
        assertThat(tier.segments(tp)).extracting(RemoteSegmentInfo::baseOffset)
                .containsExactlyElementsOf(rest.stream().map(SegmentInfo::baseOffset).toList());
        assertThat(tier.remoteLogStartOffset(tp)).isEqualTo(first.nextOffset());
    }

    @Test
    void aHungManifestWriteNeverBlocksTheHotTierWriterOrMetrics() {
        TopicPartition tp = new TopicPartition("hung", 0);
        PartitionLog log = filled(tp, 40, 0);
        FaultyObjectStore faulty = new FaultyObjectStore(s3);
        java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(1);
        faulty.manifestGate = gate;
        ColdTier tier = tier(faulty);
        tier.register(log);
        await().atMost(Duration.ofSeconds(10)).until(() -> faulty.manifestPuts.get() == 1); // now hanging
        // the writer thread appends and rolls (the roll calls the cold tier's listener) while S3 hangs
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            for (int i = 0; i < 40; i++) {
                LogFixture.appendBatch(log, rnd, 10, 200, 100 + i);
            }
            log.roll();
            assertThat(tier.offloadLagBytes()).isPositive();
        });
        assertThat(log.closedSegments()).noneMatch(tier::isOffloaded);
        gate.countDown();
        awaitOffloaded(tier, log);
    }

    @Test
    void slowStoreStillOffloadsAndCloseWaitsForInFlightUpload() {
        TopicPartition tp = new TopicPartition("slow", 0);
        PartitionLog log = filled(tp, 60, 0);
        FaultyObjectStore slow = new FaultyObjectStore(s3);
        slow.delayMs = 150;
        ColdTier tier = tier(slow);
        tier.register(log);
        await().atMost(Duration.ofSeconds(10)).until(() -> slow.segmentPuts.get() >= 1);
        tier.close(); // lets the in-flight upload (and its manifest write) finish
        ColdTier after = tier(s3);
        assertThat(after.segments(tp)).isNotEmpty();
        assertThat(s3.list(config.keyPrefix() + "/slow/0/")).hasSize(after.segments(tp).size() + 1);
    }

    @Test
    void retentionByTimeAndBySizeDeletesOldestSegmentsManifestFirst() {
        TopicPartition tp = new TopicPartition("retention", 0);
        PartitionLog log = logs.open(tp, SMALL_SEGMENTS);
        for (int s = 0; s < 6; s++) { // six segments, segment s has timestamps around s * 100_000
            for (int i = 0; i < 25; i++) {
                LogFixture.appendBatch(log, rnd, 10, 200, s * 100_000L);
            }
            log.roll();
        }
        ColdTier tier = tier(s3);
        tier.register(log);
        awaitOffloaded(tier, log);
        List<RemoteSegmentInfo> all = tier.segments(tp);
        assertThat(all).hasSize(6);

        // by time: at now = 450_000 only segments 0 and 1 (newest records < 101_000) are older than 250_000 ms
        assertThat(tier.applyRetention(tp, 250_000, -1, 450_000)).isEqualTo(2);
        assertThat(tier.remoteLogStartOffset(tp)).isEqualTo(all.get(2).baseOffset());
        assertThat(s3.head(all.get(0).objectKey())).isEmpty();
        assertThatThrownBy(() -> tier.read(tp, 0, 100)).isInstanceOf(OffsetOutOfRangeException.class);
        // by size: keep at least the newest two segments' bytes
        long keep = all.get(4).sizeInBytes() + all.get(5).sizeInBytes();
        assertThat(tier.applyRetention(tp, -1, keep, 0)).isEqualTo(2);
        assertThat(tier.segments(tp)).containsExactly(all.get(4), all.get(5));
        assertThat(tier.applyRetention(tp, -1, keep, 0)).isZero();
        // records deleted on request: only the segments wholly below the deletion point go
        assertThat(tier.applyRetention(tp, -1, -1, all.get(5).baseOffset() + 1, 0)).isEqualTo(1);
        assertThat(tier.segments(tp)).containsExactly(all.get(5));
        assertThat(tier.applyRetention(tp, -1, -1, all.get(5).nextOffset() - 1, 0)).isZero();
        // a restart sees the same manifest and the local segments already dropped remotely are not re-uploaded
        ColdTier restarted = tier(s3);
        restarted.register(log);
        assertThat(restarted.segments(tp)).containsExactly(all.get(5));
        await().atMost(Duration.ofSeconds(10)).until(() -> log.closedSegments().stream().allMatch(restarted::isOffloaded));
        assertThat(restarted.segments(tp)).hasSize(1);
        assertThat(s3.list(config.keyPrefix() + "/retention/0/")).as("one segment and the manifest").hasSize(2);
        assertThat(registry.counter("tierlog.cold.retention.deleted.segments").count()).isEqualTo(5);
    }

    @Test
    void aReaderOfAnotherProcessesPartitionRefreshesItsManifest() {
        TopicPartition tp = new TopicPartition("shared", 0);
        PartitionLog log = filled(tp, 80, 0);
        ColdTier writer = tier(s3);
        writer.register(log);
        awaitOffloaded(writer, log);
        ColdTier reader = tier(s3, config, new SimpleMeterRegistry());
        long firstEnd = reader.remoteEndOffset(tp);
        assertThat(firstEnd).isEqualTo(log.logEndOffset());
        long oldest = reader.remoteLogStartOffset(tp);
        reader.read(tp, oldest, 100); // caches nothing the test relies on; proves the segment is readable

        for (int i = 0; i < 80; i++) {
            LogFixture.appendBatch(log, rnd, 10, 200, 10_000 + i);
        }
        log.roll();
        awaitOffloaded(writer, log);
        assertThat(reader.remoteEndOffset(tp)).isEqualTo(firstEnd); // stale until refreshed
        assertThat(reader.refresh(tp)).isEqualTo(log.logEndOffset());
        assertThat(readAllRemote(reader, tp, 10_000)).isEqualTo(readAllLocal(log, 0, log.logEndOffset()));

        // the writer's retention deletes the oldest segment; a reader whose manifest still names it (and
        // which has not cached its bytes) finds the object gone, reloads the manifest and reports out of range
        ColdTier lateReader = tier(s3, config, new SimpleMeterRegistry());
        assertThat(lateReader.segments(tp)).hasSize(writer.segments(tp).size());
        RemoteSegmentInfo first = writer.segments(tp).getFirst();
        assertThat(writer.applyRetention(tp, -1, writer.segments(tp).stream().mapToLong(RemoteSegmentInfo::sizeInBytes).sum()
                - first.sizeInBytes(), 0)).isEqualTo(1);
        long inDeleted = first.nextOffset() - 1;
        assertThatThrownBy(() -> lateReader.read(tp, inDeleted, 100)).isInstanceOf(OffsetOutOfRangeException.class);
        assertThat(lateReader.remoteLogStartOffset(tp)).isEqualTo(first.nextOffset());
    }

    @Test
    void deleteTopicDeletesAllItsObjectsOnly() {
        TopicPartition a0 = new TopicPartition("gone", 0);
        TopicPartition a1 = new TopicPartition("gone", 1);
        TopicPartition b0 = new TopicPartition("gone2", 0);
        ColdTier tier = tier(s3);
        for (TopicPartition tp : List.of(a0, a1, b0)) {
            PartitionLog log = filled(tp, 60, 0);
            tier.register(log);
            awaitOffloaded(tier, log);
        }
        tier.deleteTopic("gone");
        assertThat(s3.list(config.keyPrefix() + "/gone/")).isEmpty();
        assertThat(s3.list(config.keyPrefix() + "/gone2/")).isNotEmpty();
        assertThat(tier.segments(a0)).isEmpty();
        assertThat(tier.remoteLogStartOffset(a1)).isEqualTo(-1);
        assertThat(tier.segments(b0)).isNotEmpty();
    }

    @Test
    void largeSegmentsUseMultipartUpload() throws Exception {
        S3ObjectStore multipart = S3ObjectStore.create(server.config(BUCKET).withMultipart(S3Config.MIN_PART_SIZE, S3Config.MIN_PART_SIZE));
        bed.closeAtEnd(multipart);
        TopicPartition tp = new TopicPartition("big", 0);
        PartitionLog log = logs.open(tp, new LogConfig(16L * 1024 * 1024, 3_600_000, 4096, FsyncPolicy.NEVER));
        while (log.sizeInBytes() < 6L * 1024 * 1024 + 100_000) {
            LogFixture.appendBatch(log, rnd, 50, 2000, 0);
        }
        log.roll();
        ColdTier tier = tier(multipart);
        tier.register(log);
        awaitOffloaded(tier, log);
        SegmentInfo seg = log.closedSegments().getFirst();
        RemoteSegmentInfo remote = tier.segments(tp).getFirst();
        assertThat(seg.sizeInBytes()).isGreaterThan(S3Config.MIN_PART_SIZE);
        try (InputStream in = minio.getObject(GetObjectArgs.builder().bucket(BUCKET).object(remote.objectKey())
                .offset(0L).length(seg.sizeInBytes()).build())) {
            assertThat(in.readAllBytes()).isEqualTo(Arrays.copyOf(Files.readAllBytes(seg.logFile()), (int) seg.sizeInBytes()));
        }
        long mid = seg.nextOffset() / 2;
        assertThat(LogFixture.bytes(tier.read(tp, mid, 100_000).batches())).isEqualTo(LogFixture.bytes(log.read(mid, 100_000).batches()));
    }

    @Test
    void invalidConfigurationIsRejectedWithClearMessages() {
        assertThatThrownBy(() -> ColdTierConfig.DEFAULTS.withKeyPrefix("/x")).hasMessageContaining("keyPrefix");
        assertThatThrownBy(() -> ColdTierConfig.DEFAULTS.withUploadThreads(0)).hasMessageContaining("uploadThreads");
        assertThatThrownBy(() -> server.config(BUCKET).withMultipart(1024, 1024)).hasMessageContaining("partSizeBytes");
        assertThatThrownBy(() -> new S3Config(null, "us-east-1", "b", "k", null, true, Duration.ofSeconds(1), 1,
                S3Config.MIN_PART_SIZE, S3Config.MIN_PART_SIZE)).hasMessageContaining("secretKey");
        assertThat(server.config(BUCKET).toString()).doesNotContain(S3ProxyHarness.SECRET_KEY);
        try (ColdTier notStarted = new ColdTier(s3, config, new SimpleMeterRegistry())) {
            PartitionLog log = logs.open(new TopicPartition("early", 0), SMALL_SEGMENTS);
            assertThatThrownBy(() -> notStarted.register(log)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("start()");
        }
    }
}
