package io.tierlog.loadtest.prom;

import static org.assertj.core.api.Assertions.assertThat;

import io.tierlog.promql.Prometheus;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * remote-write-perf's wiring with a few small requests: both receivers started in their own processes take every
 * request (none refused: each sender's series arrive in time order, as Prometheus itself requires), and the medians
 * are printed.
 */
class RemoteWritePerfSmokeTest {
    @TempDir
    Path dataRoot;

    @Test
    void bothReceiversTakeEveryRequest() throws Exception {
        Prometheus.ensureInstalled();
        StringWriter text = new StringWriter();
        CommandLine cmd = new CommandLine(new RemoteWritePerf());
        cmd.setOut(new PrintWriter(text));
        cmd.setErr(new PrintWriter(text));
        int exit = cmd.execute("--series", "100", "--samples-per-request", "200", "--requests", "40", "--connections", "2",
                "--repeats", "1", "--heap", "256m", "--tierlog-classpath", System.getProperty("java.class.path"),
                "--data-root", dataRoot.toString());
        assertThat(exit).as(text.toString()).isZero();
        assertThat(text.toString()).contains("(0 refused, 0 failed", "medians over 1 runs", "tierlog", "prometheus");
    }
}
