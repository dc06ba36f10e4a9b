package io.tierlog.promql;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
    private static final long T0 = OracleData.T0;
    private static final long T_END = OracleData.T_END;

    @TempDir
    static Path dir;
    private Prometheus.Server prometheus;
    private URI api;
    private Engine engine;

    @BeforeAll
    void loadBoth() throws Exception {
        Map<Labels, OracleData.SeriesData> data = OracleData.generate(42);
        prometheus = Prometheus.serve(dir, OracleData.openMetrics(data));
        api = prometheus.api;
        List<Series> series = new ArrayList<>();
        data.forEach((labels, d) -> series.add(new Series(labels, d.ts(), d.vs())));
        engine = new Engine(new InMemorySource(series));
    }

    @AfterAll
    void stop() throws InterruptedException {
        if (prometheus != null) {
            prometheus.close();
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
        Answers.assertClose(what, want, got);
    }

    private static double parse(String v) {
        return Answers.parse(v);
    }

    private static Labels labels(JsonNode metric) {
        return Answers.labels(metric);
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
}
