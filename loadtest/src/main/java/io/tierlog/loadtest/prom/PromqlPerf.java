package io.tierlog.loadtest.prom;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tierlog.core.BatchBuilder;
import io.tierlog.core.Compression;
import io.tierlog.core.MetricCodec;
import io.tierlog.core.MetricType;
import io.tierlog.core.SeriesKey;
import io.tierlog.loadtest.kafka.ChildProcess;
import io.tierlog.loadtest.kafka.Jvm;
import io.tierlog.loadtest.kafka.ServerOptions;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The Prometheus query API of Tierlog against Prometheus itself on the same samples: counters of {@code --series}
 * series scraped every {@code --interval} for {@code --hours}, backfilled into a Prometheus server (Debian's
 * {@code prometheus} and {@code promtool}) and produced into a Tierlog server (a child JVM, as
 * {@code ./tierlog server} runs) twice: into a topic kept in the hot tier and into one whose closed segments live
 * only in S3. Each query runs as a range query over the whole span at {@code --step}, the servers in alternating
 * order, {@code --repeats} times; the first run of each is reported apart (Tierlog's JIT and caches are cold), the
 * median of the others is the figure. Answers must agree in series and points, or the run fails.
 */
@Command(name = "promql-perf", mixinStandardHelpOptions = true, sortOptions = false,
        description = "query_range latency of Tierlog's Prometheus API against Prometheus on the same samples.")
public final class PromqlPerf implements Callable<Integer> {
    private static final Pattern HTTP_LISTENING = Pattern.compile("tierlog listening on http://(\\S+):(\\d+)");
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Option(names = "--series", description = "counter series (default: ${DEFAULT-VALUE})")
    int series = 1000;

    @Option(names = "--hours", description = "hours of samples (default: ${DEFAULT-VALUE})")
    int hours = 24;

    @Option(names = "--interval-ms", description = "scrape interval (default: ${DEFAULT-VALUE})")
    long intervalMs = 10_000;

    @Option(names = "--step-ms", description = "query_range step (default: ${DEFAULT-VALUE})")
    long stepMs = 60_000;

    @Option(names = "--repeats", description = "runs of each query per server, the first reported apart (default: ${DEFAULT-VALUE})")
    int repeats = 5;

    @Option(names = "--query", description = "queries (repeatable; default: a rate per series, a sum by job of rates, max_over_time)")
    List<String> queries = new ArrayList<>(List.of("sum by (job) (rate(bench_requests_total[5m]))",
            "rate(bench_requests_total[5m])", "max_over_time(bench_requests_total{job=\"j3\"}[10m])"));

    @Option(names = "--no-cold", negatable = false, description = "skip the topic whose data lives in S3")
    boolean noCold;

    @Option(names = "--cold-segment-bytes", description = "segment size of the cold topic: closed segments are offloaded "
            + "and their local copies dropped, the active one stays local (default: ${DEFAULT-VALUE})")
    long coldSegmentBytes = 4L * 1024 * 1024;

    @Option(names = "--batch-records", description = "samples per produced batch (default: ${DEFAULT-VALUE})")
    int batchRecords = 5000;

    @Option(names = "--heap", description = "heap of the Tierlog JVM (default: ${DEFAULT-VALUE})")
    String heap = "2g";

    @CommandLine.Mixin
    ServerOptions server = new ServerOptions();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private PrintWriter out;

    public static void main(String[] args) {
        System.exit(new CommandLine(new PromqlPerf()).execute(args));
    }

    /** One run: which server and topic, which query, how long, what came back. */
    record Run(String side, String query, int repeat, double ms, int series, long points) {
    }

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        Path work = server.dataRoot().resolve("promql-perf-" + ProcessHandle.current().pid());
        Files.createDirectories(work);
        long end = (System.currentTimeMillis() / 3_600_000L - 2) * 3_600_000L;
        long start = end - hours * 3_600_000L;
        long samples = (long) series * (hours * 3_600_000L / intervalMs);
        out.printf(Locale.ROOT, "promql-perf: %d series x %d h at %d ms = %,d samples; range queries at a %d ms step; "
                + "%d repeats; %d cores; data in %s%n", series, hours, intervalMs, samples, stepMs, repeats,
                Runtime.getRuntime().availableProcessors(), work);
        out.flush();
        Process prometheus = null;
        ChildProcess tierlog = null;
        try {
            long t0 = System.nanoTime();
            Path om = work.resolve("samples.om");
            writeOpenMetrics(om, start, end);
            Path tsdb = work.resolve("prometheus");
            run(List.of("promtool", "tsdb", "create-blocks-from", "openmetrics", om.toString(), tsdb.toString()), work.resolve("promtool.log"));
            Files.delete(om);
            out.printf(Locale.ROOT, "backfilled Prometheus in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            Path config = work.resolve("prometheus.yml");
            Files.writeString(config, "global:\n  scrape_interval: 1h\n");
            prometheus = new ProcessBuilder("prometheus", "--config.file=" + config, "--storage.tsdb.path=" + tsdb,
                    "--web.listen-address=127.0.0.1:" + port, "--storage.tsdb.retention.time=30d")
                    .redirectErrorStream(true).redirectOutput(work.resolve("prometheus.log").toFile()).start();
            URI prom = URI.create("http://127.0.0.1:" + port);

            String cp = server.serverClassPath();
            tierlog = ChildProcess.start("tierlog", Jvm.command(List.of("-Xms" + heap, "-Xmx" + heap, "-XX:+UseG1GC"), cp,
                    "io.tierlog.server.Main", List.of("server", "--host", "127.0.0.1", "--port", "0", "--kafka-port", "0",
                            "--data-dir", work.resolve("tierlog").toString())), work.resolve("tierlog.log"));
            Matcher m = tierlog.awaitLine(HTTP_LISTENING, Duration.ofSeconds(90));
            URI tl = URI.create("http://" + m.group(1) + ":" + m.group(2));
            List<String> topics = new ArrayList<>(List.of("hot"));
            post(tl, "/v1/topics", "{\"name\":\"hot\",\"partitions\":4}");
            if (!noCold) {
                topics.add("cold");
                post(tl, "/v1/topics", "{\"name\":\"cold\",\"partitions\":4,\"config\":{\"segmentBytes\":" + coldSegmentBytes
                        + ",\"localRetentionMs\":0}}");
            }
            t0 = System.nanoTime();
            for (String topic : topics) {
                produce(tl, topic, start, end);
            }
            awaitStored(tl, topics, samples);
            out.printf(Locale.ROOT, "produced into Tierlog (%s) in %.1f s%n", String.join(", ", topics), (System.nanoTime() - t0) / 1e9);
            out.flush();
            awaitReady(prom);

            List<Run> runs = new ArrayList<>();
            for (String q : queries) {
                String params = "query=" + URLEncoder.encode(q, StandardCharsets.UTF_8) + "&start=" + secs(start) + "&end="
                        + secs(end) + "&step=" + secs(stepMs);
                for (int r = 0; r < repeats; r++) {
                    List<String> order = new ArrayList<>(List.of("prometheus", "tierlog-hot"));
                    if (!noCold) {
                        order.add("tierlog-cold");
                    }
                    if (r % 2 == 1) {
                        java.util.Collections.reverse(order);
                    }
                    for (String side : order) {
                        URI base = side.equals("prometheus") ? prom : tl;
                        String path = side.equals("prometheus") ? "/api/v1/query_range"
                                : "/prometheus/" + side.substring("tierlog-".length()) + "/api/v1/query_range";
                        runs.add(query(side, q, r, base, path, params));
                        Run last = runs.getLast();
                        out.printf(Locale.ROOT, "  %-14s run %d %8.1f ms  %5d series %,9d points  %s%n", side, r + 1, last.ms(),
                                last.series(), last.points(), q);
                        out.flush();
                    }
                }
                checkAgreement(runs, q);
            }
            out.print(summary(runs));
            out.flush();
            return 0;
        } finally {
            if (tierlog != null) {
                tierlog.close();
            }
            if (prometheus != null) {
                prometheus.destroy();
                prometheus.waitFor();
            }
            ChildProcess.deleteTree(work);
        }
    }

    // ---- the data: deterministic, generated twice (OpenMetrics text, then batches) rather than held in memory

    /** Visits every sample in series order, each series' samples in time order. */
    private void forEachSample(long start, long end, SampleVisitor v) throws IOException {
        for (int s = 0; s < series; s++) {
            Random rnd = new Random(s);
            double value = rnd.nextInt(1000);
            for (long t = start; t < end; t += intervalMs) {
                long ts = t + rnd.nextInt(201) - 100;
                value += rnd.nextInt(50);
                if (rnd.nextInt(5000) == 0) {
                    value = rnd.nextInt(10); // a counter reset
                }
                v.sample(s, ts, value);
            }
        }
    }

    interface SampleVisitor {
        void sample(int series, long ts, double value) throws IOException;
    }

    private static String job(int s) {
        return "j" + (s % 10);
    }

    private void writeOpenMetrics(Path file, long start, long end) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(file)) {
            w.write("# TYPE bench_requests counter\n");
            forEachSample(start, end, (s, ts, value) -> {
                w.write("bench_requests_total{instance=\"i" + s + "\",job=\"" + job(s) + "\"} " + (long) value + " "
                        + String.format(Locale.ROOT, "%.3f", ts / 1000.0) + "\n");
            });
            w.write("# EOF\n");
        }
    }

    private void produce(URI tl, String topic, long start, long end) throws IOException {
        Map<Integer, BatchBuilder> open = new TreeMap<>();
        byte[][] keys = new byte[series][];
        for (int s = 0; s < series; s++) {
            keys[s] = SeriesKey.of("bench_requests_total", new TreeMap<>(Map.of("instance", "i" + s, "job", job(s)))).toBytes();
        }
        forEachSample(start, end, (s, ts, value) -> {
            int p = SeriesKey.partitionFor(keys[s], 4);
            BatchBuilder b = open.computeIfAbsent(p, x -> new BatchBuilder(Compression.LZ4));
            b.add(ts, keys[s], MetricCodec.encodeValue(value, MetricType.COUNTER));
            if (b.count() == batchRecords) {
                send(tl, topic, p, open.remove(p));
            }
        });
        for (Map.Entry<Integer, BatchBuilder> e : open.entrySet()) {
            send(tl, topic, e.getKey(), e.getValue());
        }
    }

    private void send(URI tl, String topic, int partition, BatchBuilder b) throws IOException {
        ByteBuffer buf = b.build().buffer();
        byte[] bytes = new byte[buf.remaining()];
        buf.get(bytes);
        HttpResponse<String> r = send(HttpRequest.newBuilder(tl.resolve("/v1/topics/" + topic + "/records?partition=" + partition))
                .header("Content-Type", "application/vnd.tierlog.batch").POST(HttpRequest.BodyPublishers.ofByteArray(bytes)));
        if (r.statusCode() != 200) {
            throw new IllegalStateException("produce answered " + r.statusCode() + ": " + r.body());
        }
    }

    /** Waits until every sample is stored (and, for the cold topic, every closed segment is in S3 only). */
    private void awaitStored(URI tl, List<String> topics, long samples) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        for (String topic : topics) {
            while (true) {
                JsonNode t = JSON.readTree(send(HttpRequest.newBuilder(tl.resolve("/v1/topics/" + topic))).body());
                long stored = 0;
                boolean offloaded = true;
                for (JsonNode p : t.get("partitions")) {
                    stored += p.get("highWatermark").asLong();
                    if (topic.equals("cold")) {
                        offloaded &= p.get("remoteEndOffset").asLong() > 0
                                && p.get("localLogStartOffset").asLong() >= p.get("remoteEndOffset").asLong();
                    }
                }
                if (stored >= samples && offloaded) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("topic " + topic + " not stored within 10 minutes: " + t);
                }
                Thread.sleep(200); // polling an external server's state; nothing to wait on in-process
            }
        }
    }

    private void awaitReady(URI prom) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (send(HttpRequest.newBuilder(prom.resolve("/-/ready"))).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100); // polling an external process
        }
        throw new IllegalStateException("prometheus not ready within 2 minutes");
    }

    private Run query(String side, String q, int repeat, URI base, String path, String params) throws IOException {
        long t0 = System.nanoTime();
        HttpResponse<String> r = send(HttpRequest.newBuilder(base.resolve(path + "?" + params)).timeout(Duration.ofMinutes(10)));
        double ms = (System.nanoTime() - t0) / 1e6;
        JsonNode body = JSON.readTree(r.body());
        if (!body.path("status").asText().equals("success")) {
            throw new IllegalStateException(side + " failed " + q + ": " + r.body().substring(0, Math.min(500, r.body().length())));
        }
        JsonNode result = body.get("data").get("result");
        long points = 0;
        for (JsonNode s : result) {
            points += s.get("values").size();
        }
        return new Run(side, q, repeat, ms, result.size(), points);
    }

    private static void checkAgreement(List<Run> runs, String q) {
        List<Run> mine = runs.stream().filter(r -> r.query().equals(q)).toList();
        Run first = mine.getFirst();
        for (Run r : mine) {
            if (r.series() != first.series() || r.points() != first.points()) {
                throw new IllegalStateException("answers differ for " + q + ": " + first + " vs " + r);
            }
        }
    }

    private String summary(List<Run> runs) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "%nquery_range over %d series x %d h at a %d s step (median of runs 2..%d; first run apart), ms%n",
                series, hours, stepMs / 1000, repeats));
        sb.append(String.format(Locale.ROOT, "%-58s %12s %12s %12s %7s %12s%n", "query", "prometheus", "tierlog hot",
                "tierlog cold", "hot/pr", "cold first"));
        Map<String, Map<String, List<Double>>> byQuery = new LinkedHashMap<>();
        Map<String, Double> coldFirst = new TreeMap<>();
        for (Run r : runs) {
            if (r.repeat() == 0) {
                if (r.side().equals("tierlog-cold")) {
                    coldFirst.put(r.query(), r.ms());
                }
                continue;
            }
            byQuery.computeIfAbsent(r.query(), k -> new TreeMap<>()).computeIfAbsent(r.side(), k -> new ArrayList<>()).add(r.ms());
        }
        byQuery.forEach((q, sides) -> {
            double p = median(sides.get("prometheus"));
            double h = median(sides.get("tierlog-hot"));
            double c = median(sides.get("tierlog-cold"));
            sb.append(String.format(Locale.ROOT, "%-58s %12.1f %12.1f %12.1f %7.2f %12.1f%n", q.length() > 58 ? q.substring(0, 55) + "..." : q,
                    p, h, c, h / p, coldFirst.getOrDefault(q, Double.NaN)));
        });
        return sb.toString();
    }

    private static double median(List<Double> v) {
        if (v == null || v.isEmpty()) {
            return Double.NaN;
        }
        List<Double> s = new ArrayList<>(v);
        s.sort(null);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private static String secs(long ms) {
        return String.format(Locale.ROOT, "%.3f", ms / 1000.0);
    }

    private void post(URI base, String path, String json) throws IOException {
        HttpResponse<String> r = send(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
        if (r.statusCode() / 100 != 2) {
            throw new IllegalStateException(path + " answered " + r.statusCode() + ": " + r.body());
        }
    }

    private HttpResponse<String> send(HttpRequest.Builder b) throws IOException {
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static void run(List<String> command, Path log) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + Files.readString(log));
        }
    }
}
