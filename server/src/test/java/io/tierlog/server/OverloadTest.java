package io.tierlog.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A full ingest ring answers 503 overloaded with Retry-After (backpressure, never an unbounded queue), and a
 * refused request stores nothing: the high watermark is exactly the sum of the acknowledged counts.
 */
class OverloadTest {
    @TempDir
    Path dir;

    @Test
    void fullRingAnswers503AndStoresNothingForIt() throws Exception {
        try (ServerHarness h = new ServerHarness(dir.resolve("data"), Map.of("ingest.ring.size", "2",
                "ingest.publish.timeout.ms", "0", "ingest.shards", "1"))) {
            h.createTopic("busy", 1, null);
            StringBuilder sb = new StringBuilder("{\"records\":[");
            for (int i = 0; i < 2000; i++) {
                sb.append(i == 0 ? "" : ",").append("{\"name\":\"load\",\"tags\":{\"i\":\"").append(i % 50)
                        .append("\"},\"value\":").append(i).append('}');
            }
            String body = sb.append("]}").toString();
            int acked = 0;
            int refused = 0;
            for (int round = 0; round < 5 && refused == 0; round++) {
                List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
                for (int c = 0; c < 48; c++) {
                    calls.add(h.http.sendAsync(HttpRequest.newBuilder(URI.create(h.base + "/v1/topics/busy/records?acks=durable"))
                            .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()));
                }
                for (CompletableFuture<HttpResponse<String>> f : calls) {
                    HttpResponse<String> r = f.get();
                    JsonNode n = ServerHarness.JSON.readTree(r.body());
                    if (r.statusCode() == 200) {
                        acked += n.get("offsets").get(0).get("count").asInt();
                    } else {
                        assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
                        assertThat(n.get("error").asText()).isEqualTo("overloaded");
                        assertThat(r.headers().firstValue("Retry-After")).isPresent();
                        refused++;
                    }
                }
            }
            assertThat(refused).as("some produce was refused with 503").isPositive();
            long hw = h.get("/v1/topics/busy").json().get("partitions").get(0).get("highWatermark").asLong();
            assertThat(hw).isEqualTo(acked);
        }
    }

    @Test
    void nearlyFullDiskAnswers503() {
        try (ServerHarness h = new ServerHarness(dir.resolve("data"), Map.of("min.free.disk.bytes",
                Long.toString(Long.MAX_VALUE / 2)))) {
            h.createTopic("full", 1, null);
            ServerHarness.Resp r = h.post("/v1/topics/full/records", "{\"records\":[{\"name\":\"a\",\"value\":1}]}");
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.json().get("error").asText()).isEqualTo("overloaded");
            assertThat(r.header("Retry-After")).isNotNull();
            assertThat(h.get("/v1/topics/full").json().get("partitions").get(0).get("highWatermark").asLong()).isZero();
        }
    }
}
