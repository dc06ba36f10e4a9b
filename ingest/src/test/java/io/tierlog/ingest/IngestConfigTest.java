package io.tierlog.ingest;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.LogConfig;
import io.tierlog.hot.LogManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static io.tierlog.ingest.TestData.batch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class IngestConfigTest {
    private static final TopicPartition P0 = new TopicPartition("cpu", 0);

    @TempDir
    Path dir;

    @Test
    void defaultsAreSaneAndInvalidValuesAreNamed() {
        IngestConfig d = IngestConfig.defaults();
        assertThat(d.shards()).isBetween(1, Runtime.getRuntime().availableProcessors());
        assertThat(Integer.bitCount(d.ringSize())).isEqualTo(1);
        assertThat(d.waitStrategy()).isEqualTo(IngestConfig.WaitStrategy.BLOCKING);
        assertThat(d.defaultAcks()).isEqualTo(Acks.LEADER);
        assertThatThrownBy(() -> d.withRingSize(1000)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ringSize").hasMessageContaining("power of two");
        assertThatThrownBy(() -> d.withShards(0)).hasMessageContaining("shards");
        assertThatThrownBy(() -> d.withPublishTimeout(Duration.ofMillis(-1))).hasMessageContaining("publishTimeout");
        assertThatThrownBy(() -> d.withFlushTick(Duration.ZERO)).hasMessageContaining("flushTick");
        assertThat(Acks.parse("Durable")).isEqualTo(Acks.DURABLE);
        assertThatThrownBy(() -> Acks.parse("all")).hasMessageContaining("leader or durable");
    }

    @ParameterizedTest
    @EnumSource(IngestConfig.WaitStrategy.class)
    void everyWaitStrategyDeliversAndStops(IngestConfig.WaitStrategy strategy) throws Exception {
        Set<String> before = TestData.ingestThreads();
        try (LogManager manager = new LogManager(dir)) {
            IngestConfig config = IngestConfig.defaults().withShards(1).withRingSize(64).withWaitStrategy(strategy);
            try (IngestPipeline p = new IngestPipeline(config, TestData.Logs.onDisk(manager, LogConfig.DEFAULTS),
                    new SimpleMeterRegistry())) {
                for (int i = 0; i < 20; i++) {
                    assertThat(p.append(P0, batch(0, i, 1), Acks.LEADER).get(5, TimeUnit.SECONDS).baseOffset()).isEqualTo(i);
                }
            }
        }
        assertThat(TestData.ingestThreads()).isEqualTo(before);
    }

    @Test
    void defaultWaitStrategyDoesNotBurnACoreWhileIdle() throws Exception {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        try (LogManager manager = new LogManager(dir);
             IngestPipeline p = new IngestPipeline(IngestConfig.defaults().withShards(2), TestData.Logs.onDisk(manager,
                     LogConfig.DEFAULTS), new SimpleMeterRegistry())) {
            p.append(P0, batch(0, 0, 1), Acks.LEADER).get(5, TimeUnit.SECONDS);
            long[] ids = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().startsWith("tierlog-ingest-")).mapToLong(Thread::threadId).toArray();
            assertThat(ids).hasSizeGreaterThanOrEqualTo(3);
            long cpu0 = 0;
            for (long id : ids) {
                cpu0 += Math.max(0, mx.getThreadCpuTime(id));
            }
            long wall0 = System.nanoTime();
            // an idle measuring window, not synchronisation: nothing is published during it
            await().pollDelay(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> true);
            long wall = System.nanoTime() - wall0;
            long cpu = -cpu0;
            for (long id : ids) {
                cpu += Math.max(0, mx.getThreadCpuTime(id));
            }
            assertThat((double) cpu / wall).as("CPU share of the idle pipeline threads").isLessThan(0.10);
        }
    }
}
