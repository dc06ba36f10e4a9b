package io.tierlog.loadtest.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The soak command end to end with tiny rates against a server in its own JVM (started from this test's class path,
 * which holds the server): every part of the workload runs and is counted, the CSV gets a row per sample, the
 * verdict is computed (flatness is not asserted: 24 s say nothing about leaks); and a request the workload did not
 * expect to fail (to a topic deleted under it) is counted as an error and fails the soak.
 */
class SoakSmokeTest {
    @TempDir
    Path dataRoot;
    @TempDir
    Path outDir;

    private static List<String> args(Path dataRoot, Path outDir, String duration, String warmup) {
        return new ArrayList<>(List.of("--duration", duration, "--warmup", warmup, "--sample-interval", "2s",
                "--rate", "300", "--kafka-rate", "100", "--batch", "20", "--producers", "2", "--topics", "2", "--partitions", "2",
                "--series", "20", "--history-interval", "300ms", "--churn-interval", "4s", "--segment-bytes", "2048",
                "--retention", "10s", "--retention-check-interval", "500ms", "--heap", "256m",
                "--tierlog-classpath", System.getProperty("java.class.path"),
                "--data-root", dataRoot.toString(), "--out", outDir.toString()));
    }

    @Test
    void aShortSoakRunsEveryPartOfTheWorkloadWithoutErrorsAndJudgesTheSamples() throws Exception {
        Soak soak = new Soak();
        StringWriter text = new StringWriter();
        CommandLine cmd = new CommandLine(soak);
        cmd.setOut(new PrintWriter(text));
        cmd.setErr(new PrintWriter(text));
        int exit = cmd.execute(args(dataRoot, outDir, "24s", "4s").toArray(String[]::new));

        Soak.Result r = soak.result;
        assertThat(r).as(text.toString()).isNotNull();
        assertThat(r.failedByKind()).as(text.toString()).isEmpty();
        assertThat(r.totals().unsent()).as(text.toString()).isZero();
        // the verdict may fail on flatness in 24 s, never on errors
        assertThat(exit).as(text.toString()).isIn(0, 1);
        assertThat(r.totals().produced()).isPositive();
        assertThat(r.kafkaRecords()).as("records through the Kafka door").isPositive().isLessThan(r.totals().produced());
        assertThat(r.totals().tail()).as("the tail follows the first topic").isPositive();
        assertThat(r.totals().history()).isPositive();
        assertThat(r.totals().cold()).as("historical reads reach the cold tier").isPositive();
        assertThat(r.totals().churn()).as("topics created, written, read and deleted").isPositive();
        assertThat(r.expectedByKind()).containsKey("churn 404 after delete");

        List<String> csv = Files.readAllLines(outDir.resolve("soak.csv"));
        assertThat(csv.get(0)).isEqualTo(Sample.CSV_HEADER);
        assertThat(csv).hasSize(1 + 12).hasSize(1 + r.samples().size());
        assertThat(csv.subList(1, csv.size())).allSatisfy(row -> assertThat(row.split(",")).hasSize(18));
        assertThat(csv.get(1)).contains(",warmup,");
        assertThat(csv.getLast()).contains(",measure,");
        assertThat(r.samples()).allSatisfy(s -> {
            assertThat(s.heapAfterGc()).isPositive();
            assertThat(s.rss()).isPositive();
            assertThat(s.fds()).isPositive();
            assertThat(s.threads()).isPositive();
            assertThat(s.offloadLagBytes()).isNotNaN();
        });

        assertThat(r.verdict().samples()).isEqualTo(10);
        assertThat(r.verdict().checks()).extracting(Verdict.Check::name)
                .containsExactly("heap after GC", "RSS", "open fds", "threads", "offload lag");
        assertThat(r.verdict().passed()).isEqualTo(exit == 0);
        assertThat(text.toString()).contains("verdict: ", "0 failed, 0 unsent", "first third", "time s");
        assertThat(outDir.resolve("summary.txt")).content().contains("verdict: ");
        assertThat(dataRoot).isEmptyDirectory();
    }

    @Test
    void aRequestToATopicDeletedUnderTheWorkloadIsAnErrorAndFailsTheSoak() throws Exception {
        Soak soak = new Soak();
        AtomicInteger deleted = new AtomicInteger();
        soak.afterStart = uri -> {
            try (HttpClient http = HttpClient.newHttpClient()) {
                deleted.set(http.send(HttpRequest.newBuilder(uri.resolve("/v1/topics/" + SoakWorkload.topic(1))).DELETE().build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        StringWriter text = new StringWriter();
        CommandLine cmd = new CommandLine(soak);
        cmd.setOut(new PrintWriter(text));
        cmd.setErr(new PrintWriter(text));
        int exit = cmd.execute(args(dataRoot, outDir, "6s", "0s").toArray(String[]::new));

        assertThat(deleted.get()).isEqualTo(204);
        assertThat(exit).as(text.toString()).isEqualTo(1);
        assertThat(soak.result.failedByKind()).as(text.toString()).containsKey("produce 404 not_found");
        assertThat(soak.result.verdict().passed()).isFalse();
        assertThat(text.toString()).contains("verdict: FAIL", "ERRORS", "FAILED   produce 404 not_found");
    }
}
