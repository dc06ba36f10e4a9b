package io.tierlog.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tiering end to end through the HTTP API: small segments are offloaded to the embedded S3 store, local
 * retention removes the local copies, and reads by offset and by time cross the hot/cold boundary with exact
 * records (no gap, no duplicate, tier counts right). A restart keeps topics, data and committed offsets.
 */
class TieringAndRestartTest {
    private static final int RECORDS = 240;
    private static final long T0 = 1_750_000_000_000L;

    @TempDir
    Path dir;

    @Test
    void offloadsReadsAcrossTiersAndSurvivesRestart() throws IOException {
        Path data = dir.resolve("data");
        List<Double> expected = new ArrayList<>();
        try (ServerHarness h = new ServerHarness(data)) {
            h.createTopic("tiered", 1, "{\"segmentBytes\":1024,\"localRetentionMs\":0,\"retentionMs\":-1}");
            h.createTopic("plain", 2, "{\"schema\":\"bytes\"}");
            for (int i = 0; i < RECORDS; i += 8) {
                StringBuilder sb = new StringBuilder("{\"records\":[");
                for (int j = i; j < i + 8; j++) {
                    sb.append(j == i ? "" : ",").append("{\"name\":\"disk.used\",\"tags\":{\"dev\":\"sda\"},\"value\":")
                            .append(j * 1.5).append(",\"timestamp\":").append(T0 + j * 1000L).append('}');
                    expected.add(j * 1.5);
                }
                assertThat(h.post("/v1/topics/tiered/records", sb.append("]}").toString()).status()).isEqualTo(200);
            }
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                JsonNode p = h.get("/v1/topics/tiered").json().get("partitions").get(0);
                assertThat(p.get("coldSegments").asInt()).isGreaterThan(2);
                assertThat(p.get("localLogStartOffset").asLong()).isGreaterThan(0);
                assertThat(p.get("remoteEndOffset").asLong()).isGreaterThanOrEqualTo(p.get("localLogStartOffset").asLong());
            });
            JsonNode p = h.get("/v1/topics/tiered").json().get("partitions").get(0);
            assertThat(p.get("logStartOffset").asLong()).isZero();
            assertThat(p.get("highWatermark").asLong()).isEqualTo(RECORDS);
            // the first local segment file is gone from disk
            try (Stream<Path> files = Files.list(data.resolve("topics/tiered/0"))) {
                assertThat(files.map(f -> f.getFileName().toString())).noneMatch(n -> n.startsWith("00000000000000000000."));
            }
            long localStart = p.get("localLogStartOffset").asLong();

            // one read over both tiers
            JsonNode all = h.get("/v1/topics/tiered/partitions/0/records?offset=0&maxRecords=10000").json();
            assertThat(values(all)).containsExactlyElementsOf(expected);
            assertThat(offsets(all)).containsExactlyElementsOf(range(0, RECORDS));
            assertThat(all.get("tiers").get("cold").asInt() + all.get("tiers").get("hot").asInt()).isEqualTo(RECORDS);
            assertThat(all.get("tiers").get("cold").asLong()).isGreaterThanOrEqualTo(localStart);

            // small pages across the boundary: no gap, no duplicate
            assertThat(pagedOffsets(h, 7)).containsExactlyElementsOf(range(0, RECORDS));

            // by time, within the partition and across partitions
            JsonNode byTime = h.get("/v1/topics/tiered/partitions/0/records?from=" + (T0 + 10_000) + "&to=" + (T0 + 200_000)).json();
            assertThat(offsets(byTime)).containsExactlyElementsOf(range(10, 200));
            JsonNode query = h.get("/v1/topics/tiered/records?from=" + T0 + "&to=" + (T0 + RECORDS * 1000L) + "&tag=dev:sda").json();
            assertThat(values(query)).containsExactlyElementsOf(expected);
            assertThat(h.get("/v1/topics/tiered/partitions/0/offsets?timestamp=" + (T0 + 3_500)).json().get("offset").asLong())
                    .isEqualTo(4);

            // binary reads come from the cold tier too
            ServerHarness.Resp raw = h.get("/v1/topics/tiered/partitions/0/records?offset=0", HttpApi.BATCH_MEDIA_TYPE);
            assertThat(raw.status()).isEqualTo(200);
            assertThat(io.tierlog.core.RecordBatch.parseAll(java.nio.ByteBuffer.wrap(raw.raw().body())).get(0).baseOffset()).isZero();

            assertThat(h.post("/v1/topics/plain/records", "{\"records\":[{\"key\":\"a\",\"value\":{\"x\":1},\"partition\":1}]}").status())
                    .isEqualTo(200);
            assertThat(h.put("/v1/groups/readers/offsets", "{\"topic\":\"tiered\",\"offsets\":[{\"partition\":0,\"offset\":17}]}")
                    .status()).isEqualTo(204);
        }

        // a topic directory without topic.json (a deletion cut short by a crash) is cleaned up at start
        Files.createDirectories(data.resolve("topics/ghost/0"));
        Files.writeString(data.resolve("topics/ghost/0/00000000000000000000.log"), "");

        // restart on the same data directory
        try (ServerHarness h = new ServerHarness(data)) {
            assertThat(Files.exists(data.resolve("topics/ghost"))).isFalse();
            assertThat(h.get("/v1/topics/ghost").status()).isEqualTo(404);
            List<String> names = new ArrayList<>();
            h.get("/v1/topics").json().get("topics").forEach(t -> names.add(t.get("name").asText()));
            assertThat(names).containsExactlyInAnyOrder("tiered", "plain");
            assertThat(h.get("/v1/topics/plain").json().get("config").get("schema").asText()).isEqualTo("bytes");
            JsonNode all = h.get("/v1/topics/tiered/partitions/0/records?offset=0&maxRecords=10000").json();
            assertThat(values(all)).containsExactlyElementsOf(expected);
            assertThat(all.get("tiers").get("cold").asInt()).isPositive();
            assertThat(h.get("/v1/topics/plain/partitions/1/records?offset=0").json().get("records").get(0)
                    .get("value").get("x").asInt()).isEqualTo(1);
            assertThat(h.get("/v1/groups/readers/offsets?topic=tiered").json().get("offsets").get(0).get("offset").asLong())
                    .isEqualTo(17);
            // appends continue at the old high watermark
            JsonNode ack = h.post("/v1/topics/tiered/records", "{\"records\":[{\"name\":\"disk.used\",\"value\":1}]}").json();
            assertThat(ack.get("offsets").get(0).get("baseOffset").asLong()).isEqualTo(RECORDS);

            // deleting the topic removes local and remote data
            assertThat(h.delete("/v1/topics/tiered").status()).isEqualTo(204);
            assertThat(Files.exists(data.resolve("topics/tiered"))).isFalse();
            try (Stream<Path> s3 = Files.walk(data.resolve("s3"))) {
                assertThat(s3.filter(Files::isRegularFile).map(Path::toString)).noneMatch(f -> f.contains("tiered"));
            }
        }
    }

    private static List<Long> pagedOffsets(ServerHarness h, int page) {
        List<Long> out = new ArrayList<>();
        long next = 0;
        while (next < RECORDS) {
            JsonNode r = h.get("/v1/topics/tiered/partitions/0/records?offset=" + next + "&maxRecords=" + page).json();
            assertThat(r.get("records").size()).isBetween(1, page);
            out.addAll(offsets(r));
            next = r.get("nextOffset").asLong();
        }
        return out;
    }

    private static List<Long> range(long from, long to) {
        List<Long> out = new ArrayList<>();
        for (long i = from; i < to; i++) {
            out.add(i);
        }
        return out;
    }

    private static List<Long> offsets(JsonNode read) {
        List<Long> out = new ArrayList<>();
        read.get("records").forEach(r -> out.add(r.get("offset").asLong()));
        return out;
    }

    private static List<Double> values(JsonNode read) {
        List<Double> out = new ArrayList<>();
        read.get("records").forEach(r -> out.add(r.get("value").asDouble()));
        return out;
    }
}
