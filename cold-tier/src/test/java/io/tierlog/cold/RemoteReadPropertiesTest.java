package io.tierlog.cold;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tierlog.cold.testing.LogFixture;
import io.tierlog.cold.testing.S3ProxyHarness;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.FetchData;
import io.tierlog.hot.FsyncPolicy;
import io.tierlog.hot.LogConfig;
import io.tierlog.hot.LogManager;
import io.tierlog.hot.PartitionLog;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * For random segment layouts (batch sizes, record counts, compression, segment size, remote index density,
 * chunk size) and random (offset, maxBytes) reads, the cold tier returns exactly the bytes - hence exactly the
 * records - the hot tier returns for the same data, and the same offset for a timestamp.
 *
 * <p>20 tries only: each try writes a log, uploads every segment to S3Proxy over HTTP and reads it back
 * (about 0.2-0.5 s per try); 20 keeps the property under ~10 s of the module's test budget while every try
 * still covers 20 reads over several segments, index blocks and chunk boundaries.
 */
class RemoteReadPropertiesTest {
    private static S3ProxyHarness server;
    private static S3ObjectStore store;

    private static synchronized S3ObjectStore store() {
        if (server == null) {
            server = S3ProxyHarness.startTransient();
            store = server.store("properties");
        }
        return store;
    }

    @AfterContainer
    static void stop() {
        if (server != null) {
            store.close();
            server.close();
        }
    }

    record Layout(long seed, int batches, int maxRecords, int maxValue, int segmentBytes, int remoteIndexInterval,
                  int chunkBytes, int readAheadChunks) {
    }

    record Read(double position, int maxBytes) {
    }

    @Provide
    Arbitrary<Layout> layouts() {
        return Combinators.combine(Arbitraries.longs(), Arbitraries.integers().between(1, 120),
                        Arbitraries.integers().between(1, 40), Arbitraries.integers().between(0, 600),
                        Arbitraries.integers().between(2048, 64 * 1024), Arbitraries.integers().between(1, 16 * 1024),
                        Arbitraries.of(4096, 8192, 65536), Arbitraries.integers().between(0, 8))
                .as(Layout::new);
    }

    @Provide
    Arbitrary<List<Read>> reads() {
        return Combinators.combine(Arbitraries.doubles().between(0, 1), Arbitraries.integers().between(1, 100_000))
                .as(Read::new).list().ofSize(20);
    }

    @Property(tries = 20)
    void remoteReadsEqualLocalReads(@ForAll("layouts") Layout layout, @ForAll("reads") List<Read> reads) throws IOException {
        Path dir = Files.createTempDirectory("cold-prop");
        TopicPartition tp = new TopicPartition("p" + UUID.randomUUID(), 0);
        ColdTierConfig config = ColdTierConfig.DEFAULTS.withKeyPrefix("prop")
                .withIndexIntervalBytes(layout.remoteIndexInterval())
                .withCache(layout.chunkBytes(), 1024L * 1024, layout.readAheadChunks())
                .withRetryBackoff(Duration.ofMillis(5), Duration.ofMillis(50));
        try (LogManager logs = new LogManager(dir); ColdTier tier = new ColdTier(store(), config, new SimpleMeterRegistry())) {
            PartitionLog log = logs.open(tp, new LogConfig(layout.segmentBytes(), 3_600_000, 512, FsyncPolicy.NEVER));
            Random rnd = new Random(layout.seed());
            for (int i = 0; i < layout.batches(); i++) {
                LogFixture.appendBatch(log, rnd, 1 + rnd.nextInt(layout.maxRecords()), layout.maxValue(), 1000L * i);
            }
            log.roll();
            tier.start();
            tier.register(log);
            await().atMost(Duration.ofSeconds(30)).until(() -> log.closedSegments().stream().allMatch(tier::isOffloaded));
            long end = log.logEndOffset();
            assertThat(tier.remoteEndOffset(tp)).isEqualTo(end);
            for (Read r : reads) {
                long offset = Math.min(end - 1, (long) (r.position() * end));
                FetchData remote = tier.read(tp, offset, r.maxBytes());
                FetchData local = log.read(offset, r.maxBytes());
                assertThat(LogFixture.bytes(remote.batches())).as("read %s at %d", r, offset)
                        .isEqualTo(LogFixture.bytes(local.batches()));
                assertThat(LogFixture.fromOffset(remote)).first().extracting(io.tierlog.core.Record::offset).isEqualTo(offset);
                long ts = (long) (r.position() * 1000L * layout.batches());
                assertThat(tier.offsetForTimestamp(tp, ts)).as("offset for ts %d", ts).isEqualTo(log.offsetForTimestamp(ts));
            }
            tier.deleteTopic(tp.topic());
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
