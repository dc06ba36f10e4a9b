package io.tierlog.cold;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tierlog.cold.testing.FaultProxy;
import io.tierlog.cold.testing.LogFixture;
import io.tierlog.cold.testing.S3ProxyHarness;
import io.tierlog.core.TopicPartition;
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

import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The real SDK client behind an HTTP fault proxy: 503 SlowDown and 500 are retried, slowness hits the timeout. */
class S3FaultsTest {
    private static S3ProxyHarness server;
    private FaultProxy proxy;
    private S3ObjectStore store;

    @BeforeAll
    static void startServer() {
        server = S3ProxyHarness.startTransient();
        server.store("faults").close();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @BeforeEach
    void setUp() throws Exception {
        proxy = new FaultProxy(server.endpoint());
        store = S3ObjectStore.create(S3Config.compatible(proxy.endpoint(), "faults", S3ProxyHarness.ACCESS_KEY,
                S3ProxyHarness.SECRET_KEY).withRetries(4, Duration.ofMillis(700)));
    }

    @AfterEach
    void tearDown() {
        store.close();
        proxy.close();
    }

    @Test
    void slowDownAndInternalErrorsAreRetriedBySdk() {
        // (cutting the pooled connection in failNext may cost one attempt too: 4 attempts cover it)
        store.put("a", new byte[] {1, 2, 3});
        proxy.failNext(2, 503);
        store.put("b", new byte[] {4});
        assertThat(proxy.faultsServed.get()).isEqualTo(2);
        proxy.failNext(2, 500);
        assertThat(store.getRange("a", 1, 2)).containsExactly(2, 3);
        assertThat(proxy.faultsServed.get()).isEqualTo(4);
    }

    @Test
    void persistentErrorsSurfaceAsObjectStoreExceptionNamingTheKey() {
        proxy.failNext(4, 500); // no pooled connection yet: every attempt meets a fault
        assertThatThrownBy(() -> store.put("c", new byte[] {1})).isInstanceOf(ObjectStoreException.class)
                .hasMessageContaining("faults/c");
        assertThat(proxy.faultsServed.get()).isEqualTo(4); // maxAttempts, then give up to the caller
        store.put("c", new byte[] {1});
        assertThat(store.get("c")).containsExactly(1);
    }

    @Test
    void slowResponsesHitTheAttemptTimeout() {
        proxy.delayMs = 1000; // longer than the 0.7 s attempt timeout, for every attempt
        try (S3ObjectStore impatient = S3ObjectStore.create(S3Config.compatible(proxy.endpoint(), "faults",
                S3ProxyHarness.ACCESS_KEY, S3ProxyHarness.SECRET_KEY).withRetries(2, Duration.ofMillis(300)))) {
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> impatient.put("slow", new byte[] {1})).isInstanceOf(ObjectStoreException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofMillis(2000));
        }
        proxy.delayMs = 100;
        store.put("slow", new byte[] {2});
        assertThat(store.get("slow")).containsExactly(2);
    }

    @Test
    void offloadThroughFlakyHttpLosesNothing(@TempDir Path dir) {
        TopicPartition tp = new TopicPartition("flaky", 0);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (LogManager logs = new LogManager(dir);
             ColdTier tier = new ColdTier(store, ColdTierConfig.DEFAULTS.withKeyPrefix("flaky")
                     .withRetryBackoff(Duration.ofMillis(5), Duration.ofMillis(50)), registry)) {
            tier.start();
            PartitionLog log = logs.open(tp, new LogConfig(32 * 1024, 3_600_000, 1024, FsyncPolicy.NEVER));
            Random rnd = new Random(7);
            for (int i = 0; i < 60; i++) {
                LogFixture.appendBatch(log, rnd, 10, 200, i);
            }
            log.roll();
            proxy.failNext(7, 503); // more than one SDK call's attempts: the offloader's own retry takes over
            tier.register(log);
            await().atMost(Duration.ofSeconds(30)).until(() -> log.closedSegments().stream().allMatch(tier::isOffloaded));
            assertThat(proxy.faultsServed.get()).isEqualTo(7);
            assertThat(registry.counter("tierlog.cold.upload.failures").count()).isPositive();
            assertThat(tier.segments(tp)).hasSize(log.closedSegments().size());
            long end = log.logEndOffset();
            assertThat(LogFixture.bytes(tier.read(tp, end - 1, 10).batches()))
                    .isEqualTo(LogFixture.bytes(log.read(end - 1, 10).batches()));
        }
    }
}
