package io.tierlog.server;

import io.tierlog.core.SeriesKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs the README quick start (src/test/resources/quickstart.sh: the same curl lines as the README) against a
 * fresh server; skipped where bash or curl is missing.
 */
class QuickstartTest {
    @TempDir
    Path dir;

    @Test
    void readmeQuickstartWorks() throws Exception {
        // the script reads partition 1: check that is where the series hashes to
        assertThat(SeriesKey.partitionFor(SeriesKey.of("cpu.usage", Map.of("host", "web-1")).toBytes(), 2)).isEqualTo(1);
        assumeTrue(Tools.onPath("bash") && Tools.onPath("curl"), "bash and curl are needed");
        Path script = Path.of(QuickstartTest.class.getResource("/quickstart.sh").toURI());
        try (ServerHarness h = new ServerHarness(dir.resolve("data"))) {
            Process p = new ProcessBuilder("bash", script.toString(), h.base).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(out).isZero();
            assertThat(out).contains("quickstart OK");
        }
    }
}
