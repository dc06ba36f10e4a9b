package io.tierlog.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A {@code cleanupPolicy=compact} topic keeps the latest record per key once its segments are compacted. */
class CompactionTest {
    @TempDir
    Path dir;

    @Test
    void compactedTopicKeepsLatestPerKey() {
        try (ServerHarness h = new ServerHarness(dir.resolve("data"))) {
            h.createTopic("latest", 1, "{\"schema\":\"bytes\",\"cleanupPolicy\":\"compact\",\"segmentBytes\":1024}");
            int total = 0;
            for (int round = 0; round < 40; round++) {
                StringBuilder sb = new StringBuilder("{\"records\":[");
                for (int k = 0; k < 3; k++) {
                    sb.append(k == 0 ? "" : ",").append("{\"key\":\"k").append(k).append("\",\"value\":").append(round).append('}');
                    total++;
                }
                assertThat(h.post("/v1/topics/latest/records", sb.append("]}").toString()).status()).isEqualTo(200);
            }
            int produced = total;
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(readAll(h).size()).isLessThan(produced / 2));
            Map<String, Integer> latest = new HashMap<>();
            JsonNode recs = readAll(h);
            long prev = -1;
            for (JsonNode r : recs) {
                assertThat(r.get("offset").asLong()).isGreaterThan(prev);
                prev = r.get("offset").asLong();
                latest.put(r.get("key").asText(), r.get("value").asInt());
            }
            assertThat(latest).containsEntry("k0", 39).containsEntry("k1", 39).containsEntry("k2", 39);
            assertThat(h.get("/v1/topics/latest").json().get("partitions").get(0).get("highWatermark").asLong())
                    .isEqualTo(produced);
        }
    }

    private static JsonNode readAll(ServerHarness h) {
        long start = h.get("/v1/topics/latest").json().get("partitions").get(0).get("logStartOffset").asLong();
        ServerHarness.Resp r = h.get("/v1/topics/latest/partitions/0/records?offset=" + start + "&maxRecords=10000");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().get("records");
    }
}
