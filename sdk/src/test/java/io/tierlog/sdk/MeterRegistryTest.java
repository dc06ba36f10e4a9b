package io.tierlog.sdk;

import static io.tierlog.sdk.SdkTesting.newTopic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.tierlog.core.MetricEvent;
import io.tierlog.core.MetricType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Micrometer registry writes meters to a metrics topic through the Kafka producer; read back with a consumer. */
class MeterRegistryTest {

    @Test
    void micrometerRegistryPublishesMetersToTheTopic(@TempDir Path dataDir) {
        try (TestServer server = TestServer.start(dataDir, Map.of());
             TierlogClient client = TierlogClient.create(server.uri())) {
            String metricsTopic = newTopic() + "-metrics";
            // the README's and docs/sdk.md's example, with the server's address
            TierlogMeterRegistry registry = new TierlogMeterRegistry(key -> switch (key) {
                case "tierlog.uri" -> server.uri().toString();
                case "tierlog.topic" -> metricsTopic;
                case "tierlog.step" -> "1h";
                default -> null;
            }, Clock.SYSTEM);
            Counter orders = Counter.builder("orders.placed").tag("region", "eu-west").register(registry);
            orders.increment(3);
            Timer latency = Timer.builder("http.server.requests").tag("uri", "/api/orders").register(registry);
            latency.record(Duration.ofMillis(250));
            latency.record(Duration.ofMillis(750));
            registry.gauge("queue.size", List.of(io.micrometer.core.instrument.Tag.of("queue", "in")), new int[]{7}, a -> a[0]);
            registry.close(); // publishes once more on close

            List<MetricEvent> events = new ArrayList<>();
            try (TierlogConsumer c = client.consumer(ConsumerConfig.defaults().withMaxWait(Duration.ofMillis(200)))) {
                c.subscribe(metricsTopic, StartPosition.earliest());
                await().atMost(Duration.ofSeconds(10)).until(() -> {
                    c.poll(Duration.ofMillis(200)).forEach(r -> events.add(r.metric()));
                    return events.stream().anyMatch(e -> e.name().equals("queue.size"));
                });
            }
            assertThat(events).anySatisfy(e -> {
                assertThat(e.name()).isEqualTo("orders.placed.count");
                assertThat(e.tags()).containsEntry("region", "eu-west");
                assertThat(e.value()).isEqualTo(3.0);
                assertThat(e.type()).isEqualTo(MetricType.COUNTER);
            });
            assertThat(events).anySatisfy(e -> {
                assertThat(e.name()).isEqualTo("http.server.requests.sum");
                assertThat(e.tags()).containsEntry("uri", "/api/orders");
                assertThat(e.value()).isEqualTo(1.0);
            });
            assertThat(events).anySatisfy(e -> {
                assertThat(e.name()).isEqualTo("http.server.requests.count");
                assertThat(e.value()).isEqualTo(2.0);
            });
            assertThat(events).anySatisfy(e -> {
                assertThat(e.name()).isEqualTo("queue.size");
                assertThat(e.tags()).containsEntry("queue", "in");
                assertThat(e.value()).isEqualTo(7.0);
            });
        }
    }

    @Test
    void aShortStepStillMakesAValidProducerConfig() {
        for (Duration step : List.of(Duration.ofMillis(1), Duration.ofSeconds(1), Duration.ofSeconds(10), Duration.ofHours(1))) {
            ProducerConfig cfg = TierlogMeterRegistry.producerConfig(step); // the constructor would refuse a bad one
            assertThat(cfg.maxBlock()).isLessThanOrEqualTo(step);
            assertThat(cfg.requestTimeout()).isLessThanOrEqualTo(Duration.ofSeconds(30));
        }
    }
}
