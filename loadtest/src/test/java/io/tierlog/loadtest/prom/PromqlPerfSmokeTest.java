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
 * promql-perf's wiring with a tiny data set: Prometheus backfilled and started, a Tierlog server in a child JVM
 * (this test's class path holds the server), both topics, the alternating runs, the agreement check and the table.
 */
class PromqlPerfSmokeTest {
    @TempDir
    Path dataRoot;

    @Test
    void bothServersAnswerEveryQueryAlikeAndTheTableHasTheRatio() throws Exception {
        Prometheus.ensureInstalled();
        StringWriter text = new StringWriter();
        CommandLine cmd = new CommandLine(new PromqlPerf());
        cmd.setOut(new PrintWriter(text));
        cmd.setErr(new PrintWriter(text));
        int exit = cmd.execute("--series", "20", "--hours", "2", "--repeats", "2", "--heap", "256m", "--cold-segment-bytes", "8192", "--batch-records", "200",
                "--tierlog-classpath", System.getProperty("java.class.path"), "--data-root", dataRoot.toString());
        assertThat(exit).as(text.toString()).isZero();
        assertThat(text.toString()).contains("query_range over 20 series x 2 h", "hot/pr", "tierlog-cold");
        assertThat(dataRoot).isEmptyDirectory();
    }
}
