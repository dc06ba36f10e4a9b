package io.tierlog.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Tail reads: long polls wake on a produce, server-sent events deliver every record in order. */
class TailTest {
    @TempDir
    static Path dir;
    static ServerHarness h;

    @BeforeAll
    static void start() {
        h = new ServerHarness(dir.resolve("data"));
        h.createTopic("tail", 2, null);
        h.createTopic("sse", 1, null);
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    private static double waiters() {
        for (String line : h.get("/metrics").body().split("\n")) {
            if (line.startsWith("tierlog_query_waiters")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }

    @Test
    void longPollReturnsWithin50msOfAProduce() throws Exception {
        List<Long> lags = new ArrayList<>();
        for (int round = 0; round < 6; round++) {
            long hw = h.get("/v1/topics/tail/partitions/1/records?offset=0&maxRecords=1").json().get("highWatermark").asLong();
            CompletableFuture<HttpResponse<String>> poll = h.http.sendAsync(HttpRequest.newBuilder(URI.create(
                    h.base + "/v1/topics/tail/partitions/1/records?offset=" + hw + "&maxWaitMs=20000")).build(),
                    HttpResponse.BodyHandlers.ofString());
            await().atMost(Duration.ofSeconds(10)).until(() -> waiters() >= 1);
            assertThat(poll).isNotDone();
            long t0 = System.nanoTime();
            ServerHarness.Resp p = h.post("/v1/topics/tail/records",
                    "{\"records\":[{\"name\":\"x\",\"value\":" + round + ",\"partition\":1}]}");
            assertThat(p.status()).isEqualTo(200);
            HttpResponse<String> r = poll.get(10, TimeUnit.SECONDS);
            long lagMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            JsonNode body = ServerHarness.JSON.readTree(r.body());
            assertThat(body.get("records")).hasSize(1);
            assertThat(body.get("records").get(0).get("offset").asLong()).isEqualTo(hw);
            assertThat(body.get("records").get(0).get("value").asDouble()).isEqualTo(round);
            if (round > 0) { // the first round warms up the code paths
                lags.add(lagMs);
            }
        }
        lags.sort(null);
        // produce round trip + wake-up, measured from before the produce is sent
        assertThat(lags.get(lags.size() / 2)).as("median lag of %s", lags).isLessThan(50);
    }

    @Test
    void longPollTimesOutWithAnEmptyPage() {
        long t0 = System.nanoTime();
        JsonNode r = h.get("/v1/topics/tail/partitions/0/records?offset=0&maxWaitMs=300").json();
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertThat(r.get("records")).isEmpty();
        assertThat(r.get("nextOffset").asLong()).isZero();
        assertThat(ms).isGreaterThanOrEqualTo(250);
    }

    @Test
    void streamWithoutOffsetStartsAtTheHighWatermark() throws Exception {
        h.createTopic("sse2", 1, null);
        h.post("/v1/topics/sse2/records", "{\"records\":[{\"name\":\"old\",\"value\":1}]}");
        HttpResponse<Stream<String>> resp = h.http.send(HttpRequest.newBuilder(URI.create(
                h.base + "/v1/topics/sse2/partitions/0/stream")).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofLines());
        CompletableFuture<String> firstData = CompletableFuture.supplyAsync(() ->
                resp.body().filter(l -> l.startsWith("data: ")).findFirst().orElse(null));
        h.post("/v1/topics/sse2/records", "{\"records\":[{\"name\":\"new\",\"value\":2}]}");
        JsonNode rec = ServerHarness.JSON.readTree(firstData.get(20, TimeUnit.SECONDS).substring(6));
        resp.body().close();
        assertThat(rec.get("name").asText()).isEqualTo("new");
        assertThat(rec.get("offset").asLong()).isEqualTo(1);
    }

    @Test
    void serverSentEventsDeliverRecordsInOrder() throws Exception {
        h.post("/v1/topics/sse/records", "{\"records\":[{\"name\":\"s\",\"value\":0},{\"name\":\"s\",\"value\":1}]}");
        HttpResponse<Stream<String>> resp = h.http.send(HttpRequest.newBuilder(URI.create(
                h.base + "/v1/topics/sse/partitions/0/stream?offset=1")).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofLines());
        assertThat(resp.statusCode()).isEqualTo(200);
        assertThat(resp.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        int total = 40;
        CompletableFuture<List<String[]>> events = CompletableFuture.supplyAsync(() -> {
            List<String[]> out = new ArrayList<>();
            Iterator<String> lines = resp.body().iterator();
            String id = null;
            while (out.size() < total && lines.hasNext()) {
                String line = lines.next();
                if (line.startsWith("id: ")) {
                    id = line.substring(4);
                } else if (line.startsWith("data: ")) {
                    out.add(new String[]{id, line.substring(6)});
                }
            }
            return out;
        });
        for (int i = 2; i <= total; i += 3) {
            StringBuilder sb = new StringBuilder("{\"records\":[");
            for (int j = i; j < Math.min(i + 3, total + 1); j++) {
                sb.append(j == i ? "" : ",").append("{\"name\":\"s\",\"value\":").append(j).append('}');
            }
            h.post("/v1/topics/sse/records", sb.append("]}").toString());
        }
        List<String[]> got = events.get(20, TimeUnit.SECONDS);
        resp.body().close();
        assertThat(got).hasSize(total);
        for (int k = 0; k < total; k++) {
            long offset = k + 1;
            assertThat(got.get(k)[0]).isEqualTo(Long.toString(offset));
            JsonNode rec = ServerHarness.JSON.readTree(got.get(k)[1]);
            assertThat(rec.get("offset").asLong()).isEqualTo(offset);
            assertThat(rec.get("value").asDouble()).isEqualTo(offset);
        }
    }
}
