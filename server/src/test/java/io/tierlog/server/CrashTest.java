package io.tierlog.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The server as a child process: SIGKILL under produce load loses no acknowledged record (each is found at
 * its acknowledged offset after a restart), and SIGTERM shuts it down gracefully with exit code 0.
 */
class CrashTest {
    @TempDir
    Path dir;

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static HttpResponse<String> post(String url, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode get(String url) throws Exception {
        return ServerHarness.JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString()).body());
    }

    @Test
    void sigkillUnderLoadLosesNoAcknowledgedRecord() throws Exception {
        Path data = dir.resolve("data");
        int partitions = 3;
        // acknowledged: partition -> (offset -> value)
        Map<Integer, Map<Long, Long>> acked = new ConcurrentHashMap<>();
        AtomicLong nextValue = new AtomicLong();
        AtomicInteger ackedRequests = new AtomicInteger();
        try (ChildServer s = new ChildServer(data)) {
            assertThat(post(s.base + "/v1/topics", "{\"name\":\"crash\",\"partitions\":" + partitions
                    + ",\"config\":{\"segmentBytes\":4096}}").statusCode()).isEqualTo(201);
            AtomicBoolean stop = new AtomicBoolean();
            CountDownLatch done = new CountDownLatch(3);
            for (int t = 0; t < 3; t++) {
                int partition = t;
                Thread.ofVirtual().start(() -> {
                    try {
                        while (!stop.get()) {
                            List<Long> values = new ArrayList<>();
                            StringBuilder sb = new StringBuilder("{\"records\":[");
                            for (int i = 0; i < 5; i++) {
                                long v = nextValue.incrementAndGet();
                                values.add(v);
                                sb.append(i == 0 ? "" : ",").append("{\"name\":\"load\",\"value\":").append(v)
                                        .append(",\"partition\":").append(partition).append('}');
                            }
                            HttpResponse<String> r;
                            try {
                                r = post(s.base + "/v1/topics/crash/records", sb.append("]}").toString());
                            } catch (Exception e) {
                                return; // the server is gone
                            }
                            if (r.statusCode() != 200) {
                                continue;
                            }
                            JsonNode o = ServerHarness.JSON.readTree(r.body()).get("offsets").get(0);
                            long base = o.get("baseOffset").asLong();
                            Map<Long, Long> m = acked.computeIfAbsent(o.get("partition").asInt(), k -> new ConcurrentHashMap<>());
                            for (int i = 0; i < values.size(); i++) {
                                m.put(base + i, values.get(i));
                            }
                            ackedRequests.incrementAndGet();
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    } finally {
                        done.countDown();
                    }
                });
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> ackedRequests.get() >= 150);
            s.kill();
            stop.set(true);
            done.await();
        }
        Map<Integer, Map<Long, Long>> snapshot = new HashMap<>(acked);
        try (ChildServer s = new ChildServer(data)) {
            int checked = 0;
            for (Map.Entry<Integer, Map<Long, Long>> e : snapshot.entrySet()) {
                Map<Long, Long> stored = new HashMap<>();
                long next = 0;
                while (true) {
                    JsonNode r = get(s.base + "/v1/topics/crash/partitions/" + e.getKey() + "/records?offset=" + next);
                    r.get("records").forEach(rec -> stored.put(rec.get("offset").asLong(), rec.get("value").asLong()));
                    if (r.get("records").isEmpty()) {
                        break;
                    }
                    next = r.get("nextOffset").asLong();
                }
                for (Map.Entry<Long, Long> a : e.getValue().entrySet()) {
                    assertThat(stored.get(a.getKey())).as("partition %d offset %d", e.getKey(), a.getKey())
                            .isEqualTo(a.getValue());
                    checked++;
                }
            }
            assertThat(checked).isGreaterThanOrEqualTo(750);
            // produce continues after recovery, then a graceful stop exits 0
            assertThat(post(s.base + "/v1/topics/crash/records", "{\"records\":[{\"name\":\"after\",\"value\":1}]}")
                    .statusCode()).isEqualTo(200);
            assertThat(s.terminate()).isZero();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(String.join("\n", s.output)).contains("tierlog stopped"));
        }
    }
}
