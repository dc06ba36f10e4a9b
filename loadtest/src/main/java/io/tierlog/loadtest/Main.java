package io.tierlog.loadtest;

import io.tierlog.loadtest.cli.LoadTest;
import io.tierlog.loadtest.kafka.FetchPerformance;
import io.tierlog.loadtest.kafka.FixedRateLatency;
import io.tierlog.loadtest.kafka.KafkaPerf;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code ./tierlog loadtest <command>}: one entry point for the load tests, so that none needs a hand-built class
 * path. {@code sdk} drives a running server through the Java SDK (optionally beside a Kafka peer); {@code kafka-perf}
 * runs Kafka's own benchmark tools against Tierlog and Apache Kafka; {@code fetch-perf} and {@code e2e-latency} are
 * the two Kafka clients kafka-perf adds, usable alone against any broker; {@code promql-perf} times Tierlog's
 * Prometheus query API against Prometheus on the same samples, {@code remote-write-perf} its remote_write receiver
 * against Prometheus'; {@code cold-perf} measures series blocks in S3 (bytes per sample against Prometheus' TSDB,
 * selective cold queries, replay bytes); {@code soak} runs a mixed workload for a long time and judges whether the
 * server's memory, file descriptors and threads stay flat.
 */
@Command(name = "loadtest", mixinStandardHelpOptions = true,
        description = "Tierlog load tests and benchmarks against Apache Kafka.")
public final class Main implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    private Main() {
    }

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new Main());
        cli.addSubcommand("sdk", new LoadTest());
        cli.addSubcommand("kafka-perf", new KafkaPerf());
        cli.addSubcommand("fetch-perf", new FetchPerformance());
        cli.addSubcommand("e2e-latency", new FixedRateLatency());
        cli.addSubcommand("promql-perf", new io.tierlog.loadtest.prom.PromqlPerf());
        cli.addSubcommand("remote-write-perf", new io.tierlog.loadtest.prom.RemoteWritePerf());
        cli.addSubcommand("cold-perf", new io.tierlog.loadtest.cold.ColdPerf());
        cli.addSubcommand("soak", new io.tierlog.loadtest.soak.Soak());
        System.exit(cli.execute(args));
    }

    /** Without a command: the usage, and the exit code of a usage error. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }
}
