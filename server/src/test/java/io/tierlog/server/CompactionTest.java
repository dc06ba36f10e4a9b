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

    /** Kafka Streams' windowed changelogs: compacted, and whole segments past the retention deleted as well. */
    @Test
    void compactDeleteTopicIsCompactedAndLosesSegmentsPastItsRetention() {
        try (ServerHarness h = new ServerHarness(dir.resolve("data"))) {
            h.createTopic("windows", 1, "{\"schema\":\"bytes\",\"cleanupPolicy\":\"delete,compact\",\"segmentBytes\":1024,"
                    + "\"retentionMs\":3600000}");
            assertThat(h.get("/v1/topics/windows").json().get("config").get("cleanupPolicy").asText()).isEqualTo("compact,delete");
            assertThat(h.get("/v1/topics/windows").json().get("config").get("remoteStorage").asBoolean()).isFalse();
            long now = System.currentTimeMillis();
            int total = 0;
            // two hours old, each key unique: compaction keeps them, only retention can remove them
            for (int round = 0; round < 20; round++) {
                post(h, "windows", "{\"key\":\"old-" + round + "\",\"value\":" + round + ",\"timestamp\":" + (now - 7_200_000) + "}");
                total++;
            }
            // fresh, three keys over and over: compaction keeps the latest of each, retention none of them
            for (int round = 0; round < 40; round++) {
                StringBuilder sb = new StringBuilder();
                for (int k = 0; k < 3; k++) {
                    sb.append(k == 0 ? "" : ",").append("{\"key\":\"k").append(k).append("\",\"value\":").append(round).append('}');
                    total++;
                }
                post(h, "windows", sb.toString());
            }
            int produced = total;
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                JsonNode recs = readAll(h, "windows");
                assertThat(recs.findValuesAsText("key")).as("old segments deleted").noneMatch(k -> k.startsWith("old-"));
                assertThat(recs.size()).as("compacted").isLessThan((produced - 20) / 2);
            });
            Map<String, Integer> latest = new HashMap<>();
            for (JsonNode r : readAll(h, "windows")) {
                latest.put(r.get("key").asText(), r.get("value").asInt());
            }
            assertThat(latest).containsEntry("k0", 39).containsEntry("k1", 39).containsEntry("k2", 39);
        }
    }

    private static void post(ServerHarness h, String topic, String records) {
        assertThat(h.post("/v1/topics/" + topic + "/records", "{\"records\":[" + records + "]}").status()).isEqualTo(200);
    }

    @Test
    void aCleanupPolicyOtherThanDeleteCompactOrBothIsRefused() {
        try (ServerHarness h = new ServerHarness(dir.resolve("data"))) {
            ServerHarness.Resp r = h.post("/v1/topics", "{\"name\":\"t\",\"partitions\":1,\"config\":{\"cleanupPolicy\":\"compact,tidy\"}}");
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.body()).contains("'delete', 'compact', 'compact,delete'", "compact,tidy");
            r = h.post("/v1/topics", "{\"name\":\"t\",\"partitions\":1,\"config\":{\"cleanupPolicy\":\"compact,delete\",\"remoteStorage\":true}}");
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.body()).contains("remoteStorage false");
        }
    }

    private static JsonNode readAll(ServerHarness h) {
        return readAll(h, "latest");
    }

    /**
     * Every record from the log start. Compaction runs in the background and deletes a first segment it emptied,
     * moving the log start past the offset just asked for: the 416 then names the new start, and the read resumes
     * there, as a consumer does (a handful of such moves at most: the topic has a few segments).
     */
    private static JsonNode readAll(ServerHarness h, String topic) {
        long start = h.get("/v1/topics/" + topic).json().get("partitions").get(0).get("logStartOffset").asLong();
        for (int moves = 0; ; moves++) {
            ServerHarness.Resp r = h.get("/v1/topics/" + topic + "/partitions/0/records?offset=" + start + "&maxRecords=10000");
            if (r.status() == 416 && moves < 10 && r.json().get("logStartOffset").asLong() > start) {
                start = r.json().get("logStartOffset").asLong();
                continue;
            }
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            return r.json().get("records");
        }
    }
}
