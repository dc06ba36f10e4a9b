package io.tierlog.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Defaults, then the file, then TIERLOG_* variables, then flags; bad values are refused with the key named. */
class ServerConfigTest {
    @TempDir
    Path dir;

    @Test
    void defaultsMatchTheDocumentedOnes() {
        ServerConfig c = ServerConfig.defaults();
        assertThat(c.host()).isEqualTo("127.0.0.1");
        assertThat(c.port()).isEqualTo(7070);
        assertThat(c.dataDir()).isEqualTo(Path.of("data").toAbsolutePath());
        assertThat(c.embeddedS3()).isTrue();
        assertThat(c.retentionCheckIntervalMs()).isEqualTo(30_000);
        assertThat(c.limits().maxRequestBytes()).isEqualTo(16 * 1024 * 1024);
        assertThat(c.limits().maxRecordValueBytes()).isEqualTo(1024 * 1024);
        assertThat(c.limits().maxTags()).isEqualTo(32);
        assertThat(c.limits().maxWaitMs()).isEqualTo(30_000);
        assertThat(c.limits().maxRecordsPerResponse()).isEqualTo(10_000);
    }

    @Test
    void aRelativeDataDirWithDotSegmentsStartsTheEmbeddedStore() {
        // the default "./data" once made the embedded S3 store refuse to start ("path traversal attempt")
        Path relative = Path.of(".", "target", "rel-data-" + System.nanoTime());
        try (ServerHarness h = new ServerHarness(relative)) {
            assertThat(h.server.port()).isPositive();
            assertThat(h.post("/v1/topics", "{\"name\": \"t\", \"partitions\": 1}").status()).isEqualTo(201);
        }
    }

    @Test
    void precedenceIsFileThenEnvThenFlags() throws IOException {
        Path f = dir.resolve("t.properties");
        Files.writeString(f, "# comment\nport=8081\nhost=0.0.0.0\ns3.bucket=from-file\nmax.tags=5\n");
        ServerConfig c = ServerConfig.load(f, Map.of("TIERLOG_PORT", "8082", "TIERLOG_S3_BUCKET", "from-env",
                "UNRELATED", "x"), Map.of("port", "8083"));
        assertThat(c.port()).isEqualTo(8083);
        assertThat(c.s3Bucket()).isEqualTo("from-env");
        assertThat(c.host()).isEqualTo("0.0.0.0");
        assertThat(c.limits().maxTags()).isEqualTo(5);
        ServerConfig e = ServerConfig.load(null, Map.of("TIERLOG_S3_ENDPOINT", "http://minio:9000"), Map.of());
        assertThat(e.embeddedS3()).isFalse();
        assertThat(e.s3Endpoint().getPort()).isEqualTo(9000);
    }

    @Test
    void badValuesAreRefusedNamingTheKey() throws IOException {
        Path f = dir.resolve("bad.properties");
        Files.writeString(f, "prot=1\n");
        assertThatThrownBy(() -> ServerConfig.load(f, Map.of(), Map.of())).hasMessageContaining("prot");
        assertThatThrownBy(() -> ServerConfig.load(null, Map.of(), Map.of("port", "seven")))
                .hasMessageContaining("port");
        assertThatThrownBy(() -> ServerConfig.load(null, Map.of(), Map.of("port", "70000")))
                .hasMessageContaining("port");
        assertThatThrownBy(() -> ServerConfig.load(null, Map.of("TIERLOG_RETENTION_CHECK_INTERVAL_MS", "0"), Map.of()))
                .hasMessageContaining("retention.check.interval.ms");
        assertThatThrownBy(() -> ServerConfig.load(null, Map.of(), Map.of("s3.endpoint", "not a url")))
                .hasMessageContaining("s3.endpoint");
        assertThatThrownBy(() -> ServerConfig.load(dir.resolve("missing.properties"), Map.of(), Map.of()))
                .hasMessageContaining("missing.properties");
    }

    @Test
    void rollupResolutionsAreAListOfDurations() {
        assertThat(ServerConfig.defaults().coldRollupsMs()).containsExactly(3_600_000L);
        assertThat(ServerConfig.load(null, Map.of(), Map.of("cold.rollups", " 1m, 90s,1h,1d,250")).coldRollupsMs())
                .containsExactly(60_000L, 90_000L, 3_600_000L, 86_400_000L, 250L);
        assertThat(ServerConfig.load(null, Map.of(), Map.of("cold.rollups", "")).coldRollupsMs()).isEmpty();
        assertThatThrownBy(() -> ServerConfig.load(null, Map.of(), Map.of("cold.rollups", "1m,60s")))
                .hasMessageContaining("cold.rollups").hasMessageContaining("repeats");
        assertThatThrownBy(() -> ServerConfig.load(null, Map.of(), Map.of("cold.rollups", "5x")))
                .hasMessageContaining("cold.rollups").hasMessageContaining("'5x'");
        assertThatThrownBy(() -> ServerConfig.load(null, Map.of(), Map.of("cold.rollups", "0m")))
                .hasMessageContaining("not positive");
    }

    @Test
    void everyKeyHasAFlagAndAnEnvironmentVariableAndIsDocumented() throws IOException {
        Path doc = Path.of("..", "docs", "configuration.md");
        String text = Files.exists(doc) ? Files.readString(doc) : null;
        for (ConfigKey k : ConfigKey.values()) {
            assertThat(k.flag()).startsWith("--").doesNotContain(".");
            assertThat(k.envVar()).startsWith("TIERLOG_").matches("[A-Z0-9_]+");
            if (text != null) {
                assertThat(text).contains("`" + k.key + "`", "`" + k.envVar() + "`", "`" + k.flag() + "`");
            }
        }
    }

    @Test
    void commandLineErrorsExitWithUsage() {
        assertThat(Main.run(new String[]{"server", "--no-such-flag"}, Map.of())).isEqualTo(2);
        assertThat(Main.run(new String[]{}, Map.of())).isEqualTo(2);
        assertThat(Main.run(new String[]{"server", "--port", "x"}, Map.of())).isEqualTo(2);
        assertThat(Main.run(new String[]{"server", "--help"}, Map.of())).isZero();
    }
}
