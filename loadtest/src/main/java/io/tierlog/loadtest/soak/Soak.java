package io.tierlog.loadtest.soak;

import io.tierlog.loadtest.cli.LoadTest;
import io.tierlog.loadtest.kafka.ChildProcess;
import io.tierlog.loadtest.kafka.ProcCpu;
import io.tierlog.loadtest.kafka.ServerOptions;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./tierlog loadtest soak --duration 30m}: does a Tierlog server stay healthy under a steady mixed load for a
 * long time? A leak (heap, native memory, file descriptors, threads) or a backlog (offload lag) that a minute-long
 * benchmark cannot see adds up over half an hour. The soak starts a server in its own JVM with its embedded S3
 * store, runs {@link SoakWorkload} (produce, tail, historical reads reaching the cold tier, topic churn) at fixed
 * rates in bounded loops, samples the server process every {@code --sample-interval} into {@code soak.csv}, prints
 * the samples as a table and a {@link Verdict}: exit code 0 when no request failed or was left unsent and the live
 * heap, RSS, file descriptors, threads and offload lag stayed flat; 1 otherwise.
 */
@Command(name = "soak", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Run a mixed workload against a Tierlog server for a long time and judge whether its memory, file"
                + " descriptors, threads and offload lag stay flat and no request fails.")
public final class Soak implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--duration", converter = LoadTest.DurationConverter.class,
            description = "whole run, warm-up included, e.g. 30m (default: 30m)")
    Duration duration = Duration.ofMinutes(30);

    @Option(names = "--warmup", converter = LoadTest.DurationConverter.class,
            description = "first part of the run whose samples are not judged; longer than --retention, so the data"
                    + " has reached its steady size (default: 5m)")
    Duration warmup = Duration.ofMinutes(5);

    @Option(names = "--sample-interval", converter = LoadTest.DurationConverter.class,
            description = "how often the server is sampled (default: 10s)")
    Duration sampleInterval = Duration.ofSeconds(10);

    @Option(names = "--rate", description = "records/s produced over all producers (default: ${DEFAULT-VALUE})")
    long rate = 2000;

    @Option(names = "--kafka-rate", description = "records/s produced through the Kafka listener by one kafka-clients"
            + " producer, in addition to --rate over HTTP; 0 = none (default: ${DEFAULT-VALUE})")
    long kafkaRate = 500;

    @Option(names = "--batch", description = "records per produce request (default: ${DEFAULT-VALUE})")
    int batch = 100;

    @Option(names = "--producers", description = "producer threads (fixed concurrency; default: ${DEFAULT-VALUE})")
    int producers = 2;

    @Option(names = "--topics", description = "steady topics, written round-robin (default: ${DEFAULT-VALUE})")
    int topics = 4;

    @Option(names = "--partitions",
            description = "partitions per steady topic; the first topic's are tailed (default: ${DEFAULT-VALUE})")
    int partitions = 2;

    @Option(names = "--series", description = "distinct metric series per topic (default: ${DEFAULT-VALUE})")
    int series = 200;

    @Option(names = "--history-interval", converter = LoadTest.DurationConverter.class,
            description = "one historical read every this long, by offset from 0 and by time range alternately (default: 500ms)")
    Duration historyInterval = Duration.ofMillis(500);

    @Option(names = "--churn-interval", converter = LoadTest.DurationConverter.class,
            description = "one topic created, written, read, deleted every this long (default: 30s)")
    Duration churnInterval = Duration.ofSeconds(30);

    @Option(names = "--segment-bytes", description = "segmentBytes of the steady topics: small, so segments are offloaded"
            + " all the time (default: ${DEFAULT-VALUE})")
    long segmentBytes = 32 * 1024;

    @Option(names = "--retention", converter = LoadTest.DurationConverter.class,
            description = "retentionMs of the steady topics (every other one also has localRetentionMs=0, the rest half"
                    + " of this); bounds the data so the server can reach a steady state (default: 4m)")
    Duration retention = Duration.ofMinutes(4);

    @Option(names = "--max-lag", converter = LoadTest.DurationConverter.class,
            description = "a loop further behind its schedule than this skips the overdue requests, counted as unsent"
                    + " (default: 5s)")
    Duration maxLag = Duration.ofSeconds(5);

    @Option(names = "--tail-wait", converter = LoadTest.DurationConverter.class,
            description = "maxWaitMs of the tail's long polls (default: 1s)")
    Duration tailWait = Duration.ofSeconds(1);

    @Option(names = "--heap", description = "heap of the server JVM, fixed and pre-touched (default: ${DEFAULT-VALUE})")
    String heap = "512m";

    @Option(names = "--tierlog-jvm-arg", description = "an extra option for the server JVM (repeatable)")
    List<String> tierlogJvmArgs = new ArrayList<>();

    @Option(names = "--retention-check-interval", converter = LoadTest.DurationConverter.class,
            description = "the server's housekeeping period (--retention-check-interval-ms; default: 1s)")
    Duration retentionCheck = Duration.ofSeconds(1);

    @CommandLine.Mixin
    ServerOptions server = new ServerOptions();

    @Option(names = "--keep-data", negatable = false, description = "keep the server's data directory")
    boolean keepData;

    @Option(names = "--out", description = "directory for soak.csv, summary.txt, the server's log and GC log"
            + " (default: ${DEFAULT-VALUE})")
    Path outDir = Path.of("target", "soak");

    /** Test seam: called with the server's base URI once the workload runs (e.g. to disturb the server). */
    Consumer<URI> afterStart = uri -> { };

    /** What the last {@link #call()} measured (tests read it). */
    volatile Result result;

    /** The samples, the verdict and the outcome counts of one soak. */
    record Result(List<Sample> samples, Verdict verdict, Outcomes.Totals totals, long kafkaRecords,
                  Map<String, Long> failedByKind, Map<String, Long> expectedByKind) {
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (!warmup.minus(duration).isNegative()) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--warmup must be shorter than --duration");
        }
        SoakWorkload.Plan plan = new SoakWorkload.Plan(topics, partitions, rate, kafkaRate, batch, producers, series,
                historyInterval, churnInterval, segmentBytes, retention, maxLag, tailWait);
        Files.createDirectories(outDir);
        Path data = server.dataRoot().resolve("soak-" + ProcessHandle.current().pid());
        String cp = server.serverClassPath();
        out.printf(Locale.ROOT, "soak: %s (warm-up %s), %,d records/s over HTTP in batches of %d by %d producers and %,d"
                        + " records/s through Kafka, over %d topics x %d partitions; history read every %s, topic churn every"
                        + " %s; segments %d B, retention %s; server heap %s; %d cores, load %s; started %s%n", human(duration),
                human(warmup), rate, batch, producers, kafkaRate, topics, partitions, human(historyInterval),
                human(churnInterval), segmentBytes, human(retention), heap, Runtime.getRuntime().availableProcessors(),
                ProcCpu.loadAverage(), Instant.now());
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10))
                .build();
        Outcomes outcomes = new Outcomes();
        List<Sample> samples = new ArrayList<>();
        Path csv = outDir.resolve("soak.csv");
        try (SoakServer server = SoakServer.start(cp, heap, tierlogJvmArgs, data, outDir.resolve("server.log"),
                outDir.resolve("server-gc.log"), retentionCheck.toMillis(), http);
             BufferedWriter csvOut = Files.newBufferedWriter(csv, StandardCharsets.UTF_8)) {
            out.printf("server pid %d at %s, log %s%n", server.pid(), server.base(), server.log());
            out.flush();
            csvOut.write(Sample.CSV_HEADER);
            csvOut.newLine();
            csvOut.flush();
            SoakWorkload workload = new SoakWorkload(server.base(), http, plan, outcomes);
            workload.createTopics();
            workload.connectKafka();
            long start = System.nanoTime();
            workload.start(start);
            boolean stopped = false;
            try {
                afterStart.accept(server.base());
                out.println(Sample.TABLE_HEADER);
                sample(server, outcomes, samples, start, csvOut, out);
            } finally {
                stopped = workload.stop();
            }
            if (!stopped) {
                outcomes.failed("loop did not stop", "a workload loop was still running 90 s after the stop");
            }
        } finally {
            if (!keepData) {
                ChildProcess.deleteTree(data);
            }
        }
        Verdict verdict = Verdict.of(samples, outcomes.failedTotal(), outcomes.unsent.sum());
        Result r = new Result(List.copyOf(samples), verdict, outcomes.totals(), outcomes.kafkaRecords.sum(),
                outcomes.failedByKind(), outcomes.expectedByKind());
        result = r;
        List<String> report = report(r);
        out.println();
        report.forEach(out::println);
        out.printf("files: %s%n", outDir.toAbsolutePath());
        out.flush();
        Files.write(outDir.resolve("summary.txt"), report, StandardCharsets.UTF_8);
        return verdict.passed() ? 0 : 1;
    }

    /** Samples the server every interval until the duration is over (or the server died, which fails the soak). */
    private void sample(SoakServer server, Outcomes outcomes, List<Sample> samples, long start, BufferedWriter csv,
                        PrintWriter out) throws IOException {
        long interval = sampleInterval.toNanos();
        long ticks = Math.max(1, duration.toNanos() / interval);
        Outcomes.Totals before = outcomes.totals();
        long beforeNanos = start;
        for (long k = 1; k <= ticks; k++) {
            long due = start + k * interval;
            for (long now = System.nanoTime(); due - now > 0; now = System.nanoTime()) {
                LockSupport.parkNanos(due - now);
            }
            long now = System.nanoTime();
            Outcomes.Totals totals = outcomes.totals();
            if (!server.isAlive()) {
                outcomes.failed("server died", "the server process ended during the soak; see " + server.log());
                return;
            }
            Sample s = probe(server, outcomes, (now - start) / 1e9, (k - 1) * interval >= warmup.toNanos(),
                    totals.minus(before), (now - beforeNanos) / 1e9);
            before = totals;
            beforeNanos = now;
            samples.add(s);
            csv.write(s.csv());
            csv.newLine();
            csv.flush();
            out.println(s.tableRow());
            out.flush();
        }
    }

    private Sample probe(SoakServer server, Outcomes outcomes, double elapsed, boolean measured, Outcomes.Totals interval,
                         double intervalSeconds) {
        long heapAfterGc = server.heapAfterForcedGc();
        long heapUsed = -1;
        double lagBytes = Double.NaN;
        double lagMs = Double.NaN;
        try {
            PromText m = server.metrics();
            heapUsed = (long) m.sum("jvm_memory_used_bytes", "area=\"heap\"");
            if (heapAfterGc < 0) {
                double live = m.sum("jvm_gc_live_data_size_bytes");
                heapAfterGc = Double.isNaN(live) ? -1 : (long) live;
            }
            lagBytes = m.sum("tierlog_cold_offload_lag_bytes");
            lagMs = m.sum("tierlog_cold_offload_lag_ms");
        } catch (IOException e) {
            outcomes.failed("sampling /metrics " + e.getClass().getSimpleName(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sampling", e);
        }
        long rss = -1;
        long fds = -1;
        long threads = -1;
        try {
            rss = server.rssBytes();
            fds = server.openFds();
            threads = server.osThreads();
        } catch (IOException e) {
            outcomes.failed("sampling /proc " + e.getClass().getSimpleName(), e);
        }
        return new Sample(elapsed, measured, heapAfterGc, heapUsed, rss, fds, threads, lagBytes, lagMs, interval,
                intervalSeconds);
    }

    /** 30m, 10s, 500ms: as the options are written. */
    static String human(Duration d) {
        long ms = d.toMillis();
        if (ms % 60_000 == 0 && ms > 0) {
            return ms / 60_000 + "m";
        }
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }

    /** The final report: the sample table, the outcome counts and the verdict. */
    private static List<String> report(Result r) {
        List<String> lines = new ArrayList<>();
        lines.add(Sample.TABLE_HEADER);
        r.samples().forEach(s -> lines.add(s.tableRow()));
        Outcomes.Totals t = r.totals();
        lines.add(String.format(Locale.ROOT, "requests: %,d ok, %,d expected non-2xx, %,d failed, %,d unsent; records:"
                        + " %,d produced (%,d through Kafka), %,d tailed, %,d read by historical queries (%,d from the cold"
                        + " tier); %,d topics created, written, read and deleted", t.ok(), t.expected(), t.failed(), t.unsent(),
                t.produced(), r.kafkaRecords(), t.tail(), t.history(), t.cold(), t.churn()));
        r.expectedByKind().forEach((k, v) -> lines.add(String.format(Locale.ROOT, "  expected %-50s %,d", k, v)));
        r.failedByKind().forEach((k, v) -> lines.add(String.format(Locale.ROOT, "  FAILED   %-50s %,d", k, v)));
        lines.addAll(r.verdict().format());
        return lines;
    }
}
