package io.tierlog.loadtest.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * kafka-perf's wiring with tiny runs: the brokers in child JVMs (started from this test's class path, which holds
 * the server), Kafka's ProducerPerformance, the fetch, group-drain and end-to-end clients, the CPU accounting and
 * the table.
 */
class KafkaPerfSmokeTest {
    @TempDir
    Path dataRoot;
    @TempDir
    Path outDir;

    /** Runs kafka-perf with tiny settings; {@code overrides} are option/value pairs replacing the defaults. */
    private KafkaPerf run(StringWriter text, String... overrides) {
        Map<String, String> options = new LinkedHashMap<>();
        options.put("--records", "2000");
        options.put("--acks", "1");
        options.put("--repeats", "1");
        options.put("--heap", "256m");
        options.put("--client-heap", "256m");
        options.put("--consumer-performance", "none");
        options.put("--group-consumers", "2");
        options.put("--e2e-rate", "500");
        options.put("--e2e-duration", "1s");
        options.put("--e2e-warmup", "0s");
        options.put("--run-timeout", "2m");
        options.put("--tierlog-classpath", System.getProperty("java.class.path"));
        options.put("--data-root", dataRoot.toString());
        options.put("--out", outDir.toString());
        for (int i = 0; i + 1 < overrides.length; i += 2) {
            options.put(overrides[i], overrides[i + 1]);
        }
        List<String> args = new ArrayList<>();
        options.forEach((k, v) -> args.addAll(List.of(k, v)));
        KafkaPerf perf = new KafkaPerf();
        CommandLine cmd = new CommandLine(perf);
        cmd.setOut(new PrintWriter(text));
        int exit = cmd.execute(args.toArray(String[]::new));
        assertThat(exit).as(text.toString()).isZero();
        return perf;
    }

    @Test
    void tierlogRunsProduceFetchAndEndToEndAndIsChargedItsCpu() throws Exception {
        StringWriter text = new StringWriter();
        KafkaPerf perf = run(text, "--brokers", "tierlog");

        assertThat(perf.rows).extracting(KafkaPerf.RunRow::test).containsExactly("produce acks=1", "fetch", "fetch (group of 2)",
                "e2e acks=1");
        assertThat(perf.rows).allSatisfy(r -> assertThat(r.ok()).as(r.error()).isTrue());
        KafkaPerf.RunRow produce = perf.rows.get(0);
        assertThat(produce.metrics().get(Summary.RECORDS_PER_SEC)).isPositive();
        assertThat(produce.metrics().get(Summary.CPU_US_PER_RECORD)).isNotNegative().isFinite();
        assertThat(perf.rows.get(1).metrics().get(Summary.RECORDS_PER_SEC)).isPositive();
        KafkaPerf.RunRow drain = perf.rows.get(2);
        assertThat(drain.metrics().get(Summary.RECORDS_PER_SEC)).isPositive();
        assertThat(outDir.resolve("run1-tierlog/group-drain.log")).content().contains("members 2, polled ");
        KafkaPerf.RunRow e2e = perf.rows.get(3);
        assertThat(e2e.metrics().get("undelivered")).isZero();
        assertThat(e2e.metrics().get("e2e p99 ms")).isPositive().isLessThan(FixedRateLatency.CEILING_MS);
        assertThat(text.toString()).contains("medians of 1 repeats", "broker CPU us/record");
        assertThat(outDir.resolve("runs.csv")).content().contains("produce acks=1,1,1,tierlog,records/s");
        assertThat(outDir.resolve("summary.txt")).content().contains("e2e acks=1");
        assertThat(outDir.resolve("e2e1-tierlog/e2e-acks-1.hlog")).isNotEmptyFile();
        assertThat(dataRoot).isEmptyDirectory();
    }

    @Test
    @Tag("slow")
    void bothBrokersAlternateAndTheTableHasRatiosAndVerdicts() throws Exception {
        StringWriter text = new StringWriter();
        KafkaPerf perf = run(text, "--repeats", "2", "--consumer-performance", "all");

        assertThat(perf.rows).allSatisfy(r -> assertThat(r.ok()).as(r.error()).isTrue());
        assertThat(perf.rows.stream().filter(r -> r.test().equals("fetch")).map(KafkaPerf.RunRow::broker))
                .containsExactly("tierlog", "kafka", "kafka", "tierlog");
        assertThat(text.toString()).contains("ratio", "fetch (ConsumerPerformance)", "targets:",
                "broker CPU per record <= 0.5 x Kafka's", "p99 below Kafka's at the same rate");
    }
}
