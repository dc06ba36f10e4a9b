package io.tierlog.cold;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tierlog.cold.testing.LogFixture;
import io.tierlog.cold.testing.S3ProxyHarness;
import io.tierlog.cold.testing.TierTestBed;
import io.tierlog.core.BatchBuilder;
import io.tierlog.core.Compression;
import io.tierlog.core.Header;
import io.tierlog.core.MetricCodec;
import io.tierlog.core.MetricType;
import io.tierlog.core.Record;
import io.tierlog.core.RecordBatch;
import io.tierlog.core.SeriesKey;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.FetchData;
import io.tierlog.hot.FsyncPolicy;
import io.tierlog.hot.LogConfig;
import io.tierlog.hot.LogManager;
import io.tierlog.hot.PartitionLog;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Offloading a {@code metrics} partition writes series blocks, and reads of them are what reads of segment copies
 * were: the same records from every offset, as v2 batches with valid CRCs, and the same offset for a timestamp.
 * Objects written earlier as segment copies stay readable beside the blocks (the manifest says which is which).
 */
class SeriesBlockOffloadTest {
    private static final LogConfig SMALL_SEGMENTS = new LogConfig(64 * 1024, 3_600_000, 1024, FsyncPolicy.NEVER);
    private static final TopicPartition TP = new TopicPartition("metrics-t", 0);
    private static S3ProxyHarness server;
    private static S3ObjectStore s3;

    @TempDir
    Path dir;
    private TierTestBed bed;
    private LogManager logs;
    private ColdTierConfig config;
    private final Random rnd = new Random(7);

    @BeforeAll
    static void startServer() {
        server = S3ProxyHarness.startTransient();
        s3 = server.store("seriesblocks");
    }

    @AfterAll
    static void stopServer() {
        s3.close();
        server.close();
    }

    @BeforeEach
    void setUp() {
        bed = new TierTestBed(dir, "sb", Duration.ofMillis(2), Duration.ofMillis(40));
        logs = bed.logs();
        config = bed.config();
    }

    @AfterEach
    void tearDown() throws Exception {
        bed.close();
    }

    private ColdTier tier() {
        return bed.tier(s3, config, new SimpleMeterRegistry());
    }

    /** {@code scrapes} scrapes of 40 series (counters with resets, gauges, ratios), one batch each, odd records mixed in. */
    private void appendScrapes(PartitionLog log, int scrapes, long startMs) {
        for (int s = 0; s < scrapes; s++) {
            BatchBuilder b = new BatchBuilder(s % 3 == 0 ? Compression.ZSTD : Compression.NONE);
            long t = startMs + s * 10_000L;
            for (int series = 0; series < 40; series++) {
                double v = switch (series % 3) {
                    case 0 -> s % 50 == 49 ? 0 : s * 7 + series;
                    case 1 -> rnd.nextInt(100);
                    default -> Math.round(rnd.nextDouble() * 1000) / 1000.0;
                };
                byte[] key = SeriesKey.of(series % 3 == 0 ? "requests_total" : "queue_depth",
                        Map.of("host", "h" + series, "env", "prod")).toBytes();
                b.add(t + rnd.nextInt(3), key, MetricCodec.encodeValue(v, series % 3 == 0 ? MetricType.COUNTER : MetricType.GAUGE));
            }
            if (s % 17 == 0) { // not samples: kept verbatim in the side section
                b.add(t, null, "free text".getBytes(), List.of(new Header("origin", "test".getBytes())));
                b.add(t - 5_000, SeriesKey.of("odd", Map.of()).toBytes(), new byte[] {1, 2, 3});
            }
            var info = log.append(b.build().buffer());
            log.advanceHighWatermark(info.nextOffset());
        }
        log.roll();
    }

    private static void awaitOffloaded(ColdTier tier, PartitionLog log) {
        await().atMost(Duration.ofSeconds(30)).until(() -> log.closedSegments().stream().allMatch(tier::isOffloaded));
    }

    private static List<Record> readAllLocal(PartitionLog log) {
        List<Record> out = new ArrayList<>();
        long next = log.logStartOffset();
        while (next < log.logEndOffset()) {
            List<Record> got = LogFixture.fromOffset(log.read(next, 64 * 1024));
            out.addAll(got);
            next = got.getLast().offset() + 1;
        }
        return out;
    }

    /** Reads the whole remote range with {@code maxBytes} fetches, checking every batch's CRC and offset continuity. */
    private static List<Record> readAllRemote(ColdTier tier, int maxBytes) {
        List<Record> out = new ArrayList<>();
        long next = tier.remoteLogStartOffset(TP);
        while (next < tier.remoteEndOffset(TP)) {
            FetchData f = tier.read(TP, next, maxBytes);
            for (RecordBatch b : RecordBatch.iterate(f.batches().duplicate().order(ByteOrder.BIG_ENDIAN))) {
                assertThat(b.isValidHeaderAndCrc()).as("batch at %d", b.baseOffset()).isTrue();
            }
            List<Record> got = LogFixture.fromOffset(f);
            assertThat(got).isNotEmpty();
            assertThat(got.getFirst().offset()).isEqualTo(next);
            out.addAll(got);
            next = got.getLast().offset() + 1;
        }
        return out;
    }

    @Test
    void a_metrics_partition_is_offloaded_as_series_blocks_that_read_back_exactly() {
        PartitionLog log = logs.open(TP, SMALL_SEGMENTS);
        appendScrapes(log, 300, 1_764_000_000_000L);
        ColdTier tier = tier();
        tier.registerMetrics(log);
        awaitOffloaded(tier, log);
        List<Record> local = readAllLocal(log);

        long localBytes = log.closedSegments().stream().mapToLong(s -> s.sizeInBytes()).sum();
        long remoteBytes = tier.segments(TP).stream().mapToLong(RemoteSegmentInfo::sizeInBytes).sum();
        assertThat(remoteBytes).as("series blocks vs segment copies").isLessThan(localBytes / 3);
        assertThat(readAllRemote(tier, 64 * 1024)).containsExactlyElementsOf(local);
        for (int i = 0; i < 100; i++) { // random single-record reads: the batch starts at the record asked for
            Record wanted = local.get(rnd.nextInt(local.size()));
            assertThat(LogFixture.fromOffset(tier.read(TP, wanted.offset(), 1))).first().isEqualTo(wanted);
        }
        for (long ts : new long[] {0, 1_764_000_000_000L + 1234, 1_764_000_000_000L + 2_000_000L, Long.MAX_VALUE}) {
            long expected = local.stream().filter(r -> r.timestamp() >= ts).mapToLong(Record::offset).findFirst().orElse(-1);
            assertThat(tier.offsetForTimestamp(TP, ts)).as("offset for %d", ts).isEqualTo(expected);
        }
        ColdTier fresh = tier(); // a new reader: only what the manifest and objects say
        assertThat(readAllRemote(fresh, 200_000)).containsExactlyElementsOf(local);

        long from = 1_764_000_000_000L + 500_000L;
        long to = 1_764_000_000_000L + 1_500_000L;
        byte[] wantedKey = SeriesKey.of("requests_total", Map.of("host", "h3", "env", "prod")).toBytes();
        List<String> expected = local.stream()
                .filter(r -> java.util.Arrays.equals(r.key(), wantedKey) && r.timestamp() >= from && r.timestamp() <= to)
                .map(r -> r.timestamp() + "=" + MetricCodec.decode(r).value()).toList();
        SeriesSelection selection = fresh.selectSeries(TP, Map.of(io.tierlog.cold.series.SeriesBlockReader.NAME_LABEL,
                "requests_total", "host", "h3"), from, to);
        List<String> selected = new ArrayList<>();
        for (var samples : selection.series()) {
            assertThat(samples.key()).isEqualTo(wantedKey);
            for (int i = 0; i < samples.timestamps().length; i++) {
                selected.add(samples.timestamps()[i] + "=" + samples.values()[i]);
            }
        }
        assertThat(expected).isNotEmpty();
        assertThat(selected).containsExactlyElementsOf(expected);
        assertThat(selection.segmentCopies()).isEmpty();
    }

    /**
     * 120 scrapes offloaded as segment copies (as before series blocks), then {@code scrapes} more by a tier that
     * writes series blocks (with {@link #config}); returns that tier.
     */
    private ColdTier copiesThenBlocks(PartitionLog log, int scrapes) {
        appendScrapes(log, 120, 1_764_000_000_000L);
        ColdTier before = tier();
        before.register(log);
        awaitOffloaded(before, log);
        before.close();
        appendScrapes(log, scrapes, 1_764_100_000_000L);
        ColdTier after = tier();
        after.registerMetrics(log);
        awaitOffloaded(after, log);
        return after;
    }

    @Test
    void segment_copies_written_before_stay_readable_beside_series_blocks() {
        PartitionLog log = logs.open(TP, SMALL_SEGMENTS);
        ColdTier after = copiesThenBlocks(log, 120);

        Manifest manifest = Manifest.decode(s3.get(new ObjectKeys(config.keyPrefix()).manifest(TP)), TP, "manifest");
        assertThat(manifest.segments()).extracting(Manifest.Entry::format)
                .contains(ObjectFormat.SEGMENT_COPY, ObjectFormat.SERIES_BLOCK);
        assertThat(readAllRemote(tier(), 64 * 1024)).containsExactlyElementsOf(readAllLocal(log));
        SeriesSelection all = after.selectSeries(TP, Map.of(), Long.MIN_VALUE, Long.MAX_VALUE);
        assertThat(all.segmentCopies()).extracting(RemoteSegmentInfo::baseOffset).containsExactlyElementsOf(
                manifest.segments().stream().filter(e -> e.format() == ObjectFormat.SEGMENT_COPY).map(e -> e.info().baseOffset()).toList());
        assertThat(all.series()).isNotEmpty();
    }

    /**
     * Blocks are written with the configured rollup resolutions; selectRollups answers a series' buckets from every
     * block that holds them (the buckets of one series across blocks add up to those of its samples) and leaves
     * segment copies and blocks without rollups at that resolution to the caller.
     */
    @Test
    void rollups_are_written_at_the_configured_resolutions_and_selected_per_block() {
        PartitionLog log = logs.open(TP, SMALL_SEGMENTS);
        config = config.withRollups(List.of(300_000L, 60_000L));
        ColdTier tier = copiesThenBlocks(log, 400);
        assertThat(tier.rollupResolutions()).containsExactly(60_000L, 300_000L);

        byte[] wantedKey = SeriesKey.of("requests_total", Map.of("host", "h3", "env", "prod")).toBytes();
        long minEnd = 1_764_100_000_000L + 600_000L;
        long maxEnd = 1_764_100_000_000L + 3_000_000L;
        RollupSelection selection = tier.selectRollups(TP, Map.of("host", "h3"),
                key -> java.util.Arrays.equals(key, wantedKey), 300_000L, minEnd, maxEnd, Long.MAX_VALUE);
        Manifest manifest = Manifest.decode(s3.get(new ObjectKeys(config.keyPrefix()).manifest(TP)), TP, "manifest");
        assertThat(selection.unrolled()).extracting(RemoteSegmentInfo::baseOffset).containsExactlyElementsOf(
                manifest.segments().stream().filter(e -> e.format() == ObjectFormat.SEGMENT_COPY)
                        .filter(e -> e.info().maxTimestamp() >= minEnd - 300_000L + 1).map(e -> e.info().baseOffset()).toList());
        java.util.TreeMap<Long, long[]> counts = new java.util.TreeMap<>(); // end -> {count, max bits}
        for (var r : selection.rollups()) {
            assertThat(r.key()).isEqualTo(wantedKey);
            assertThat(r.clean()).isTrue();
            for (int i = 0; i < r.bucketEnds().length; i++) {
                counts.merge(r.bucketEnds()[i], new long[] {r.counts()[i]}, (x, y) -> new long[] {x[0] + y[0]});
            }
        }
        java.util.TreeMap<Long, long[]> expected = new java.util.TreeMap<>();
        for (Record r : readAllLocal(log)) {
            long end = Math.ceilDiv(r.timestamp(), 300_000L) * 300_000L;
            if (java.util.Arrays.equals(r.key(), wantedKey) && r.timestamp() >= 1_764_100_000_000L && end >= minEnd && end <= maxEnd) {
                expected.merge(end, new long[] {1}, (x, y) -> new long[] {x[0] + y[0]});
            }
        }
        assertThat(counts).isNotEmpty();
        assertThat(counts.keySet()).containsExactlyElementsOf(expected.keySet());
        counts.forEach((end, c) -> assertThat(c[0]).as("samples ending at %d", end).isEqualTo(expected.get(end)[0]));
        assertThat(tier.selectRollups(TP, Map.of(), k -> true, 3_600_000L, minEnd, maxEnd, Long.MAX_VALUE).rollups())
                .as("no block holds hour rollups").isEmpty();

        // a second ask (a dashboard's refresh) finds the blocks' rollup sections cached: no GET
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ColdTier reader = bed.tier(s3, config, registry);
        java.util.function.Supplier<List<String>> ask = () -> reader.selectRollups(TP, Map.of("host", "h3"),
                key -> java.util.Arrays.equals(key, wantedKey), 300_000L, minEnd, maxEnd, Long.MAX_VALUE).rollups().stream()
                .map(r -> java.util.Arrays.toString(r.bucketEnds()) + java.util.Arrays.toString(r.counts())).toList();
        List<String> first = ask.get();
        double gets = registry.get("tierlog.cold.get.requests").counter().count();
        assertThat(ask.get()).isEqualTo(first).isNotEmpty();
        assertThat(registry.get("tierlog.cold.get.requests").counter().count()).isEqualTo(gets);
        reader.close();
        tier.close();
    }

    @Test
    void a_version_1_manifest_still_decodes_as_segment_copies() {
        byte[] key = "k/obj".getBytes();
        ByteBuffer b = ByteBuffer.allocate(4 + 4 + 8 + 4 + 5 * 8 + 4 + 2 + key.length + 4);
        b.putInt(Manifest.MAGIC).putInt(1).putLong(100).putInt(1)
                .putLong(0).putLong(100).putLong(5).putLong(9).putLong(4096).putInt(40)
                .putShort((short) key.length).put(key);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());

        Manifest m = Manifest.decode(b.array(), TP, "v1");

        assertThat(m.segments()).singleElement().satisfies(e -> {
            assertThat(e.format()).isEqualTo(ObjectFormat.SEGMENT_COPY);
            assertThat(e.key()).isEqualTo("k/obj");
            assertThat(e.objectSize()).isEqualTo(4096 + 40);
        });
        Manifest reencoded = Manifest.decode(m.append(new Manifest.Entry(new RemoteSegmentInfo(TP, 100, 200, 1, 2, 77, "k/b"),
                77, 0, ObjectFormat.SERIES_BLOCK)).encode(), TP, "v2");
        assertThat(reencoded.segments()).extracting(Manifest.Entry::format)
                .containsExactly(ObjectFormat.SEGMENT_COPY, ObjectFormat.SERIES_BLOCK);
    }
}
