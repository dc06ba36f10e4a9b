package io.tierlog.loadtest.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.tierlog.server.ServerConfig;
import io.tierlog.server.TierlogServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Runs the CLI for two seconds at a fixed rate against an in-process server and checks what it measured. */
class LoadTestSmokeTest {
    @TempDir
    Path dataDir;
    @TempDir
    Path outDir;

    @Test
    void fixedRateRunReportsThroughputLatenciesAndWritesLogsAndPlot() throws Exception {
        try (TierlogServer server = TierlogServer.start(ServerConfig.load(null, Map.of(), Map.of("port", "0", "kafka.port", "0",
                "data.dir", dataDir.toString(), "retention.check.interval.ms", "100")))) {
            LoadTest cli = new LoadTest();
            StringWriter text = new StringWriter();
            CommandLine cmd = new CommandLine(cli);
            cmd.setOut(new PrintWriter(text));
            int exit = cmd.execute("--url", "http://127.0.0.1:" + server.port(), "--topic", "smoke", "--partitions", "2",
                    "--producers", "2", "--rate", "2000", "--series", "50", "--duration", "2s", "--warmup", "0s",
                    "--query-interval-ms", "300", "--query-records", "100", "--segment-bytes", "16384",
                    "--local-retention-bytes", "1", "--out", outDir.toString());
            assertThat(exit).as(text.toString()).isZero();

            RunResult r = cli.results.get(0);
            // 2 s at 2000/s: allow for start-up, but a broken pacer or lost acks would be far off
            assertThat(r.ackedRecords()).isBetween(2500L, 4500L);
            assertThat(r.recordsPerSecond()).isBetween(1500.0, 2500.0);
            assertThat(r.failedRecords()).isZero();
            assertThat(r.ack().getTotalCount()).isGreaterThanOrEqualTo(r.ackedRecords());
            assertThat(r.e2e().getTotalCount()).isPositive();
            assertThat(r.e2e().getMaxValue()).isLessThan(10_000_000L);
            assertThat(r.coldQuery().getTotalCount() + r.hotQuery().getTotalCount()).isPositive();
            assertThat(server.port()).isPositive();

            assertThat(text.toString()).contains("[tierlog   1s]", "[tierlog   2s]", "records acknowledged", "ack latency");
            assertThat(outDir.resolve("report.txt")).content().contains("== tierlog:", "end-to-end latency");
            assertThat(outDir.resolve("tierlog-latency.html")).content().contains("<svg", "<polyline", "tierlog ack");
            long logged = 0;
            HistogramLogReader reader = new HistogramLogReader(outDir.resolve("tierlog-ack-latency.hlog").toFile());
            for (Histogram h = (Histogram) reader.nextIntervalHistogram(); h != null; h = (Histogram) reader.nextIntervalHistogram()) {
                logged += h.getTotalCount();
            }
            assertThat(logged).isEqualTo(r.ack().getTotalCount());
            assertThat(Files.size(outDir.resolve("tierlog-e2e-latency.hlog"))).isPositive();
        }
    }

    @Test
    void kafkaPeerRunsTheSameWorkloadAndReportsTheRatio() throws Exception {
        try (TierlogServer server = TierlogServer.start(ServerConfig.load(null, Map.of(), Map.of("port", "0", "kafka.port", "0",
                "data.dir", dataDir.toString())))) {
            LoadTest cli = new LoadTest();
            StringWriter text = new StringWriter();
            CommandLine cmd = new CommandLine(cli);
            cmd.setOut(new PrintWriter(text));
            int exit = cmd.execute("--url", "http://127.0.0.1:" + server.port(), "--topic", "peer", "--rate", "1000",
                    "--duration", "2s", "--warmup", "0s", "--peer", "kafka", "--out", outDir.toString());
            assertThat(exit).as(text.toString()).isZero();
            assertThat(cli.results).extracting(RunResult::system).containsExactly("tierlog", "kafka");
            RunResult kafka = cli.results.get(1);
            assertThat(kafka.ackedRecords()).isBetween(1000L, 3000L);
            assertThat(kafka.e2e().getTotalCount()).isPositive();
            assertThat(text.toString()).contains("== kafka:", "== ratio tierlog/kafka");
            assertThat(outDir.resolve("kafka-latency.html")).exists();
        }
    }

    @Test
    void badOptionsAreRejectedWithAMessage() {
        StringWriter err = new StringWriter();
        CommandLine cmd = new CommandLine(new LoadTest());
        cmd.setErr(new PrintWriter(err));
        assertThat(cmd.execute("--duration", "soon")).isEqualTo(2);
        assertThat(err.toString()).contains("'soon' is not a duration");
    }
}
