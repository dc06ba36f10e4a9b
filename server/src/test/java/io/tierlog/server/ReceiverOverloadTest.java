package io.tierlog.server;

import com.google.protobuf.UnknownFieldSet;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.tierlog.receivers.proto.prometheus.Remote.WriteRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xerial.snappy.Snappy;

import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * When the server cannot take data (here: the disk guard, as when an S3 outage keeps segments local), both doors
 * answer what their senders retry: 503 with Retry-After (remote_write), and 503 with a Status of code UNAVAILABLE
 * (OTLP). Nothing is stored, and the same request succeeds once the server can take it.
 */
class ReceiverOverloadTest {
    @TempDir
    Path dir;

    @Test
    void both_doors_answer_a_retryable_503_while_the_disk_guard_refuses_writes() throws Exception {
        byte[] rw = Snappy.compress(WriteRequest.newBuilder()
                .addTimeseries(RemoteWriteReceiverTest.series("overload_rw", Map.of(), 1_000, 1)).build().toByteArray());
        byte[] otlp = ExportMetricsServiceRequest.newBuilder().addResourceMetrics(ResourceMetrics.newBuilder()
                .addScopeMetrics(ScopeMetrics.newBuilder().addMetrics(Metric.newBuilder().setName("overload_otlp")
                        .setGauge(Gauge.newBuilder().addDataPoints(NumberDataPoint.newBuilder()
                                .setTimeUnixNano(1_000_000_000L).setAsDouble(1)))))).build().toByteArray();
        Path data = dir.resolve("data");
        try (ServerHarness h = new ServerHarness(data, Map.of("min.free.disk.bytes", Long.toString(Long.MAX_VALUE)))) {
            h.createTopic("metrics", 1, "{\"schema\":\"metrics\"}");

            ServerHarness.Resp r1 = h.send(HttpRequest.newBuilder(URI.create(h.base + "/api/v1/write"))
                    .header("Content-Type", "application/x-protobuf").header("Content-Encoding", "snappy")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(rw)));
            assertThat(r1.status()).isEqualTo(503);
            assertThat(r1.header("Retry-After")).isEqualTo("1");

            ServerHarness.Resp r2 = h.send(HttpRequest.newBuilder(URI.create(h.base + "/v1/metrics"))
                    .header("Content-Type", "application/x-protobuf").POST(HttpRequest.BodyPublishers.ofByteArray(otlp)));
            assertThat(r2.status()).isEqualTo(503);
            assertThat(r2.header("Retry-After")).isEqualTo("1");
            assertThat(UnknownFieldSet.parseFrom(r2.raw().body()).getField(1).getVarintList()).containsExactly(14L);

            assertThat(h.get("/v1/topics/metrics/records?from=0&to=9999999999999").json().get("count").asInt()).isZero();
        }
        try (ServerHarness h = new ServerHarness(data)) {
            ServerHarness.Resp r1 = h.send(HttpRequest.newBuilder(URI.create(h.base + "/api/v1/write"))
                    .header("Content-Type", "application/x-protobuf").header("Content-Encoding", "snappy")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(rw)));
            assertThat(r1.status()).isEqualTo(204);
            ServerHarness.Resp r2 = h.send(HttpRequest.newBuilder(URI.create(h.base + "/v1/metrics"))
                    .header("Content-Type", "application/x-protobuf").POST(HttpRequest.BodyPublishers.ofByteArray(otlp)));
            assertThat(r2.status()).isEqualTo(200);
            assertThat(h.get("/v1/topics/metrics/records?from=0&to=9999999999999").json().get("count").asInt()).isEqualTo(2);
        }
    }
}
