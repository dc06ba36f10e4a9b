package io.tierlog.loadtest.cold;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tierlog.core.BatchBuilder;
import io.tierlog.core.Compression;
import io.tierlog.core.MetricCodec;
import io.tierlog.loadtest.kafka.ChildProcess;
import io.tierlog.loadtest.kafka.Jvm;
import io.tierlog.loadtest.kafka.ServerOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * What the metrics-native cold tier costs and saves, measured side by side on one generated workload
 * ({@link MetricsMix}: counters with resets, integer gauges, decimal ratios, latency quantiles):
 * <ol>
 *   <li>bytes per sample in S3 - every object of the topic (series blocks and manifests) over the samples offloaded -
 *       against a Prometheus TSDB block of the same samples made by {@code promtool tsdb create-blocks-from
 *       openmetrics} (every file of the block directory), with regular scrapes and with millisecond jitter;</li>
 *   <li>a selective range query (5 of the series over all samples, in S3 only) on the first run after a restart of
 *       the server (empty caches) and warm, with the ranged GETs it sent per block;</li>
 *   <li>the bytes S3 sends for a full replay from offset 0, series blocks against the same records stored as
 *       segment copies (a {@code bytes} topic, the layout every topic had before series blocks);</li>
 *   <li>{@code *_over_time} queries over the whole span at a 1 h step answered from the blocks' rollups, then, after
 *       a restart with {@code --cold-rollups ""}, the same queries from the samples (and whether the answers agree).</li>
 * </ol>
 * The server runs in its own JVM with its embedded S3 store, whose files are the objects.
 */
@Command(name = "cold-perf", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Series blocks in S3: bytes per sample against Prometheus' TSDB, selective cold queries, replay bytes.")
public final class ColdPerf implements Callable<Integer> {
    private static final Pattern HTTP_LISTENING = Pattern.compile("tierlog listening on http://(\\S+):(\\d+)");
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Option(names = "--targets", description = "scrape targets of 20 series each (default: ${DEFAULT-VALUE})")
    int targets = 50;

    @Option(names = "--scrapes", description = "scrapes of every target (default: ${DEFAULT-VALUE}: 1 M samples)")
    int scrapes = 1000;

    @Option(names = "--interval-ms", description = "scrape interval (default: ${DEFAULT-VALUE})")
    long intervalMs = 10_000;

    @Option(names = "--jitter-ms", description = "scrape jitter of the second data set, 0..N-1 ms late (default: ${DEFAULT-VALUE})")
    int jitterMs = 25;

    @Option(names = "--repeats", description = "warm runs of each query after the first (default: ${DEFAULT-VALUE})")
    int repeats = 5;

    @Option(names = "--restarts", description = "server restarts before the cold runs, medians reported (default: ${DEFAULT-VALUE})")
    int restarts = 3;

    @Option(names = "--query", description = "selective queries (repeatable; default: one metric of 5 targets, and 5 metrics of one target)")
    List<String> queries = new ArrayList<>(List.of("process_cpu_seconds_total{job=\"svc-3\"}",
            "{instance=\"10.0.0.3:9100\", __name__=~\"go_goroutines|process_.*|up\"}"));

    @Option(names = "--no-prometheus", description = "skip promtool's block (it writes one block per 2 h of data: slow "
            + "for a month); the ratio column is then NaN")
    boolean noPrometheus;

    @Option(names = "--step", description = "step of the selective queries in seconds (default: ${DEFAULT-VALUE}; "
            + "at most 11,000 points per series)")
    long stepSeconds = 60;

    @Option(names = "--rollup-query", description = "queries at a 1 h step read from rollups and from samples "
            + "(repeatable; default: three *_over_time queries)")
    List<String> rollupQueries = new ArrayList<>(List.of("max_over_time(process_cpu_seconds_total[1h])",
            "sum by (code) (sum_over_time(http_requests_total[1h]))",
            "avg_over_time(http_request_duration_seconds{quantile=\"0.99\"}[1h])"));

    @Option(names = "--cold-rollups", description = "the server's rollup resolutions while it offloads (default: ${DEFAULT-VALUE})")
    String coldRollups = "1h";

    @Option(names = "--heap", description = "heap of the Tierlog JVM (default: ${DEFAULT-VALUE})")
    String heap = "1g";

    @CommandLine.Mixin
    ServerOptions server = new ServerOptions();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private PrintWriter out;
    private Path work;
    private ChildProcess tierlog;
    private URI base;
    private String serverRollups;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ColdPerf()).execute(args));
    }

    /** One data set: its name, its workload, the topic that holds it. */
    private record DataSet(String name, MetricsMix mix, String topic) {
    }

    /** One query_range's wall time and answer. */
    private record Answer(double ms, JsonNode result) {
    }

    /**
     * A query's medians over the restarts: the process's first run, the first run on the measured data set (caches
     * empty) with the GETs and bytes it sent (last restart), the warm runs, and the last answer.
     */
    private record QueryStats(String query, double series, double processFirst, double cold, double warm, double gets,
                              double bytes, JsonNode answer) {
    }

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        work = server.dataRoot().resolve("cold-perf-" + ProcessHandle.current().pid());
        Files.createDirectories(work);
        long start = (System.currentTimeMillis() / 7_200_000L - 3 - scrapes * intervalMs / 7_200_000L) * 7_200_000L;
        List<DataSet> sets = List.of(
                new DataSet("regular", new MetricsMix(targets, start, scrapes, intervalMs, 0, 42), "mix-regular"),
                new DataSet("jitter " + jitterMs + " ms", new MetricsMix(targets, start, scrapes, intervalMs, jitterMs, 42), "mix-jitter"));
        out.printf(Locale.ROOT, "cold-perf: %d series x %d scrapes at %d ms = %,d samples per data set; %d cores; data in %s%n",
                targets * MetricsMix.SERIES_PER_TARGET, scrapes, intervalMs, sets.getFirst().mix().samples(),
                Runtime.getRuntime().availableProcessors(), work);
        out.flush();
        serverRollups = coldRollups;
        try {
            startServer();
            DataSet copies = new DataSet("segment copies", sets.getFirst().mix(), "mix-copies");
            for (DataSet set : sets) {
                createTopic(set.topic(), "metrics");
                produce(set.topic(), set.mix());
            }
            createTopic(copies.topic(), "bytes");
            produce(copies.topic(), copies.mix());
            List<String> rows = new ArrayList<>();
            for (DataSet set : sets) {
                double promBytes = noPrometheus ? Double.NaN : prometheusBytes(set);
                long offloaded = awaitOffloaded(set.topic());
                long s3 = objectBytes(set.topic());
                double perSample = (double) s3 / offloaded;
                double promPerSample = promBytes / set.mix().samples();
                rows.add(String.format(Locale.ROOT, "%-16s %,12d %,12d %10.3f %,12.0f %10.3f %8.3f", set.name(), offloaded, s3,
                        perSample, promBytes, promPerSample, perSample / promPerSample));
                out.printf(Locale.ROOT, "%s: %,d samples in S3 in %,d bytes%n", set.name(), offloaded, s3);
                out.flush();
            }
            awaitOffloaded(copies.topic());
            long copyBytes = objectBytes(copies.topic());

            List<String> queryRows = new ArrayList<>();
            DataSet regular = sets.getFirst();
            DataSet other = sets.get(1);
            long blocks = objects(regular.topic()).filter(p -> p.toString().endsWith(".seg")).count();
            for (QueryStats q : measure(queries, regular, other, stepSeconds)) {
                queryRows.add(String.format(Locale.ROOT, "%-62s %6.0f %10.1f %10.1f %10.1f %8.0f %8.2f %,10.0f", q.query(),
                        q.series(), q.processFirst(), q.cold(), q.warm(), q.gets(), q.gets() / blocks, q.bytes()));
            }
            double replayBlocks = replayBytes(regular.topic());
            double replayCopies = replayBytes(copies.topic());

            List<QueryStats> rolled = measure(rollupQueries, regular, other, 3600);
            serverRollups = ""; // the same blocks, read as samples
            List<QueryStats> sampled = measure(rollupQueries, regular, other, 3600);
            serverRollups = coldRollups;
            List<String> rollupRows = new ArrayList<>();
            for (int q = 0; q < rolled.size(); q++) {
                QueryStats r = rolled.get(q);
                QueryStats x = sampled.get(q);
                rollupRows.add(String.format(Locale.ROOT, "%-58s %6.0f | %8.1f %8.1f %6.0f %,10.0f | %8.1f %8.1f %6.0f %,10.0f | %s",
                        r.query(), r.series(), r.cold(), r.warm(), r.gets(), r.bytes(), x.cold(), x.warm(), x.gets(), x.bytes(),
                        sameAnswer(r.answer(), x.answer()) ? "same" : "DIFFERENT"));
            }

            out.printf(Locale.ROOT, "%nbytes per sample in S3 (all objects incl. manifests) vs a Prometheus TSDB block (promtool)%n");
            out.printf(Locale.ROOT, "%-16s %12s %12s %10s %12s %10s %8s%n", "data set", "samples", "S3 bytes", "B/sample",
                    "TSDB bytes", "B/sample", "ratio");
            rows.forEach(out::println);
            out.printf(Locale.ROOT, "%-16s %,12d %,12d %10.3f   (the regular data set as segment copies, lz4 batches)%n",
                    copies.name(), copies.mix().samples(), copyBytes, (double) copyBytes / copies.mix().samples());
            out.printf(Locale.ROOT, "%nselective query_range over the whole span at a %d s step, data in S3 only (%d blocks), "
                    + "medians over %d restarts: the process's first run (on the jitter data set), the first run on the regular "
                    + "data set (its caches empty; GETs and bytes of the last such run), then %d warm runs%n", stepSeconds, blocks,
                    restarts, repeats);
            out.printf(Locale.ROOT, "%-62s %6s %10s %10s %10s %8s %8s %10s%n", "query", "series", "JVM 1st", "cold ms", "warm ms",
                    "GETs", "GET/blk", "bytes");
            queryRows.forEach(out::println);
            out.printf(Locale.ROOT, "%nfull replay from offset 0 (HTTP binary reads): S3 sent %,.0f bytes for series blocks, "
                    + "%,.0f for segment copies: %.1fx fewer%n", replayBlocks, replayCopies, replayCopies / replayBlocks);
            out.printf(Locale.ROOT, "%nquery_range over the whole span at a 1 h step (rollups: --cold-rollups %s), medians over %d "
                    + "restarts: first run after a restart (caches empty; GETs and bytes of the last such run) and %d warm runs, "
                    + "from rollups | from samples (restarted with --cold-rollups \"\") | answers equal within 1e-9%n",
                    coldRollups, restarts, repeats);
            out.printf(Locale.ROOT, "%-58s %6s | %8s %8s %6s %10s | %8s %8s %6s %10s |%n", "query", "series", "cold ms", "warm ms",
                    "GETs", "bytes", "cold ms", "warm ms", "GETs", "bytes");
            rollupRows.forEach(out::println);
            out.flush();
            return 0;
        } finally {
            if (tierlog != null) {
                tierlog.close();
            }
            ChildProcess.deleteTree(work);
        }
    }

    /** Runs each query as the selective queries are run: restarts, the process's first run elsewhere, cold, warm. */
    private List<QueryStats> measure(List<String> qs, DataSet measured, DataSet other, long stepSeconds)
            throws IOException, InterruptedException {
        int n = qs.size();
        List<List<Double>> processFirst = new ArrayList<>();
        List<List<Double>> cold = new ArrayList<>();
        List<List<Double>> warm = new ArrayList<>();
        double[] gets = new double[n];
        double[] bytes = new double[n];
        JsonNode[] answers = new JsonNode[n];
        for (int q = 0; q < n; q++) {
            processFirst.add(new ArrayList<>());
            cold.add(new ArrayList<>());
            warm.add(new ArrayList<>());
        }
        for (int restart = 0; restart < restarts; restart++) {
            restartServer(); // empty caches: the first query of each data set reads S3 as after any restart
            for (int q = 0; q < n; q++) {
                String query = qs.get(q);
                // the process's first query of this kind warms the JVM (class loading, JIT) on the other data set,
                // whose objects share no cache entry with the measured one: reported apart
                processFirst.get(q).add(query(other, query, stepSeconds).ms());
                double getsBefore = metric("tierlog_cold_get_requests_total");
                double bytesBefore = metric("tierlog_cold_get_bytes_total");
                Answer first = query(measured, query, stepSeconds);
                cold.get(q).add(first.ms());
                gets[q] = metric("tierlog_cold_get_requests_total") - getsBefore;
                bytes[q] = metric("tierlog_cold_get_bytes_total") - bytesBefore;
                answers[q] = first.result();
                if (restart == restarts - 1) {
                    for (int r = 0; r < repeats; r++) {
                        warm.get(q).add(query(measured, query, stepSeconds).ms());
                    }
                }
            }
        }
        List<QueryStats> stats = new ArrayList<>();
        for (int q = 0; q < n; q++) {
            stats.add(new QueryStats(qs.get(q), answers[q].size(), median(processFirst.get(q)), median(cold.get(q)),
                    median(warm.get(q)), gets[q], bytes[q], answers[q]));
        }
        return stats;
    }

    /** Two query_range results hold the same series with the same points, values within 1e-9 relative. */
    static boolean sameAnswer(JsonNode a, JsonNode b) {
        if (a.size() != b.size()) {
            return false;
        }
        java.util.Map<String, JsonNode> byLabels = new java.util.HashMap<>();
        b.forEach(s -> byLabels.put(s.get("metric").toString(), s.get("values")));
        for (JsonNode s : a) {
            JsonNode other = byLabels.get(s.get("metric").toString());
            JsonNode values = s.get("values");
            if (other == null || other.size() != values.size()) {
                return false;
            }
            for (int i = 0; i < values.size(); i++) {
                double x = Double.parseDouble(values.get(i).get(1).asText());
                double y = Double.parseDouble(other.get(i).get(1).asText());
                boolean same = values.get(i).get(0).asDouble() == other.get(i).get(0).asDouble()
                        && (Double.compare(x, y) == 0 || Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y)));
                if (!same) {
                    return false;
                }
            }
        }
        return true;
    }

    // ---- Prometheus' side

    private double prometheusBytes(DataSet set) throws IOException, InterruptedException {
        Path om = work.resolve(set.topic() + ".om");
        set.mix().writeOpenMetrics(om);
        Path tsdb = work.resolve("tsdb-" + set.topic());
        Process p = new ProcessBuilder("promtool", "tsdb", "create-blocks-from", "openmetrics", om.toString(), tsdb.toString())
                .redirectErrorStream(true).redirectOutput(work.resolve("promtool-" + set.topic() + ".log").toFile()).start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("promtool failed: " + Files.readString(work.resolve("promtool-" + set.topic() + ".log")));
        }
        Files.delete(om);
        try (Stream<Path> files = Files.walk(tsdb)) {
            return files.filter(Files::isRegularFile).mapToLong(ColdPerf::size).sum();
        }
    }

    // ---- Tierlog's side

    private void startServer() throws IOException, InterruptedException {
        String cp = server.serverClassPath();
        tierlog = ChildProcess.start("tierlog", Jvm.command(List.of("-Xms" + heap, "-Xmx" + heap, "-XX:+UseG1GC"), cp,
                "io.tierlog.server.Main", List.of("server", "--host", "127.0.0.1", "--port", "0", "--kafka-port", "0",
                        "--data-dir", work.resolve("tierlog").toString(), "--retention-check-interval-ms", "500",
                        "--cold-rollups", serverRollups)),
                work.resolve("tierlog-" + System.nanoTime() + ".log"));
        Matcher m = tierlog.awaitLine(HTTP_LISTENING, Duration.ofSeconds(90));
        base = URI.create("http://" + m.group(1) + ":" + m.group(2));
    }

    private void restartServer() throws IOException, InterruptedException {
        tierlog.close();
        startServer();
    }

    private void createTopic(String topic, String schema) throws IOException {
        // one partition: one block per segment, as Prometheus makes one block per two hours; segments roll by time so
        // that every sample is offloaded once production stops
        post("/v1/topics", "{\"name\":\"" + topic + "\",\"partitions\":1,\"config\":{\"schema\":\"" + schema
                + "\",\"segmentBytes\":1073741824,\"segmentMs\":5000,\"localRetentionMs\":0,\"retentionMs\":-1}}");
    }

    private void produce(String topic, MetricsMix mix) throws IOException {
        List<MetricsMix.Series> series = mix.series();
        byte[][] keys = new byte[series.size()][];
        for (int s = 0; s < keys.length; s++) {
            keys[s] = series.get(s).key();
        }
        BatchBuilder[] open = {new BatchBuilder(Compression.LZ4)};
        mix.forEach((s, ts, value) -> {
            open[0].add(ts, keys[s], MetricCodec.encodeValue(value, series.get(s).type()));
            if (open[0].count() == 5000) {
                send(topic, open[0]);
                open[0] = new BatchBuilder(Compression.LZ4);
            }
        });
        if (open[0].count() > 0) {
            send(topic, open[0]);
        }
    }

    private void send(String topic, BatchBuilder b) throws IOException {
        ByteBuffer buf = b.build().buffer();
        byte[] bytes = new byte[buf.remaining()];
        buf.get(bytes);
        HttpResponse<String> r = send(HttpRequest.newBuilder(base.resolve("/v1/topics/" + topic + "/records?partition=0"))
                .header("Content-Type", "application/vnd.tierlog.batch").POST(HttpRequest.BodyPublishers.ofByteArray(bytes)));
        if (r.statusCode() != 200) {
            throw new IllegalStateException("produce answered " + r.statusCode() + ": " + r.body());
        }
    }

    /** Waits until every record of the topic is in S3 and only there; returns how many records that is. */
    private long awaitOffloaded(String topic) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (true) {
            JsonNode p = JSON.readTree(send(HttpRequest.newBuilder(base.resolve("/v1/topics/" + topic))).body()).get("partitions").get(0);
            long hw = p.get("highWatermark").asLong();
            if (hw > 0 && p.get("remoteEndOffset").asLong() == hw && p.get("localLogStartOffset").asLong() >= hw) {
                return hw;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("topic " + topic + " not offloaded within 10 minutes: " + p);
            }
            Thread.sleep(200); // polling an external server's state
        }
    }

    /** The embedded S3 store's files of one topic: every object the cold tier wrote for it, manifests included. */
    private Stream<Path> objects(String topic) throws IOException {
        Path s3 = work.resolve("tierlog").resolve("s3");
        return Files.walk(s3).filter(Files::isRegularFile).filter(p -> s3.relativize(p).toString().contains("/" + topic + "/"))
                .toList().stream();
    }

    private long objectBytes(String topic) throws IOException {
        return objects(topic).mapToLong(ColdPerf::size).sum();
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One query_range over the data set's whole span at a step of {@code stepSeconds}. */
    private Answer query(DataSet set, String q, long stepSeconds) throws IOException {
        String params = "query=" + URLEncoder.encode(q, StandardCharsets.UTF_8) + "&start=" + secs(set.mix().start())
                + "&end=" + secs(set.mix().end()) + "&step=" + stepSeconds;
        long t0 = System.nanoTime();
        HttpResponse<String> r = send(HttpRequest.newBuilder(base.resolve("/prometheus/" + set.topic() + "/api/v1/query_range?" + params)));
        double ms = (System.nanoTime() - t0) / 1e6;
        JsonNode body = JSON.readTree(r.body());
        if (!body.path("status").asText().equals("success")) {
            throw new IllegalStateException(q + " failed: " + r.body());
        }
        return new Answer(ms, body.get("data").get("result"));
    }

    /** Bytes S3 sent while the whole topic was read from offset 0 through the HTTP binary reads. */
    private double replayBytes(String topic) throws IOException {
        double before = metric("tierlog_cold_get_bytes_total");
        long offset = 0;
        long records = 0;
        while (true) {
            HttpResponse<byte[]> r = http(HttpRequest.newBuilder(base.resolve("/v1/topics/" + topic + "/partitions/0/records?offset="
                    + offset + "&maxBytes=1048576")).header("Accept", "application/vnd.tierlog.batch"));
            if (r.statusCode() != 200) {
                throw new IllegalStateException("read at " + offset + " answered " + r.statusCode());
            }
            long next = Long.parseLong(r.headers().firstValue("Tierlog-Next-Offset").orElseThrow());
            long hw = Long.parseLong(r.headers().firstValue("Tierlog-High-Watermark").orElseThrow());
            records += next - offset;
            offset = next;
            if (offset >= hw) {
                break;
            }
        }
        if (records == 0) {
            throw new IllegalStateException("replay of " + topic + " read nothing");
        }
        return metric("tierlog_cold_get_bytes_total") - before;
    }

    private double metric(String name) throws IOException {
        return send(HttpRequest.newBuilder(base.resolve("/metrics"))).body().lines().filter(l -> l.startsWith(name))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    private static double median(List<Double> v) {
        if (v.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(v);
        sorted.sort(null);
        int k = sorted.size();
        return k % 2 == 1 ? sorted.get(k / 2) : (sorted.get(k / 2 - 1) + sorted.get(k / 2)) / 2;
    }

    private static String secs(long ms) {
        return String.format(Locale.ROOT, "%.3f", ms / 1000.0);
    }

    private void post(String path, String json) throws IOException {
        HttpResponse<String> r = send(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
        if (r.statusCode() / 100 != 2) {
            throw new IllegalStateException(path + " answered " + r.statusCode() + ": " + r.body());
        }
    }

    private HttpResponse<String> send(HttpRequest.Builder b) throws IOException {
        try {
            return http.send(b.timeout(Duration.ofMinutes(5)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private HttpResponse<byte[]> http(HttpRequest.Builder b) throws IOException {
        try {
            return http.send(b.timeout(Duration.ofMinutes(5)).build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
