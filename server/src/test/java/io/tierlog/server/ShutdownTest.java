package io.tierlog.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A graceful stop answers the long polls in flight (an empty page) instead of dropping their connections. */
class ShutdownTest {
    @TempDir
    Path dir;

    @Test
    void pendingLongPollIsAnsweredOnStop() throws Exception {
        ServerHarness h = new ServerHarness(dir.resolve("data"));
        h.createTopic("t", 1, null);
        CompletableFuture<HttpResponse<String>> poll = h.http.sendAsync(HttpRequest.newBuilder(URI.create(
                h.base + "/v1/topics/t/partitions/0/records?offset=0&maxWaitMs=20000")).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(10)).until(() -> h.get("/metrics").body().contains("tierlog_query_waiters 1.0"));
        long t0 = System.nanoTime();
        h.close();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(10_000);
        HttpResponse<String> r = poll.get(5, TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode body = ServerHarness.JSON.readTree(r.body());
        assertThat(body.get("records")).isEmpty();
        assertThat(body.get("nextOffset").asLong()).isZero();
    }
}
