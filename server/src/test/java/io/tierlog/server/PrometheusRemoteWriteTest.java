package io.tierlog.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A real Prometheus (Debian's package) scrapes Tierlog's own {@code /metrics} and remote-writes what it scrapes into
 * Tierlog, with the configuration the README shows; the samples are then read back through the topic query API.
 */
class PrometheusRemoteWriteTest {
    private static final String README_MARKER = "<!-- remote-write-config:";

    @TempDir
    Path dir;

    @Test
    void prometheus_remote_writes_its_scrapes_of_tierlog_into_a_metrics_topic() throws Exception {
        String prometheus = PrometheusBinary.ensureInstalled();
        try (ServerHarness h = new ServerHarness(dir.resolve("data"))) {
            h.createTopic("metrics", 2, "{\"schema\":\"metrics\"}");
            String address = "127.0.0.1:" + h.server.port();
            // the README's file, pointed at this server and scraping every second so that the test is quick
            String config = readmeConfig().replace("127.0.0.1:7070", address)
                    .replace("scrape_interval: 15s", "scrape_interval: 1s");
            Path file = dir.resolve("prometheus.yml");
            Files.writeString(file, config);
            Path log = dir.resolve("prometheus.log");
            Process p = new ProcessBuilder(prometheus, "--config.file=" + file, "--storage.tsdb.path=" + dir.resolve("tsdb"),
                    "--web.listen-address=127.0.0.1:" + freePort())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                    assertThat(p.isAlive()).as("prometheus exited: %s", Files.readString(log)).isTrue();
                    List<JsonNode> up = stored(h, "up");
                    assertThat(up).as("samples of up{job=tierlog} written by Prometheus").hasSizeGreaterThanOrEqualTo(2);
                    JsonNode first = up.getFirst();
                    assertThat(first.get("tags").get("job").asText()).isEqualTo("tierlog");
                    assertThat(first.get("tags").get("instance").asText()).isEqualTo(address);
                    assertThat(first.get("value").asDouble()).isEqualTo(1.0);
                    // and one of Tierlog's own metrics, scraped and written back: the door counting itself
                    assertThat(stored(h, "tierlog_receiver_requests_total")).isNotEmpty();
                });
                List<JsonNode> up = stored(h, "up");
                List<Long> times = new ArrayList<>();
                up.forEach(n -> times.add(n.get("timestamp").asLong()));
                assertThat(times).as("one series, in order, no duplicates").isSorted().doesNotHaveDuplicates();
                assertThat(Files.readString(log)).doesNotContain("non-recoverable error");
            } finally {
                p.destroy();
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
    }

    private static List<JsonNode> stored(ServerHarness h, String name) {
        ServerHarness.Resp r = h.get("/v1/topics/metrics/records?from=0&to=9999999999999&name=" + name);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        List<JsonNode> out = new ArrayList<>();
        r.json().get("records").forEach(out::add);
        return out;
    }

    /** The yaml block after the README's marker comment. */
    static String readmeConfig() throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
        int marker = readme.indexOf(README_MARKER);
        assertThat(marker).as("README has the remote_write configuration").isNotNegative();
        int start = readme.indexOf("```yaml\n", marker) + "```yaml\n".length();
        int end = readme.indexOf("```", start);
        return readme.substring(start, end);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
