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
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The server as a child process: repeated SIGKILLs under produce load lose no acknowledged record (each is found
 * at its acknowledged offset after the last restart, from whichever tier holds it), the writers meet only 200
 * and 503 answers while the server lives, and SIGTERM shuts it down gracefully with exit code 0. The tiered
 * variant (1 KiB segments, {@code localRetentionMs=0}) makes the kills land during uploads and local deletions.
 */
class CrashTest {
    private static final int PARTITIONS = 3;
    private static final int KILLS = 3;
    private static final int REQUESTS_PER_LIFE = 60;

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
    void repeatedSigkillsUnderLoadLoseNoAcknowledgedRecord() throws Exception {
        killRepeatedlyThenCheck("{\"segmentBytes\":4096}");
    }

    @Test
    void repeatedSigkillsDuringUploadsAndLocalDeletionLoseNoAcknowledgedRecordInEitherTier() throws Exception {
        JsonNode partitions = killRepeatedlyThenCheck("{\"segmentBytes\":1024,\"localRetentionMs\":0,\"retentionMs\":-1}");
        int cold = 0;
        for (JsonNode p : partitions) {
            cold += p.get("coldSegments").asInt();
        }
        assertThat(cold).as("records were read back from S3 too").isPositive();
    }

    /**
     * Creates topic {@code crash} with {@code config}, then {@link #KILLS} times: starts the server, produces
     * from one writer per partition until {@link #REQUESTS_PER_LIFE} more requests were acknowledged, SIGKILLs
     * it. Then checks every acknowledged record and returns the topic's partitions as described at the end.
     */
    private JsonNode killRepeatedlyThenCheck(String config) throws Exception {
        Path data = dir.resolve("data");
        // acknowledged: partition -> (offset -> value)
        Map<Integer, Map<Long, Long>> acked = new ConcurrentHashMap<>();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicLong nextValue = new AtomicLong();
        for (int life = 0; life < KILLS; life++) {
            try (ChildServer s = new ChildServer(data)) {
                if (life == 0) {
                    assertThat(post(s.base + "/v1/topics", "{\"name\":\"crash\",\"partitions\":" + PARTITIONS
                            + ",\"config\":" + config + "}").statusCode()).isEqualTo(201);
                }
                AtomicInteger ackedRequests = new AtomicInteger();
                AtomicBoolean killed = new AtomicBoolean();
                CountDownLatch done = new CountDownLatch(PARTITIONS);
                for (int t = 0; t < PARTITIONS; t++) {
                    int partition = t;
                    Thread.ofVirtual().start(() -> {
                        try {
                            produceUntilKilled(s, partition, killed, nextValue, acked, ackedRequests);
                        } catch (Throwable e) {
                            errors.add(e);
                        } finally {
                            done.countDown();
                        }
                    });
                }
                await().atMost(Duration.ofSeconds(60)).until(() -> ackedRequests.get() >= REQUESTS_PER_LIFE || !errors.isEmpty());
                killed.set(true);
                s.kill();
                assertThat(done.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            }
            assertThat(errors).as("writer errors in life %d", life).isEmpty();
        }
        Map<Integer, Map<Long, Long>> snapshot = new HashMap<>(acked);
        try (ChildServer s = new ChildServer(data)) {
            int checked = 0;
            for (Map.Entry<Integer, Map<Long, Long>> e : snapshot.entrySet()) {
                Map<Long, Long> stored = new HashMap<>();
                long next = 0;
                while (true) {
                    HttpResponse<String> raw = HTTP.send(HttpRequest.newBuilder(URI.create(s.base
                            + "/v1/topics/crash/partitions/" + e.getKey() + "/records?offset=" + next))
                            .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
                    assertThat(raw.statusCode()).as(raw.body()).isEqualTo(200);
                    JsonNode r = ServerHarness.JSON.readTree(raw.body());
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
            assertThat(checked).isGreaterThanOrEqualTo(KILLS * REQUESTS_PER_LIFE * 5);
            JsonNode partitions = get(s.base + "/v1/topics/crash").get("partitions");
            // produce continues after recovery, then a graceful stop exits 0
            assertThat(post(s.base + "/v1/topics/crash/records", "{\"records\":[{\"name\":\"after\",\"value\":1}]}")
                    .statusCode()).isEqualTo(200);
            assertThat(s.terminate()).isZero();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(String.join("\n", s.output)).contains("tierlog stopped"));
            return partitions;
        }
    }

    /**
     * One writer: 5-record requests to {@code partition} until the server is killed. A 200 records its offsets,
     * a 503 (overloaded) is retried; any other answer, or a failure before the kill, is an error.
     */
    private static void produceUntilKilled(ChildServer s, int partition, AtomicBoolean killed, AtomicLong nextValue,
                                           Map<Integer, Map<Long, Long>> acked, AtomicInteger ackedRequests) throws Exception {
        while (!killed.get()) {
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
            } catch (java.io.IOException e) {
                if (killed.get()) {
                    return; // the server is gone: expected
                }
                throw e;
            }
            if (r.statusCode() == 503) {
                continue;
            }
            if (r.statusCode() != 200) {
                throw new AssertionError("produce answered " + r.statusCode() + ": " + r.body());
            }
            JsonNode o = ServerHarness.JSON.readTree(r.body()).get("offsets").get(0);
            assertThat(o.get("partition").asInt()).isEqualTo(partition);
            long base = o.get("baseOffset").asLong();
            Map<Long, Long> m = acked.computeIfAbsent(partition, k -> new ConcurrentHashMap<>());
            for (int i = 0; i < values.size(); i++) {
                m.put(base + i, values.get(i));
            }
            ackedRequests.incrementAndGet();
        }
    }
}
