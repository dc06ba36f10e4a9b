package io.tierlog.cold;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tierlog.cold.testing.LogFixture;
import io.tierlog.cold.testing.S3ProxyHarness;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.FsyncPolicy;
import io.tierlog.hot.LogConfig;
import io.tierlog.hot.LogManager;
import io.tierlog.hot.PartitionLog;
import io.tierlog.hot.SegmentInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A closed local segment that does not scan (here: its first batch claims a wrong base offset) is quarantined -
 * copied aside, counted, logged - and skipped, instead of blocking every later upload of its partition forever.
 */
class CorruptLocalSegmentTest {
    private static S3ProxyHarness server;
    private static S3ObjectStore s3;

    @TempDir
    Path dir;

    @BeforeAll
    static void startServer() {
        server = S3ProxyHarness.startTransient();
        s3 = server.store("corrupt-local");
    }

    @AfterAll
    static void stopServer() {
        s3.close();
        server.close();
    }

    @Test
    void aCorruptClosedSegmentIsQuarantinedAndTheLaterOnesAreOffloaded() throws Exception {
        TopicPartition tp = new TopicPartition("damaged", 0);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (LogManager logs = new LogManager(dir.resolve("data"));
             ColdTier tier = new ColdTier(s3, ColdTierConfig.DEFAULTS.withKeyPrefix("q-" + UUID.randomUUID())
                     .withRetryBackoff(Duration.ofMillis(5), Duration.ofMillis(50)), registry)) {
            tier.start();
            PartitionLog log = logs.open(tp, new LogConfig(16 * 1024, 3_600_000, 1024, FsyncPolicy.NEVER));
            Random rnd = new Random(11);
            for (int i = 0; i < 60; i++) {
                LogFixture.appendBatch(log, rnd, 10, 200, i);
            }
            log.roll();
            List<SegmentInfo> closed = log.closedSegments();
            assertThat(closed).hasSizeGreaterThan(3);
            SegmentInfo bad = closed.get(1);
            try (FileChannel ch = FileChannel.open(bad.logFile(), StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.allocate(8).putLong(0, bad.baseOffset() + 7), 0); // the first batch's base offset
            }

            tier.register(log);
            SegmentInfo last = closed.getLast();
            await().atMost(Duration.ofSeconds(30)).until(() -> tier.isOffloaded(last));
            assertThat(registry.counter("tierlog.cold.quarantined.segments").count()).isEqualTo(1);
            assertThat(bad.logFile().resolveSibling("quarantine").resolve(bad.logFile().getFileName()))
                    .exists().hasSameBinaryContentAs(bad.logFile());
            assertThat(tier.segments(tp)).hasSize(closed.size() - 1)
                    .noneMatch(s -> s.baseOffset() == bad.baseOffset());
            assertThat(Files.exists(bad.logFile())).as("the hot tier's copy is left to its retention").isTrue();
            long end = last.nextOffset();
            assertThat(LogFixture.bytes(tier.read(tp, end - 1, 10).batches()))
                    .isEqualTo(LogFixture.bytes(log.read(end - 1, 10).batches()));
        }
    }
}
