package io.tierlog.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tierlog.core.MetricEvent;
import io.tierlog.core.RecordBatch;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** What the SDK tests share: sample events, reading a topic back, and talking to the server's HTTP API directly. */
final class SdkTesting {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /**
     * The base of the tests' sample timestamps: recent, because the server deletes samples older than a topic's
     * retention (7 days) within {@code retention.check.interval.ms}.
     */
    static final long T0 = System.currentTimeMillis() - 60_000;

    private SdkTesting() {
    }

    static String newTopic() {
        return "t-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static MetricEvent sample(int i) {
        return new MetricEvent("cpu.usage", Map.of("host", "h" + (i % 10)), T0 + i, i);
    }

    /** Reads every partition of {@code topic} from the earliest offset until {@code expected} records arrived. */
    static List<ConsumedRecord> readAll(TierlogClient client, String topic, int expected) {
        List<ConsumedRecord> out = new ArrayList<>();
        try (TierlogConsumer c = client.consumer(ConsumerConfig.defaults().withMaxWait(Duration.ofMillis(100)))) {
            c.subscribe(topic, StartPosition.earliest());
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                out.addAll(c.poll(Duration.ofMillis(200)));
                return out.size() >= expected;
            });
            assertThat(c.poll(Duration.ofMillis(200))).as("more than the %d records expected", expected).isEmpty();
        }
        return out;
    }

    /** A POST of a JSON body to the HTTP API; returns the answer's body after checking its status is 2xx. */
    static String post(URI base, String path, String json) {
        HttpResponse<String> r = send(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isBetween(200, 299);
        return r.body();
    }

    static String get(URI base, String path) {
        HttpResponse<String> r = send(HttpRequest.newBuilder(base.resolve(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.body();
    }

    /** The stored batches of a partition from {@code offset}, as the server keeps them (binary read). */
    static List<RecordBatch> storedBatches(URI base, String topic, int partition, long offset) {
        HttpResponse<byte[]> r = send(HttpRequest.newBuilder(base.resolve("/v1/topics/" + topic + "/partitions/" + partition
                        + "/records?offset=" + offset + "&maxRecords=10000"))
                .header("Accept", "application/vnd.tierlog.batch").GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(200);
        List<RecordBatch> out = new ArrayList<>();
        RecordBatch.iterate(ByteBuffer.wrap(r.body())).forEach(out::add);
        return out;
    }

    private static <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        try {
            return HTTP.send(request, handler);
        } catch (IOException e) {
            throw new AssertionError(request.uri() + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
