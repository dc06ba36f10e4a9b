package io.tierlog.loadtest.cold;

import static org.assertj.core.api.Assertions.assertThat;

import io.tierlog.promql.Prometheus;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * cold-perf's wiring with a tiny workload: promtool's block, a Tierlog server in a child JVM (this test's class path
 * holds the server) offloading series blocks and segment copies, a restart, the selective queries, the replays, and
 * the four tables (the last: rollup queries read from rollups and from samples, agreeing).
 */
class ColdPerfSmokeTest {
    @TempDir
    Path dataRoot;

    @Test
    void measuresBytesPerSampleQueriesAndReplaysAgainstPrometheusBlocks() throws Exception {
        Prometheus.ensureInstalled();
        StringWriter text = new StringWriter();
        CommandLine cmd = new CommandLine(new ColdPerf());
        cmd.setOut(new PrintWriter(text));
        cmd.setErr(new PrintWriter(text));
        int exit = cmd.execute("--targets", "5", "--scrapes", "60", "--repeats", "1", "--restarts", "1", "--heap", "256m",
                "--tierlog-classpath", System.getProperty("java.class.path"), "--data-root", dataRoot.toString());
        assertThat(exit).as(text.toString()).isZero();
        assertThat(text.toString()).contains("bytes per sample in S3", "regular", "jitter 25 ms", "segment copies",
                "process_cpu_seconds_total{job=\"svc-3\"}", "full replay from offset 0");
        assertThat(text.toString()).as("the 5-target query finds the one target of job svc-3")
                .containsPattern("process_cpu_seconds_total\\{job=\"svc-3\"\\}\\s+1 ");
        assertThat(text.toString()).as("rollup and sample reads agree").contains("from rollups", "max_over_time(")
                .containsPattern("\\| same\\R").doesNotContain("DIFFERENT");
        assertThat(dataRoot).isEmptyDirectory();
    }
}
