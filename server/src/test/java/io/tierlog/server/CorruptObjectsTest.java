package io.tierlog.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.tierlog.cold.ObjectMeta;
import io.tierlog.cold.S3Config;
import io.tierlog.cold.S3ObjectStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Objects damaged in S3 (a flipped bit, a truncated segment object, a corrupt manifest) are the store's fault, not
 * the client's: reads of the damaged range answer a server-side error naming the object and count a storage fault,
 * while the other segments of the partition and the other partitions keep answering.
 */
class CorruptObjectsTest {
    private static final int RECORDS = 100;

    @TempDir
    Path dir;

    @Test
    void damagedSegmentObjectsAndManifestsFailOnlyTheirOwnRange() {
        try (EmbeddedS3 s3 = EmbeddedS3.start(dir.resolve("s3"), "127.0.0.1", 0, "seed", "ak", "sk")) {
            Map<String, String> flags = Map.of("s3.endpoint", s3.endpoint().toString(), "s3.bucket", "corrupt",
                    "s3.access.key", "ak", "s3.secret.key", "sk");
            List<String> segments;
            String manifest;
            try (ServerHarness h = new ServerHarness(dir.resolve("data"), flags);
                 S3ObjectStore direct = S3ObjectStore.create(S3Config.compatible(s3.endpoint(), "corrupt", "ak", "sk"))) {
                h.createTopic("c", 2, "{\"schema\":\"bytes\",\"segmentBytes\":1024,\"localRetentionMs\":0,\"retentionMs\":-1}");
                for (int p = 0; p < 2; p++) {
                    produce(h, p);
                }
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                    for (JsonNode p : h.get("/v1/topics/c").json().get("partitions")) {
                        assertThat(p.get("coldSegments").asInt()).isGreaterThan(3);
                        assertThat(p.get("localLogStartOffset").asLong()).isGreaterThan(40);
                    }
                });
                List<String> keys = direct.list("").stream().map(ObjectMeta::key).filter(k -> k.contains("/c/0/")).sorted().toList();
                segments = keys.stream().filter(k -> k.endsWith(".seg")).toList();
                manifest = keys.stream().filter(k -> k.endsWith("manifest.bin")).findFirst().orElseThrow();

                // a flipped bit in the first record batch of the first segment
                byte[] first = direct.get(segments.get(0));
                first[70] ^= 0x10;
                direct.put(segments.get(0), first);
                // the second segment object cut in half
                byte[] second = direct.get(segments.get(1));
                direct.put(segments.get(1), Arrays.copyOf(second, second.length / 2));

                double faultsBefore = ColdTierOutageTest.metric(h, "tierlog_storage_faults_total");
                ServerHarness.Resp flipped = h.get("/v1/topics/c/partitions/0/records?offset=0&maxRecords=5");
                assertThat(flipped.status()).as(flipped.body()).isEqualTo(500);
                assertThat(flipped.json().get("error").asText()).isEqualTo("storage_error");
                assertThat(flipped.json().get("message").asText()).contains(segments.get(0));
                assertThat(ColdTierOutageTest.metric(h, "tierlog_storage_faults_total")).isGreaterThan(faultsBefore);

                ServerHarness.Resp truncated = h.get("/v1/topics/c/partitions/0/records?offset=" + baseOffset(segments.get(1))
                        + "&maxRecords=5");
                assertThat(truncated.status()).as(truncated.body()).isEqualTo(500);
                assertThat(truncated.json().get("error").asText()).isEqualTo("storage_error");
                assertThat(truncated.json().get("message").asText()).contains(segments.get(1));

                long third = baseOffset(segments.get(2));
                ServerHarness.Resp intact = h.get("/v1/topics/c/partitions/0/records?offset=" + third + "&maxRecords=5");
                assertThat(intact.status()).as("the next segment is intact: " + intact.body()).isEqualTo(200);
                assertThat(intact.json().get("records").get(0).get("offset").asLong()).isEqualTo(third);
                assertEveryRecordReadable(h, 1);

                byte[] m = direct.get(manifest);
                m[m.length / 2] ^= 0x01;
                direct.put(manifest, m);
            }
            // a manifest is read when a server starts: the damaged one fails its partition's cold reads only
            try (ServerHarness h = new ServerHarness(dir.resolve("data"), flags)) {
                ServerHarness.Resp r = h.get("/v1/topics/c/partitions/0/records?offset=0&maxRecords=5");
                assertThat(r.status()).as(r.body()).isEqualTo(500);
                assertThat(r.json().get("error").asText()).isEqualTo("storage_error");
                assertThat(r.json().get("message").asText()).contains(manifest);
                assertEveryRecordReadable(h, 1);
            }
        }
    }

    private static void produce(ServerHarness h, int partition) {
        for (int i = 0; i < RECORDS; i += 10) {
            StringBuilder sb = new StringBuilder("{\"records\":[");
            for (int j = i; j < i + 10; j++) {
                // a random (incompressible) pad: 10 records overflow a 1 KiB segment whatever the topic's compression
                sb.append(j == i ? "" : ",").append("{\"key\":\"k\",\"value\":{\"x\":").append(j)
                        .append(",\"pad\":\"").append(java.util.UUID.randomUUID()).append(java.util.UUID.randomUUID())
                        .append("\"},\"partition\":").append(partition).append('}');
            }
            ServerHarness.Resp r = h.post("/v1/topics/c/records", sb.append("]}").toString());
            assertThat(r.status()).as(r.body()).isEqualTo(200);
        }
    }

    private static void assertEveryRecordReadable(ServerHarness h, int partition) {
        ServerHarness.Resp r = h.get("/v1/topics/c/partitions/" + partition + "/records?offset=0&maxRecords=1000");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode records = r.json().get("records");
        assertThat(records).hasSize(RECORDS);
        for (int i = 0; i < RECORDS; i++) {
            assertThat(records.get(i).get("value").get("x").asInt()).isEqualTo(i);
        }
    }

    /** The base offset in a segment object's name: {@code <20 digits>-<20 digits>-<uuid>.seg}. */
    private static long baseOffset(String key) {
        String name = key.substring(key.lastIndexOf('/') + 1);
        return Long.parseLong(name.substring(0, 20));
    }
}
