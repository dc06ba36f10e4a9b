package io.tierlog.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.UnknownFieldSet;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.registry.otlp.OtlpMeterRegistry;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogram;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Gauge.Builder;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import io.micrometer.core.instrument.Clock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code POST /v1/metrics} against a whole server: Micrometer's OTLP registry (a real OTLP/HTTP client) pushing
 * counters, gauges and timers; protobuf, JSON and gzip bodies; partial success for points Tierlog cannot store; and
 * malformed bodies answered with a {@code google.rpc.Status} while nothing is stored.
 */
class OtlpReceiverTest {
    private static final long T_NANOS = 1_700_000_000_000_000_000L;

    @TempDir
    static Path dir;
    static ServerHarness h;

    @BeforeAll
    static void start() {
        h = new ServerHarness(dir.resolve("data"), Map.of("otlp.promote.resource.attributes", "deployment.environment"));
        h.createTopic("metrics", 2, "{\"schema\":\"metrics\"}");
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    static List<JsonNode> stored(String name) {
        ServerHarness.Resp r = h.get("/v1/topics/metrics/records?from=0&to=9999999999999&name=" + name);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        List<JsonNode> out = new ArrayList<>();
        r.json().get("records").forEach(out::add);
        return out;
    }

    static ServerHarness.Resp post(String contentType, String encoding, byte[] body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(h.base + "/v1/metrics")).header("Content-Type", contentType);
        if (encoding != null) {
            b.header("Content-Encoding", encoding);
        }
        return h.send(b.POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    static KeyValue attr(String k, String v) {
        return KeyValue.newBuilder().setKey(k).setValue(AnyValue.newBuilder().setStringValue(v)).build();
    }

    static ExportMetricsServiceRequest request(String service, Metric... metrics) {
        return ExportMetricsServiceRequest.newBuilder().addResourceMetrics(ResourceMetrics.newBuilder()
                .setResource(Resource.newBuilder().addAttributes(attr("service.name", service)))
                .addScopeMetrics(ScopeMetrics.newBuilder().addAllMetrics(List.of(metrics)))).build();
    }

    static Metric gauge(String name, double value) {
        Builder g = io.opentelemetry.proto.metrics.v1.Gauge.newBuilder()
                .addDataPoints(NumberDataPoint.newBuilder().setTimeUnixNano(T_NANOS).setAsDouble(value));
        return Metric.newBuilder().setName(name).setGauge(g).build();
    }

    @Test
    void micrometer_otlp_registry_pushes_counters_gauges_and_timers_that_are_stored_with_prometheus_names() {
        OtlpMeterRegistry registry = readmeRegistry(h.base);
        AtomicInteger depth = new AtomicInteger(7);
        Counter.builder("orders.placed").tag("region", "eu").register(registry).increment(3);
        Gauge.builder("queue.depth", depth, AtomicInteger::get).register(registry);
        Timer.builder("checkout.latency").register(registry).record(250, TimeUnit.MILLISECONDS);

        registry.close(); // publishes what the meters hold

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            List<JsonNode> orders = stored("orders_placed_total");
            assertThat(orders).singleElement().satisfies(n -> {
                assertThat(n.get("value").asDouble()).isEqualTo(3.0);
                assertThat(n.get("type").asText()).isEqualTo("counter");
                assertThat(n.get("tags").get("job").asText()).isEqualTo("checkout");
                assertThat(n.get("tags").get("region").asText()).isEqualTo("eu");
                assertThat(n.get("tags").get("deployment_environment").asText()).isEqualTo("prod");
            });
            assertThat(stored("queue_depth")).singleElement()
                    .satisfies(n -> assertThat(n.get("value").asDouble()).isEqualTo(7.0));
            assertThat(stored("checkout_latency_milliseconds_count")).singleElement()
                    .satisfies(n -> assertThat(n.get("value").asDouble()).isEqualTo(1.0));
            assertThat(stored("checkout_latency_milliseconds_sum")).singleElement()
                    .satisfies(n -> assertThat(n.get("value").asDouble()).isEqualTo(250.0));
        });
        assertThat(h.get("/metrics").body()).containsPattern("tierlog_receiver_samples_total\\{door=\"otlp\",outcome=\"accepted\"} [1-9]");
    }

    @Test
    void protobuf_json_and_gzip_bodies_are_stored_and_answered_in_their_encoding() throws IOException {
        ServerHarness.Resp pb = post("application/x-protobuf", null, request("svc", gauge("otlp_pb", 1)).toByteArray());
        assertThat(pb.status()).isEqualTo(200);
        assertThat(pb.header("Content-Type")).startsWith("application/x-protobuf");
        assertThat(ExportMetricsServiceResponse.parseFrom(pb.raw().body()).hasPartialSuccess()).isFalse();

        String json = """
                {"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},
                 "scopeMetrics":[{"metrics":[{"name":"otlp_json","gauge":{"dataPoints":[
                   {"timeUnixNano":"1700000000000000000","asDouble":2.5}]}}]}]}]}""";
        ServerHarness.Resp js = post("application/json", null, json.getBytes(StandardCharsets.UTF_8));
        assertThat(js.status()).as(js.body()).isEqualTo(200);
        assertThat(js.json()).isNotNull();

        ServerHarness.Resp gz = post("application/x-protobuf", "gzip", gzip(request("svc", gauge("otlp_gz", 3)).toByteArray()));
        assertThat(gz.status()).isEqualTo(200);

        assertThat(stored("otlp_pb")).extracting(n -> n.get("value").asDouble()).containsExactly(1.0);
        assertThat(stored("otlp_json")).extracting(n -> n.get("value").asDouble()).containsExactly(2.5);
        assertThat(stored("otlp_gz")).extracting(n -> n.get("timestamp").asLong()).containsExactly(T_NANOS / 1_000_000);
    }

    @Test
    void points_tierlog_cannot_store_are_a_partial_success_and_the_rest_is_stored() throws IOException {
        Metric exp = Metric.newBuilder().setName("otlp_exp").setExponentialHistogram(ExponentialHistogram.newBuilder()
                .addDataPoints(ExponentialHistogramDataPoint.newBuilder().setTimeUnixNano(T_NANOS))).build();
        ServerHarness.Resp r = post("application/x-protobuf", null, request("svc", gauge("otlp_partial", 4), exp).toByteArray());
        assertThat(r.status()).isEqualTo(200);
        ExportMetricsServiceResponse resp = ExportMetricsServiceResponse.parseFrom(r.raw().body());
        assertThat(resp.getPartialSuccess().getRejectedDataPoints()).isEqualTo(1);
        assertThat(resp.getPartialSuccess().getErrorMessage()).contains("exponential histogram 'otlp_exp'");
        assertThat(stored("otlp_partial")).hasSize(1);
    }

    @Test
    void malformed_bodies_get_a_status_message_nothing_is_stored_and_the_server_keeps_serving() throws IOException {
        byte[] good = request("svc", gauge("otlp_bad", 1)).toByteArray();
        byte[] truncated = java.util.Arrays.copyOf(good, good.length - 3);
        ServerHarness.Resp r = post("application/x-protobuf", null, truncated);
        assertThat(r.status()).isEqualTo(400);
        UnknownFieldSet status = UnknownFieldSet.parseFrom(r.raw().body());
        assertThat(status.getField(1).getVarintList()).containsExactly(3L); // INVALID_ARGUMENT
        assertThat(status.getField(2).getLengthDelimitedList().getFirst().toStringUtf8())
                .contains("not a valid OTLP ExportMetricsServiceRequest");

        ServerHarness.Resp js = post("application/json", null, "{\"resourceMetrics\": [".getBytes(StandardCharsets.UTF_8));
        assertThat(js.status()).isEqualTo(400);
        assertThat(js.json().get("code").asInt()).isEqualTo(3);

        ServerHarness.Resp enc = post("application/x-protobuf", "zstd", good);
        assertThat(enc.status()).isEqualTo(415);
        ServerHarness.Resp type = post("text/plain", null, good);
        assertThat(type.status()).isEqualTo(415);
        assertThat(type.json().get("message").asText()).contains("application/x-protobuf or application/json");

        assertThat(stored("otlp_bad")).isEmpty();
        assertThat(post("application/x-protobuf", null, good).status()).isEqualTo(200);
        assertThat(stored("otlp_bad")).hasSize(1);
    }

    /** The README's snippet (the URL a parameter); the registry publishes every step (1 minute) and on close. */
    private static OtlpMeterRegistry readmeRegistry(String base) {
        Map<String, String> settings = Map.of(
                "otlp.url", base + "/v1/metrics",
                "otlp.resourceAttributes", "service.name=checkout,deployment.environment=prod");
        OtlpMeterRegistry registry = new OtlpMeterRegistry(settings::get, Clock.SYSTEM);
        return registry;
    }

    @Test
    void the_readme_shows_the_tested_micrometer_snippet() throws IOException {
        String readme = java.nio.file.Files.readString(Path.of("..", "README.md"));
        assertThat(readme).contains("""
                Map<String, String> settings = Map.of(
                        "otlp.url", "http://127.0.0.1:7070/v1/metrics",
                        "otlp.resourceAttributes", "service.name=checkout,deployment.environment=prod");
                OtlpMeterRegistry registry = new OtlpMeterRegistry(settings::get, Clock.SYSTEM);""");
    }

    private static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(raw);
        }
        return out.toByteArray();
    }
}
