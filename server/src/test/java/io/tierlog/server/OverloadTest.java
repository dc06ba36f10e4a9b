package io.tierlog.server;

import io.tierlog.ingest.AppendListener;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A full ingest ring answers 503 overloaded with Retry-After (backpressure, never an unbounded queue), and a
 * refused request stores nothing: the high watermark is exactly the sum of the acknowledged counts.
 */
class OverloadTest {
    private static final int RING = 2;
    private static final int CONCURRENT = 6;

    @TempDir
    Path dir;

    @Test
    void fullRingAnswers503AndStoresNothingForIt() throws Exception {
        try (ServerHarness h = new ServerHarness(dir.resolve("data"), Map.of("ingest.ring.size", Integer.toString(RING),
                "ingest.publish.timeout.ms", "0", "ingest.shards", "1"))) {
            h.createTopic("busy", 1, null);
            // The writer thread calls append listeners before it releases its ring slots: blocking one there
            // stalls the writer deterministically, as a slow disk would, until the test lets it go.
            CountDownLatch stalled = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            AppendListener stall = (tp, highWatermark) -> {
                if (tp.topic().equals("busy")) {
                    stalled.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            };
            h.server.broker().ingest().addAppendListener(stall);
            String body = body(2000);
            List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
            calls.add(produce(h, body));
            assertThat(stalled.await(30, TimeUnit.SECONDS)).as("the writer took the first produce").isTrue();
            for (int c = 0; c < CONCURRENT; c++) {
                calls.add(produce(h, body));
            }
            // While the writer is stalled, only refusals can complete: at most the ring's slots are held.
            List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>(calls.subList(1, calls.size()));
            int refused = 0;
            while (refused < CONCURRENT - RING) {
                CompletableFuture.anyOf(pending.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
                for (var it = pending.iterator(); it.hasNext(); ) {
                    CompletableFuture<HttpResponse<String>> f = it.next();
                    if (f.isDone()) {
                        HttpResponse<String> r = f.get();
                        assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
                        assertThat(ServerHarness.JSON.readTree(r.body()).get("error").asText()).isEqualTo("overloaded");
                        assertThat(r.headers().firstValue("Retry-After")).isPresent();
                        refused++;
                        it.remove();
                    }
                }
            }
            release.countDown();
            h.server.broker().ingest().removeAppendListener(stall);
            long acked = 0;
            int accepted = 0;
            for (CompletableFuture<HttpResponse<String>> f : calls) {
                HttpResponse<String> r = f.get(30, TimeUnit.SECONDS);
                if (r.statusCode() == 200) {
                    acked += ServerHarness.JSON.readTree(r.body()).get("offsets").get(0).get("count").asInt();
                    accepted++;
                } else {
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
                }
            }
            assertThat(accepted).as("the stalled produce and what the ring held").isBetween(1, 1 + RING);
            assertThat(accepted + refused).isLessThanOrEqualTo(calls.size());
            long hw = h.get("/v1/topics/busy").json().get("partitions").get(0).get("highWatermark").asLong();
            assertThat(hw).isEqualTo(acked);
        }
    }

    private static String body(int records) {
        StringBuilder sb = new StringBuilder("{\"records\":[");
        for (int i = 0; i < records; i++) {
            sb.append(i == 0 ? "" : ",").append("{\"name\":\"load\",\"tags\":{\"i\":\"").append(i % 50)
                    .append("\"},\"value\":").append(i).append('}');
        }
        return sb.append("]}").toString();
    }

    private static CompletableFuture<HttpResponse<String>> produce(ServerHarness h, String body) {
        return h.http.sendAsync(HttpRequest.newBuilder(URI.create(h.base + "/v1/topics/busy/records?acks=leader"))
                .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
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
