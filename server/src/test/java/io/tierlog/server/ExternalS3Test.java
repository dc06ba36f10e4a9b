package io.tierlog.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * With {@code --s3-endpoint} the server starts no embedded store and offloads to the given S3-compatible
 * endpoint (here a separate S3Proxy), creating the bucket when it is missing.
 */
class ExternalS3Test {
    @TempDir
    Path dir;

    @Test
    void offloadsToAConfiguredEndpoint() throws Exception {
        Path s3Dir = dir.resolve("external-s3");
        try (EmbeddedS3 s3 = EmbeddedS3.start(s3Dir, "127.0.0.1", 0, "seed", "ak", "sk");
             ServerHarness h = new ServerHarness(dir.resolve("data"), Map.of("s3.endpoint", s3.endpoint().toString(),
                     "s3.bucket", "archive", "s3.access.key", "ak", "s3.secret.key", "sk", "s3.prefix", "prod/tl"))) {
            assertThat(Files.exists(dir.resolve("data/s3"))).isFalse();
            h.createTopic("ext", 1, "{\"segmentBytes\":1024,\"localRetentionMs\":0,\"retentionMs\":-1}");
            for (int i = 0; i < 20; i++) {
                StringBuilder sb = new StringBuilder("{\"records\":[");
                for (int j = 0; j < 10; j++) {
                    sb.append(j == 0 ? "" : ",").append("{\"name\":\"m\",\"value\":").append(i * 10 + j).append('}');
                }
                assertThat(h.post("/v1/topics/ext/records", sb.append("]}").toString()).status()).isEqualTo(200);
            }
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                JsonNode p = h.get("/v1/topics/ext").json().get("partitions").get(0);
                assertThat(p.get("coldSegments").asInt()).isPositive();
                assertThat(p.get("localLogStartOffset").asLong()).isPositive();
            });
            try (Stream<Path> files = Files.walk(s3Dir.resolve("archive"))) {
                assertThat(files.filter(Files::isRegularFile).map(Path::toString)).anyMatch(f -> f.contains("prod"));
            }
            JsonNode all = h.get("/v1/topics/ext/partitions/0/records?offset=0&maxRecords=1000").json();
            assertThat(all.get("records")).hasSize(200);
            assertThat(all.get("tiers").get("cold").asInt()).isPositive();
        }
    }
}
