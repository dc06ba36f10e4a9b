package io.tierlog.loadtest.cli;

import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The load generator's command line: drives a running Tierlog through the SDK and reports acknowledged
 * throughput, ack latency (HdrHistogram; at a fixed rate measured from each record's intended send time, so
 * a stalled server cannot hide its stall), end-to-end latency through a tailing consumer and historical
 * query latency (cold tier when the topic has offloaded segments). Progress is printed every second; the
 * interval histograms go to {@code .hlog} files and the percentile distribution to an HTML chart in the
 * output directory. With {@code --peer kafka} the same workload also runs against an Apache Kafka broker in its own
 * JVM. At a fixed rate, records that failed, were due but never sent, or were never consumed count in the latencies
 * at the ceiling (see {@link Run}). Runs as {@code ./tierlog loadtest sdk ...}.
 */
@Command(name = "loadtest", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Load-test a running Tierlog server through the Java SDK.")
public final class LoadTest implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--url", description = "Tierlog base URL (default: ${DEFAULT-VALUE})")
    URI url = URI.create("http://127.0.0.1:7070");

    @Option(names = "--topic", description = "topic to write (created when missing; default: ${DEFAULT-VALUE})")
    String topic = "loadtest";

    @Option(names = "--partitions", description = "partitions when creating the topic (default: ${DEFAULT-VALUE})")
    int partitions = 4;

    @Option(names = "--producers", description = "producer threads, one SDK producer each (default: ${DEFAULT-VALUE})")
    int producers = 2;

    @Option(names = "--rate", description = "records/s over all producers; 0 = as fast as acks allow (default: ${DEFAULT-VALUE})")
    long rate = 0;

    @Option(names = "--series", description = "distinct metric series (cardinality; default: ${DEFAULT-VALUE})")
    int series = 1000;

    @Option(names = "--batch-bytes", description = "producer batch size in bytes (default: ${DEFAULT-VALUE})")
    int batchBytes = 256 * 1024;

    @Option(names = "--buffer-bytes",
            description = "producer buffer memory; bounds queueing (and so latency) at max rate (default: ${DEFAULT-VALUE})")
    long bufferBytes = 8L * 1024 * 1024;

    @Option(names = "--linger-ms", description = "producer linger (default: ${DEFAULT-VALUE})")
    long lingerMs = 5;

    @Option(names = "--compression", description = "none, lz4 or zstd (default: ${DEFAULT-VALUE})")
    String compression = "lz4";

    @Option(names = "--duration", converter = DurationConverter.class,
            description = "measured time, e.g. 20s, 2m (default: 20s)")
    Duration duration = Duration.ofSeconds(20);

    @Option(names = "--warmup", converter = DurationConverter.class,
            description = "warm-up before measuring, e.g. 5s (default: 5s)")
    Duration warmup = Duration.ofSeconds(5);

    @Option(names = "--no-consumer", negatable = false, description = "skip the tailing consumer (no end-to-end latency)")
    boolean noConsumer;

    @Option(names = "--query-interval-ms", description = "historical query every N ms; 0 = none (default: ${DEFAULT-VALUE})")
    long queryIntervalMs = 1000;

    @Option(names = "--query-records", description = "records per historical query (default: ${DEFAULT-VALUE})")
    int queryRecords = 1000;

    @Option(names = "--segment-bytes", description = "segmentBytes when creating the topic (default: ${DEFAULT-VALUE})")
    long segmentBytes = 1024L * 1024;

    @Option(names = "--local-retention-bytes",
            description = "localRetentionBytes when creating the topic, so older data moves to the cold tier (default: ${DEFAULT-VALUE})")
    long localRetentionBytes = 2L * 1024 * 1024;

    @Option(names = "--out", description = "directory for .hlog files, the HTML chart and report.txt (default: ${DEFAULT-VALUE})")
    Path outDir = Path.of("target", "loadtest-results");

    @Option(names = "--peer", description = "also run the workload against this peer: kafka")
    String peer;

    private static final List<String> PEERS = List.of("kafka");

    /** Results of the last {@link #call()}, Tierlog first (for tests and embedding). */
    final List<RunResult> results = new ArrayList<>();

    public static void main(String[] args) {
        System.exit(new CommandLine(new LoadTest()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (peer != null && !PEERS.contains(peer)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "unknown --peer '" + peer + "' (supported: "
                    + PEERS + ")");
        }
        Workload w = new Workload(topic, partitions, producers, rate, series, batchBytes, bufferBytes, lingerMs, compression,
                duration, warmup, !noConsumer, queryIntervalMs, queryRecords, segmentBytes, localRetentionBytes);
        Files.createDirectories(outDir);
        out.printf("loadtest: %s, topic %s, %d producers, %s, %d series, batch %d B, linger %d ms, %s, "
                        + "warm-up %s, duration %s, output %s%n", url, topic, producers,
                rate == 0 ? "max rate" : rate + " records/s", series, batchBytes, lingerMs, compression,
                warmup, duration, outDir.toAbsolutePath());
        results.clear();
        RunResult tierlog = new TierlogRun(url, w, out, outDir).execute();
        results.add(tierlog);
        StringBuilder report = new StringBuilder();
        report.append("command: loadtest ").append(String.join(" ", spec.commandLine().getParseResult().originalArgs()))
                .append(System.lineSeparator());
        report.append(tierlog.format());
        if ("kafka".equals(peer)) {
            RunResult kafka = KafkaPeer.run(w, out, outDir);
            results.add(kafka);
            report.append(kafka.format());
            report.append(String.format(Locale.ROOT, "== ratio tierlog/kafka: throughput %.2f, ack p50 %.2f, ack p99 %.2f%n",
                    tierlog.recordsPerSecond() / Math.max(1e-9, kafka.recordsPerSecond()),
                    ratio(tierlog.ack(), kafka.ack(), 50), ratio(tierlog.ack(), kafka.ack(), 99)));
        }
        out.println();
        out.print(report);
        out.printf("files: %s%n", outDir.toAbsolutePath());
        out.flush();
        Files.writeString(outDir.resolve("report.txt"), report, StandardCharsets.UTF_8);
        return tierlog.failedRecords() == 0 ? 0 : 2;
    }

    private static double ratio(org.HdrHistogram.Histogram a, org.HdrHistogram.Histogram b, double p) {
        if (a.getTotalCount() == 0 || b.getTotalCount() == 0) {
            return Double.NaN;
        }
        return (double) a.getValueAtPercentile(p) / Math.max(1, b.getValueAtPercentile(p));
    }

    /** Parses 500ms, 20s, 2m, 1h (or ISO-8601 such as PT20S); shared by every load-test command. */
    public static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        private static final Pattern P = Pattern.compile("(\\d+)(ms|s|m|h)");

        @Override
        public Duration convert(String value) {
            Matcher m = P.matcher(value.trim().toLowerCase(Locale.ROOT));
            if (m.matches()) {
                long n = Long.parseLong(m.group(1));
                return switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    default -> Duration.ofHours(n);
                };
            }
            try {
                return Duration.parse(value);
            } catch (RuntimeException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a duration (e.g. 500ms, 20s, 2m)");
            }
        }
    }
}
