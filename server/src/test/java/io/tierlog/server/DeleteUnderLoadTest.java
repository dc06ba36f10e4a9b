package io.tierlog.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Deleting a topic while clients produce to and read from it gives them 200s then 404s, never a 500. */
class DeleteUnderLoadTest {
    @TempDir
    Path dir;

    @Test
    void deleteWhileProducingAndReading() throws Exception {
        try (ServerHarness h = new ServerHarness(dir.resolve("data"))) {
            h.createTopic("doomed", 2, "{\"segmentBytes\":2048,\"localRetentionMs\":0}");
            Set<Integer> statuses = ConcurrentHashMap.newKeySet();
            AtomicInteger ok = new AtomicInteger();
            AtomicBoolean stop = new AtomicBoolean();
            CountDownLatch done = new CountDownLatch(3);
            for (int t = 0; t < 3; t++) {
                boolean reader = t == 2;
                Thread.ofVirtual().start(() -> {
                    try {
                        while (!stop.get()) {
                            HttpRequest.Builder b = reader
                                    ? HttpRequest.newBuilder(URI.create(h.base + "/v1/topics/doomed/partitions/0/records?offset=0"))
                                    : HttpRequest.newBuilder(URI.create(h.base + "/v1/topics/doomed/records"))
                                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                                            "{\"records\":[{\"name\":\"a\",\"value\":1},{\"name\":\"b\",\"value\":2}]}"));
                            HttpResponse<String> r = h.http.send(b.timeout(Duration.ofSeconds(30)).build(),
                                    HttpResponse.BodyHandlers.ofString());
                            statuses.add(r.statusCode());
                            if (r.statusCode() == 200) {
                                ok.incrementAndGet();
                            }
                        }
                    } catch (Exception e) {
                        statuses.add(-1);
                    } finally {
                        done.countDown();
                    }
                });
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> ok.get() > 100);
            assertThat(h.delete("/v1/topics/doomed").status()).isEqualTo(204);
            await().atMost(Duration.ofSeconds(30)).until(() -> statuses.contains(404));
            stop.set(true);
            done.await();
            assertThat(statuses).containsOnly(200, 404);
            assertThat(Files.exists(h.dataDir.resolve("topics/doomed"))).isFalse();
            // the server is still healthy and the name is free again
            assertThat(h.createTopic("doomed", 1, null).get("partitions").get(0).get("highWatermark").asLong()).isZero();
        }
    }
}
