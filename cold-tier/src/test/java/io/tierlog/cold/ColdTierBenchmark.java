package io.tierlog.cold;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tierlog.cold.testing.S3ProxyHarness;
import io.tierlog.core.BatchBuilder;
import io.tierlog.core.Compression;
import io.tierlog.core.RecordBatch;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.FetchData;
import io.tierlog.hot.FsyncPolicy;
import io.tierlog.hot.LogConfig;
import io.tierlog.hot.LogManager;
import io.tierlog.hot.PartitionLog;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Cold-tier figures against S3Proxy in-process (filesystem store): offload throughput, sequential replay from
 * cold vs hot, latency of random 1000-record reads (cold cache, warm cache, hot) and GETs per cold read.
 * Run: {@code ./mvnw -B -q -o -pl cold-tier verify -Dtest=ColdTierBenchmark -Dtest.groups.excluded=}
 * (sizes: {@code -Dbench.partitions=4 -Dbench.mibPerPartition=64 -Dbench.samples=300}).
 */
@Tag("benchmark")
class ColdTierBenchmark {
    private static final int RECORDS_PER_BATCH = 100;
    private static final int VALUE_BYTES = 200;

    @TempDir
    Path dir;

    @Test
    void measure() throws Exception {
        int partitions = Integer.getInteger("bench.partitions", 4);
        long bytesPerPartition = Long.getLong("bench.mibPerPartition", 64L) * 1024 * 1024;
        int samples = Integer.getInteger("bench.samples", 300);
        Random rnd = new Random(1);
        try (S3ProxyHarness server = S3ProxyHarness.startFilesystem(java.nio.file.Files.createDirectories(dir.resolve("s3")));
             S3ObjectStore store = server.store("bench");
             LogManager logs = new LogManager(dir.resolve("data"))) {
            LogConfig logConfig = new LogConfig(32L * 1024 * 1024, 3_600_000, 4096, FsyncPolicy.NEVER);
            List<PartitionLog> parts = new ArrayList<>();
            long total = 0;
            for (int p = 0; p < partitions; p++) {
                PartitionLog log = logs.open(new TopicPartition("bench", p), logConfig);
                BatchBuilder b = new BatchBuilder(Compression.NONE);
                long ts = 1_000_000;
                while (log.sizeInBytes() < bytesPerPartition) {
                    b.reset();
                    for (int i = 0; i < RECORDS_PER_BATCH; i++) {
                        byte[] v = new byte[VALUE_BYTES];
                        rnd.nextBytes(v);
                        b.add(ts++, ("series-" + (i % 50)).getBytes(), v);
                    }
                    log.advanceHighWatermark(log.append(b.build().buffer()).nextOffset());
                }
                log.roll();
                total += log.sizeInBytes();
                parts.add(log);
            }

            // 1. offload throughput
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            ColdTierConfig config = ColdTierConfig.DEFAULTS.withKeyPrefix("bench");
            try (ColdTier tier = new ColdTier(store, config, registry)) {
                tier.start();
                long t0 = System.nanoTime();
                parts.forEach(tier::register);
                await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(10))
                        .until(() -> parts.stream().allMatch(l -> l.closedSegments().stream().allMatch(tier::isOffloaded)));
                double secs = (System.nanoTime() - t0) / 1e9;
                report("offload: %d MiB in %d segments over %d partitions, %.2f s, %.1f MB/s", total >> 20,
                        (long) registry.counter("tierlog.cold.uploads").count(), partitions, secs, total / 1e6 / secs);
            }

            // raw ranged GET cost of this server, for reference
            String key = store.list("bench/bench/0/").stream().map(ObjectMeta::key).filter(k -> k.endsWith(".seg")).findFirst().orElseThrow();
            for (int size : new int[] {64 * 1024, 1024 * 1024, 4 * 1024 * 1024, 16 * 1024 * 1024}) {
                Histogram h = new Histogram(3);
                for (int i = 0; i < 10; i++) {
                    long s = System.nanoTime();
                    store.getRange(key, 0, size);
                    h.recordValue((System.nanoTime() - s) / 1000);
                }
                report("raw ranged GET of %d KiB: p50 %d us, %.1f MB/s", size / 1024, h.getValueAtPercentile(50),
                        size / 1e6 / (h.getValueAtPercentile(50) / 1e6));
            }

            // 2. sequential replay, hot vs cold (fresh tier: empty caches, read-ahead on); partition 1 warms the JIT
            int fetch = 1024 * 1024;
            try (ColdTier warmup = new ColdTier(store, config, new SimpleMeterRegistry())) {
                PartitionLog other = parts.get(parts.size() - 1);
                for (long off = 0; off < other.logEndOffset(); ) {
                    off = lastNext(other.read(off, fetch));
                }
                for (long off = 0; off < other.logEndOffset(); ) {
                    off = lastNext(warmup.read(other.topicPartition(), off, fetch));
                }
            }
            PartitionLog log = parts.get(0);
            TopicPartition tp = log.topicPartition();
            long hotBytes = 0;
            long t0 = System.nanoTime();
            for (long off = 0; off < log.logEndOffset(); ) {
                FetchData f = log.read(off, fetch);
                hotBytes += f.batches().remaining();
                off = lastNext(f);
            }
            double hotSecs = (System.nanoTime() - t0) / 1e9;
            SimpleMeterRegistry readRegistry = new SimpleMeterRegistry();
            try (ColdTier tier = new ColdTier(store, config, readRegistry)) {
                long coldBytes = 0;
                t0 = System.nanoTime();
                for (long off = 0; off < tier.remoteEndOffset(tp); ) {
                    FetchData f = tier.read(tp, off, fetch);
                    coldBytes += f.batches().remaining();
                    off = lastNext(f);
                }
                double coldSecs = (System.nanoTime() - t0) / 1e9;
                assertThat(coldBytes).isEqualTo(hotBytes);
                report("replay (1 MiB fetches, %d MiB): hot %.1f MB/s, cold %.1f MB/s (%.0f%% of hot), %d GETs",
                        hotBytes >> 20, hotBytes / 1e6 / hotSecs, coldBytes / 1e6 / coldSecs,
                        100.0 * hotSecs / coldSecs, (long) readRegistry.counter("tierlog.cold.get.requests").count());

                // 3. random 1000-record reads
                int batchSize = RecordBatch.wrap(log.read(0, 1).batches()).sizeInBytes();
                int maxBytes = 10 * batchSize; // 10 batches of 100 records
                Histogram cold = new Histogram(3);
                Histogram warm = new Histogram(3);
                Histogram hot = new Histogram(3);
                long gets = 0;
                Random r = new Random(2);
                for (int i = 0; i < samples; i++) {
                    long off = (long) (r.nextDouble() * (log.logEndOffset() - 1000));
                    tier.invalidateCaches();
                    double before = readRegistry.counter("tierlog.cold.get.requests").count();
                    long s = System.nanoTime();
                    FetchData c = tier.read(tp, off, maxBytes);
                    cold.recordValue((System.nanoTime() - s) / 1000);
                    gets += (long) (readRegistry.counter("tierlog.cold.get.requests").count() - before);
                    s = System.nanoTime();
                    FetchData w = tier.read(tp, off, maxBytes);
                    warm.recordValue((System.nanoTime() - s) / 1000);
                    s = System.nanoTime();
                    FetchData h = log.read(off, maxBytes);
                    hot.recordValue((System.nanoTime() - s) / 1000);
                    assertThat(c.batches()).isEqualTo(h.batches());
                    assertThat(w.batches()).isEqualTo(h.batches());
                }
                report("random 1000-record read (%d bytes, %d samples), microseconds: cold-cache p50 %d p99 %d; "
                                + "warm-cache p50 %d p99 %d; hot p50 %d p99 %d; GETs per cold read %.2f",
                        maxBytes, samples, cold.getValueAtPercentile(50), cold.getValueAtPercentile(99),
                        warm.getValueAtPercentile(50), warm.getValueAtPercentile(99),
                        hot.getValueAtPercentile(50), hot.getValueAtPercentile(99), (double) gets / samples);
            }
        }
    }

    private static long lastNext(FetchData f) {
        long next = f.fetchOffset();
        for (RecordBatch b : RecordBatch.iterate(f.batches())) {
            next = b.nextOffset();
        }
        return next;
    }

    private static void report(String format, Object... args) {
        System.out.println("BENCH " + String.format(format, args));
    }
}
