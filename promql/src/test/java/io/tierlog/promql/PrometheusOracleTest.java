package io.tierlog.promql;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The engine against the real thing: the same generated samples are loaded into a Prometheus server (Debian's
 * {@code prometheus} package, installed when missing) with {@code promtool tsdb create-blocks-from openmetrics} and
 * into an in-memory {@link SeriesSource}; every query of a corpus is asked of both as a range query (and as instant
 * queries at a few times), and the answers must hold the same series with the same timestamps and values equal
 * within 1e-9 relative.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PrometheusOracleTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final long STEP = 10_000;
    /** Two hours of samples, starting on a whole hour two days ago (inside Prometheus' retention). */
    private static final long T0 = (System.currentTimeMillis() / 3_600_000L - 48) * 3_600_000L;
    private static final long T_END = T0 + 2 * 3_600_000L;

    @TempDir
    static Path dir;
    private Process prometheus;
    private URI api;
    private Engine engine;

    @BeforeAll
    void loadBoth() throws Exception {
        Prometheus.ensureInstalled();
        Map<Labels, SeriesData> data = generate(new Random(42));
        Path om = dir.resolve("samples.om");
        Files.writeString(om, openMetrics(data));
        Path tsdb = dir.resolve("tsdb");
        Prometheus.run(List.of("promtool", "tsdb", "create-blocks-from", "openmetrics", om.toString(), tsdb.toString()));
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path config = dir.resolve("prometheus.yml");
        Files.writeString(config, "global:\n  scrape_interval: 1h\n");
        prometheus = new ProcessBuilder("prometheus", "--config.file=" + config, "--storage.tsdb.path=" + tsdb,
                "--web.listen-address=127.0.0.1:" + port, "--storage.tsdb.retention.time=30d")
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
        api = URI.create("http://127.0.0.1:" + port);
        Prometheus.awaitReady(api, prometheus, dir.resolve("prometheus.log"));
        List<Series> series = new ArrayList<>();
        data.forEach((labels, d) -> series.add(new Series(labels, d.ts(), d.vs())));
        engine = new Engine(new InMemorySource(series));
    }

    @AfterAll
    void stop() throws InterruptedException {
        if (prometheus != null) {
            prometheus.destroy();
            prometheus.waitFor();
        }
    }

    static Stream<String> queries() {
        return Stream.of(
                "gauge_a", "gauge_a{job=\"api\"}", "{__name__=~\"gauge_.*\"}", "gauge_a{instance!=\"i1\"}",
                "gauge_a{instance=~\"i[12]\"}", "gauge_a{instance!~\"i1|i2\"}", "gauge_a offset 5m", "gauge_b",
                "rate(requests_total[5m])", "rate(requests_total[1m])", "irate(requests_total[5m])",
                "increase(requests_total[10m])", "delta(gauge_a[5m])", "idelta(gauge_a[2m])",
                "rate(requests_total[5m] offset 10m)", "changes(gauge_a[10m])", "resets(requests_total[30m])",
                "avg_over_time(gauge_a[5m])", "min_over_time(gauge_a[5m])", "max_over_time(gauge_a[5m])",
                "sum_over_time(gauge_a[5m])", "count_over_time(gauge_a[5m])", "last_over_time(gauge_a[5m])",
                "stddev_over_time(gauge_a[5m])", "stdvar_over_time(gauge_a[5m])", "quantile_over_time(0.9, gauge_a[10m])",
                "present_over_time(gauge_a[1m])",
                "sum(rate(requests_total[5m])) by (job)", "sum by (job) (gauge_a)", "avg without (instance) (gauge_a)",
                "min(gauge_a)", "max by (instance) (gauge_a)", "count(gauge_a)", "group by (job) (gauge_a)",
                "topk(2, gauge_a)", "bottomk(1, gauge_a) by (job)", "quantile(0.9, gauge_a)", "quantile by (job) (0.5, gauge_a)",
                "stddev(gauge_a)", "stdvar by (job) (gauge_a)",
                "gauge_a * 2", "2 - gauge_a", "gauge_a / gauge_b", "gauge_a % 7", "gauge_a ^ 0.5", "-gauge_a",
                "gauge_a > 50", "gauge_a > bool 50", "50 < gauge_a", "gauge_a == bool gauge_b", "gauge_a >= gauge_b",
                "gauge_a + on (instance) group_left (job) info", "gauge_a * ignoring (job) gauge_b",
                "gauge_a / on (instance, job) gauge_b", "sum by (instance) (gauge_a) / on (instance) group_left sum by (instance, job) (gauge_b)",
                "gauge_a and gauge_b > 30", "gauge_a or gauge_c", "gauge_a unless gauge_b > 60",
                "histogram_quantile(0.9, sum by (le) (rate(latency_seconds_bucket[5m])))",
                "histogram_quantile(0.5, rate(latency_seconds_bucket[5m]))",
                "abs(gauge_a - 50)", "ceil(gauge_a)", "floor(gauge_a)", "sqrt(gauge_b)", "exp(gauge_a / 100)", "ln(gauge_b)",
                "log2(gauge_b)", "log10(gauge_b)", "sgn(gauge_a - 50)",
                "clamp(gauge_a, 10, 90)", "clamp_min(gauge_a, 30)", "clamp_max(gauge_a, 30)", "round(gauge_a)", "round(gauge_a, 5)",
                "label_replace(gauge_a, \"host\", \"h-$1\", \"instance\", \"i(.*)\")",
                "label_replace(gauge_a, \"instance\", \"\", \"instance\", \".*\") + 0 * on() group_left() vector(0)",
                "vector(1)", "scalar(sum(gauge_a))", "time()", "timestamp(gauge_a)", "gauge_c", "1 + 2 * 3 ^ 2",
                "sum(rate(requests_total[5m])) / sum(rate(requests_total[5m] offset 1h))");
    }

    @ParameterizedTest
    @MethodSource("queries")
    void rangeQueriesAnswerAsPrometheusDoes(String query) throws Exception {
        long start = T0 + 7 * 60_000 + 1234;
        long end = T_END + 10 * 60_000;
        long step = 37_000;
        JsonNode answer = prometheus("/api/v1/query_range?query=" + enc(query) + "&start=" + secs(start) + "&end="
                + secs(end) + "&step=" + secs(step));
        if (failsAsPrometheusDoes(answer, () -> engine.range(query, start, end, step))) {
            return;
        }
        assertSameMatrix(query, answer.get("data"), engine.range(query, start, end, step));
    }

    @ParameterizedTest
    @MethodSource("queries")
    void instantQueriesAnswerAsPrometheusDoes(String query) throws Exception {
        for (long t : new long[] {T0 + 20 * 60_000, T0 + 61 * 60_000 + 500, T_END + 4 * 60_000}) {
            JsonNode answer = prometheus("/api/v1/query?query=" + enc(query) + "&time=" + secs(t));
            if (failsAsPrometheusDoes(answer, () -> engine.instant(query, t))) {
                continue;
            }
            JsonNode expected = answer.get("data");
            Value actual = engine.instant(query, t);
            String type = expected.get("resultType").asText();
            switch (actual) {
                case Value.Scalar s -> {
                    assertThat(type).isEqualTo("scalar");
                    assertClose(query + " @" + t, parse(expected.get("result").get(1).asText()), s.value());
                }
                case Value.Vector v -> {
                    assertThat(type).as(query).isEqualTo("vector");
                    Map<Labels, Double> want = new TreeMap<>();
                    for (JsonNode r : expected.get("result")) {
                        want.put(labels(r.get("metric")), parse(r.get("value").get(1).asText()));
                    }
                    Map<Labels, Double> got = new TreeMap<>();
                    v.samples().forEach(s -> got.put(s.labels(), s.value()));
                    assertThat(got.keySet()).as(query + " @" + t + " series").containsExactlyElementsOf(want.keySet());
                    want.forEach((l, w) -> assertClose(query + " " + l + " @" + t, w, got.get(l)));
                }
                default -> throw new AssertionError("unexpected " + actual);
            }
        }
    }

    private static void assertSameMatrix(String query, JsonNode expected, Value.Matrix actual) {
        assertThat(expected.get("resultType").asText()).isEqualTo("matrix");
        Map<Labels, JsonNode> want = new TreeMap<>();
        for (JsonNode r : expected.get("result")) {
            want.put(labels(r.get("metric")), r.get("values"));
        }
        Map<Labels, Series> got = new TreeMap<>();
        actual.series().forEach(s -> got.put(s.labels(), s));
        assertThat(got.keySet()).as(query + ": series").containsExactlyElementsOf(want.keySet());
        want.forEach((labels, values) -> {
            Series s = got.get(labels);
            assertThat(s.size()).as(query + " " + labels + ": points").isEqualTo(values.size());
            for (int i = 0; i < values.size(); i++) {
                long t = Math.round(values.get(i).get(0).asDouble() * 1000);
                assertThat(s.timestamps()[i]).as(query + " " + labels + ": timestamp of point " + i).isEqualTo(t);
                assertClose(query + " " + labels + " @" + t, parse(values.get(i).get(1).asText()), s.values()[i]);
            }
        });
    }

    private static void assertClose(String what, double want, double got) {
        if (Double.isNaN(want)) {
            assertThat(Double.isNaN(got)).as(what + ": NaN, got " + got).isTrue();
            return;
        }
        if (Double.isInfinite(want)) {
            assertThat(got).as(what).isEqualTo(want);
            return;
        }
        double tolerance = Math.max(1e-9 * Math.abs(want), 1e-12);
        assertThat(got).as(what).isCloseTo(want, org.assertj.core.data.Offset.offset(tolerance));
    }

    private static double parse(String v) {
        return switch (v) {
            case "NaN" -> Double.NaN;
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(v);
        };
    }

    private static Labels labels(JsonNode metric) {
        Map<String, String> m = new TreeMap<>();
        metric.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asText()));
        return Labels.of(m);
    }

    /** Prometheus' whole answer: {@code status}, then {@code data} or {@code errorType} and {@code error}. */
    private JsonNode prometheus(String pathAndQuery) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(api.resolve(pathAndQuery)).timeout(Duration.ofSeconds(30))
                .build(), HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }

    /**
     * When Prometheus refused the query, the engine must refuse it the same way (bad_data: {@link BadQueryException},
     * execution: {@link QueryExecutionException}); true then. False when Prometheus answered.
     */
    private static boolean failsAsPrometheusDoes(JsonNode answer, org.assertj.core.api.ThrowableAssert.ThrowingCallable query) {
        if (answer.get("status").asText().equals("success")) {
            return false;
        }
        Class<? extends Throwable> expected = switch (answer.get("errorType").asText()) {
            case "bad_data" -> BadQueryException.class;
            case "execution" -> QueryExecutionException.class;
            default -> throw new AssertionError("Prometheus answered " + answer);
        };
        org.assertj.core.api.Assertions.assertThatThrownBy(query).as("Prometheus: " + answer.get("error").asText())
                .isInstanceOf(expected);
        return true;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String secs(long ms) {
        return String.format(Locale.ROOT, "%.3f", ms / 1000.0);
    }

    // ---- the generated samples

    record SeriesData(long[] ts, double[] vs) {
    }

    /**
     * Gauges with decimals and NaN, counters with resets, classic histogram buckets, a series that ends early and one
     * that starts late, an info metric; 10 s scrapes with millisecond jitter, some scrapes missing.
     */
    private static Map<Labels, SeriesData> generate(Random rnd) {
        Map<Labels, SeriesData> out = new TreeMap<>();
        String[][] targets = {{"api", "i1"}, {"api", "i2"}, {"db", "i3"}};
        for (String[] target : targets) {
            String job = target[0];
            String instance = target[1];
            out.put(Labels.of("__name__", "gauge_a", "job", job, "instance", instance),
                    series(rnd, 0, 1, (i, prev) -> Math.round((50 + 40 * Math.sin(i / 30.0) + rnd.nextGaussian() * 5) * 100) / 100.0));
            out.put(Labels.of("__name__", "gauge_b", "job", job, "instance", instance),
                    series(rnd, 0, 1, (i, prev) -> i == 100 ? Double.NaN : 1 + rnd.nextInt(100)));
            out.put(Labels.of("__name__", "requests_total", "job", job, "instance", instance),
                    series(rnd, 0, 1, (i, prev) -> i % 250 == 249 ? rnd.nextInt(5) : prev + rnd.nextInt(20)));
            out.put(Labels.of("__name__", "info", "job", job, "instance", instance, "version", "1." + instance.charAt(1)),
                    series(rnd, 0, 1, (i, prev) -> 1));
            double[] bounds = {0.05, 0.1, 0.5, 1, Double.POSITIVE_INFINITY};
            long[] ts = times(rnd, 0, 1);
            double[] counts = new double[bounds.length];
            List<double[]> perBucket = new ArrayList<>();
            for (int b = 0; b < bounds.length; b++) {
                perBucket.add(new double[ts.length]);
            }
            for (int i = 0; i < ts.length; i++) {
                int observations = rnd.nextInt(30);
                for (int o = 0; o < observations; o++) {
                    double latency = Math.abs(rnd.nextGaussian() * 0.3);
                    for (int b = 0; b < bounds.length; b++) {
                        if (latency <= bounds[b]) {
                            counts[b]++;
                        }
                    }
                }
                for (int b = 0; b < bounds.length; b++) {
                    perBucket.get(b)[i] = counts[b];
                }
            }
            for (int b = 0; b < bounds.length; b++) {
                String le = bounds[b] == Double.POSITIVE_INFINITY ? "+Inf" : Double.toString(bounds[b]);
                out.put(Labels.of("__name__", "latency_seconds_bucket", "job", job, "instance", instance, "le", le),
                        new SeriesData(ts, perBucket.get(b)));
            }
        }
        // one series that stops after 40 minutes, one that starts after 70
        out.put(Labels.of("__name__", "gauge_c", "job", "api", "instance", "i1"), series(rnd, 0, 0.33, (i, prev) -> i));
        out.put(Labels.of("__name__", "gauge_c", "job", "api", "instance", "i9"), series(rnd, 0.58, 1, (i, prev) -> -i));
        return out;
    }

    interface Next {
        double value(int i, double previous);
    }

    private static SeriesData series(Random rnd, double fromFraction, double toFraction, Next next) {
        long[] ts = times(rnd, fromFraction, toFraction);
        double[] vs = new double[ts.length];
        double prev = 0;
        for (int i = 0; i < ts.length; i++) {
            vs[i] = next.value(i, prev);
            prev = vs[i];
        }
        return new SeriesData(ts, vs);
    }

    /** Scrape times every 10 s with up to ±500 ms of jitter, 3 % of scrapes missing. */
    private static long[] times(Random rnd, double fromFraction, double toFraction) {
        List<Long> ts = new ArrayList<>();
        long from = T0 + (long) ((T_END - T0) * fromFraction);
        long to = T0 + (long) ((T_END - T0) * toFraction);
        for (long t = from; t < to; t += STEP) {
            if (rnd.nextInt(100) < 3) {
                continue;
            }
            ts.add(t + rnd.nextInt(1001) - 500);
        }
        return ts.stream().mapToLong(Long::longValue).toArray();
    }

    /** OpenMetrics text: each series' samples together and in time order, families not interleaved. */
    private static String openMetrics(Map<Labels, SeriesData> data) {
        record Line(long t, String text) {
        }
        List<Line> lines = new ArrayList<>();
        data.forEach((labels, d) -> {
            StringBuilder name = new StringBuilder(labels.metricName()).append('{');
            boolean first = true;
            for (int i = 0; i < labels.size(); i++) {
                if (labels.name(i).equals(Labels.NAME)) {
                    continue;
                }
                name.append(first ? "" : ",").append(labels.name(i)).append("=\"").append(labels.value(i)).append('"');
                first = false;
            }
            name.append('}');
            for (int i = 0; i < d.ts().length; i++) {
                double v = d.vs()[i];
                String value = Double.isNaN(v) ? "NaN" : Double.toString(v);
                lines.add(new Line(d.ts()[i], name + " " + value + " " + String.format(Locale.ROOT, "%.3f", d.ts()[i] / 1000.0)));
            }
        });
        StringBuilder sb = new StringBuilder();
        lines.forEach(l -> sb.append(l.text()).append('\n'));
        return sb.append("# EOF\n").toString();
    }
}
