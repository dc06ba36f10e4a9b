package io.tierlog.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.tierlog.core.BatchBuilder;
import io.tierlog.core.Compression;
import io.tierlog.core.MetricCodec;
import io.tierlog.core.MetricType;
import io.tierlog.core.SeriesKey;
import io.tierlog.promql.Answers;
import io.tierlog.promql.Labels;
import io.tierlog.promql.OracleData;
import io.tierlog.promql.Prometheus;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Tierlog's Prometheus query API against a real Prometheus holding the same samples: the samples are written to a
 * metrics topic whose older segments are offloaded to S3 (so queries read both tiers), and to Prometheus by promtool's
 * backfill; the same requests, as Grafana's Prometheus data source sends them, get the same answers.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PrometheusQueryApiTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final long T0 = OracleData.T0;
    private static final long T_END = OracleData.T_END;

    @TempDir
    static Path dir;
    private Prometheus.Server prometheus;
    private ServerHarness tierlog;

    @BeforeAll
    void loadBoth() throws Exception {
        Map<Labels, OracleData.SeriesData> data = OracleData.generate(7);
        prometheus = Prometheus.serve(dir.resolve("prometheus"), OracleData.openMetrics(data));
        tierlog = new ServerHarness(dir.resolve("tierlog"), Map.of("cold.rollups", "1m,1h"));
        int partitions = 3;
        tierlog.createTopic("metrics", partitions, "{\"segmentBytes\":16384,\"localRetentionMs\":0}");
        Map<Integer, BatchBuilder> batches = new HashMap<>();
        data.forEach((labels, d) -> {
            Map<String, String> tags = new TreeMap<>(labels.toMap());
            tags.remove(Labels.NAME);
            byte[] key = SeriesKey.of(labels.metricName(), tags).toBytes();
            int p = SeriesKey.partitionFor(key, partitions);
            for (int i = 0; i < d.ts().length; i++) {
                BatchBuilder b = batches.computeIfAbsent(p, x -> new BatchBuilder(Compression.LZ4));
                b.add(d.ts()[i], key, MetricCodec.encodeValue(d.vs()[i], MetricType.GAUGE));
                if (b.count() == 2000) {
                    send(p, batches.remove(p));
                }
            }
        });
        batches.forEach(this::send);
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            JsonNode t = tierlog.get("/v1/topics/metrics").json();
            return Stream.of(0, 1, 2).allMatch(p -> t.get("partitions").get(p).get("remoteEndOffset").asLong() > 0);
        });
    }

    private void send(int partition, BatchBuilder batch) {
        java.nio.ByteBuffer buf = batch.build().buffer();
        byte[] bytes = new byte[buf.remaining()];
        buf.get(bytes);
        var r = tierlog.post("/v1/topics/metrics/records?partition=" + partition, HttpApi.BATCH_MEDIA_TYPE, bytes);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
    }

    @AfterAll
    void stop() throws InterruptedException {
        if (tierlog != null) {
            tierlog.close();
        }
        if (prometheus != null) {
            prometheus.close();
        }
    }

    static Stream<String> queries() {
        return Stream.of("gauge_a", "{__name__=~\"gauge_.*\", job=\"api\"}", "rate(requests_total[5m])",
                "sum by (job) (increase(requests_total[10m]))", "histogram_quantile(0.9, sum by (le) (rate(latency_seconds_bucket[5m])))",
                "avg_over_time(gauge_b[10m])", "topk(2, gauge_a)", "gauge_a / on (instance, job) gauge_b",
                "gauge_a > bool 50", "gauge_c", "count(gauge_a offset 30m)");
    }

    @ParameterizedTest
    @MethodSource("queries")
    void rangeQueriesAcrossBothTiersAnswerAsPrometheusDoes(String query) throws Exception {
        String params = "query=" + enc(query) + "&start=" + secs(T0 + 5 * 60_000 + 500) + "&end=" + secs(T_END + 6 * 60_000)
                + "&step=" + secs(45_000);
        JsonNode want = get(prometheus.api, "/api/v1/query_range?" + params);
        JsonNode got = get(URI.create(tierlog.base), "/prometheus/metrics/api/v1/query_range?" + params);
        Answers.assertSame(query, want.get("data"), got.get("data"));
        // Grafana sends range queries as a form POST; the default topic answers under /api/v1 too
        JsonNode posted = postForm(URI.create(tierlog.base), "/api/v1/query_range", params);
        Answers.assertSame(query + " (POST)", want.get("data"), posted.get("data"));
    }

    @ParameterizedTest
    @MethodSource("queries")
    void instantQueriesAnswerAsPrometheusDoes(String query) throws Exception {
        String params = "query=" + enc(query) + "&time=" + secs(T0 + 90 * 60_000 + 123);
        Answers.assertSame(query, get(prometheus.api, "/api/v1/query?" + params).get("data"),
                get(URI.create(tierlog.base), "/prometheus/metrics/api/v1/query?" + params).get("data"));
    }

    static Stream<org.junit.jupiter.params.provider.Arguments> rollupQueries() {
        return Stream.of(
                org.junit.jupiter.params.provider.Arguments.of("max_over_time(gauge_a[1h])", 3_600_000L),
                org.junit.jupiter.params.provider.Arguments.of("min_over_time(gauge_b[5m])", 300_000L),
                org.junit.jupiter.params.provider.Arguments.of("sum_over_time(gauge_c[10m])", 600_000L),
                org.junit.jupiter.params.provider.Arguments.of("count_over_time({__name__=\"gauge_a\", job=\"api\"}[30m])", 60_000L),
                org.junit.jupiter.params.provider.Arguments.of("avg_over_time(requests_total[1h])", 3_600_000L),
                org.junit.jupiter.params.provider.Arguments.of("last_over_time(gauge_a[2m])", 120_000L),
                org.junit.jupiter.params.provider.Arguments.of("present_over_time(gauge_c[1m])", 60_000L),
                org.junit.jupiter.params.provider.Arguments.of("sum by (job) (max_over_time(gauge_a[15m] offset 5m))", 300_000L));
    }

    /**
     * Queries whose windows are whole buckets of the blocks' rollups (range, step and start multiples of 1 m or 1 h)
     * are answered from rollups for the S3 part and from samples for the hot part, exactly as Prometheus answers them
     * from every sample; the rollup path was taken (its counter moved) and never fell back.
     */
    @ParameterizedTest
    @MethodSource("rollupQueries")
    void rollupEligibleRangeQueriesReadRollupsAndAnswerAsPrometheusDoes(String query, long step) throws Exception {
        String params = "query=" + enc(query) + "&start=" + secs(T0) + "&end=" + secs(T_END + 3_600_000L)
                + "&step=" + secs(step);
        double answered = rollupSelects("rollups");
        double fellBack = rollupSelects("samples");
        JsonNode got = get(URI.create(tierlog.base), "/prometheus/metrics/api/v1/query_range?" + params);
        Answers.assertSame(query, get(prometheus.api, "/api/v1/query_range?" + params).get("data"), got.get("data"));
        assertThat(got.get("data").get("result")).as(query).isNotEmpty();
        assertThat(rollupSelects("rollups")).as("answered from rollups").isEqualTo(answered + 1);
        assertThat(rollupSelects("samples")).as("fell back to samples").isEqualTo(fellBack);
    }

    private double rollupSelects(String outcome) {
        return tierlog.get("/metrics").body().lines()
                .filter(l -> l.startsWith("tierlog_query_rollup_selects_total{") && l.contains("outcome=\"" + outcome + "\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    /**
     * The cold part of a selective query reads only the matching series' chunks: after the blocks' tails are cached,
     * a query for one series fetches a small fraction of what a query for every series fetches, and both answer as
     * Prometheus does.
     */
    @Test
    void aSelectiveQueryFetchesOnlyTheMatchingSeriesFromS3() throws Exception {
        String window = "&start=" + secs(T0) + "&end=" + secs(T_END) + "&step=" + secs(60_000);
        String every = "query=" + enc("{__name__=~\".+\"}") + window;
        String one = "query=" + enc("gauge_a{job=\"api\", instance=\"i1\"}") + window;
        get(URI.create(tierlog.base), "/prometheus/metrics/api/v1/query_range?" + every); // the blocks' tails, once

        double before = coldGetBytes();
        JsonNode selective = get(URI.create(tierlog.base), "/prometheus/metrics/api/v1/query_range?" + one);
        double selectiveBytes = coldGetBytes() - before;
        before = coldGetBytes();
        get(URI.create(tierlog.base), "/prometheus/metrics/api/v1/query_range?" + every);
        double everyBytes = coldGetBytes() - before;

        Answers.assertSame("gauge_a{job=api,instance=i1}", get(prometheus.api, "/api/v1/query_range?" + one).get("data"),
                selective.get("data"));
        assertThat(selective.get("data").get("result")).hasSize(1);
        assertThat(everyBytes).as("a query for every series reads S3").isGreaterThan(0);
        assertThat(selectiveBytes).as("one series of %d", selective.size()).isLessThan(everyBytes / 10);
    }

    private double coldGetBytes() {
        return tierlog.get("/metrics").body().lines().filter(l -> l.startsWith("tierlog_cold_get_bytes_total"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void grafanasSaveAndTestAndLabelBrowserRequestsAreAnsweredAsPrometheusDoes() throws Exception {
        URI t = URI.create(tierlog.base);
        // "Save & test": an instant query of 1+1, as a form POST
        JsonNode test = postForm(t, "/prometheus/metrics/api/v1/query", "query=1%2B1&time=" + secs(T_END));
        assertThat(test.get("data").get("resultType").asText()).isEqualTo("scalar");
        assertThat(test.get("data").get("result").get(1).asText()).isEqualTo("2");
        assertThat(get(t, "/prometheus/metrics/api/v1/status/buildinfo").get("data").get("version").asText()).startsWith("2.");
        String window = "start=" + secs(T0) + "&end=" + secs(T_END);
        for (String path : List.of("/api/v1/labels?" + window, "/api/v1/label/__name__/values?" + window,
                "/api/v1/label/job/values?" + window, "/api/v1/series?match[]=" + enc("gauge_a") + "&" + window,
                "/api/v1/series?match[]=" + enc("{__name__=~\"latency.*\",le=\"+Inf\"}") + "&" + window,
                "/api/v1/labels?match[]=" + enc("info") + "&" + window)) {
            JsonNode want = get(prometheus.api, path).get("data");
            JsonNode got = get(t, "/prometheus/metrics" + path).get("data");
            assertThat(sorted(got)).as(path).isEqualTo(sorted(want));
        }
        assertThat(get(t, "/prometheus/metrics/api/v1/metadata").get("status").asText()).isEqualTo("success");
    }

    @Test
    void samplesWrittenOutOfOrderAreQueriedInTimeOrderAndTheLaterWriteOfAMillisecondWins() throws Exception {
        tierlog.createTopic("late", 1, null);
        long t = T0;
        String records = "{\"records\":[" + String.join(",",
                sample(t + 3000, 3), sample(t + 1000, 1), sample(t + 2000, 2), sample(t + 1000, 10)) + "]}";
        assertThat(tierlog.post("/v1/topics/late/records", records).status()).isEqualTo(200);
        JsonNode r = get(URI.create(tierlog.base), "/prometheus/late/api/v1/query_range?query=x&start=" + secs(t + 1000)
                + "&end=" + secs(t + 3000) + "&step=1").get("data").get("result");
        assertThat(r).hasSize(1);
        assertThat(r.get(0).get("values").toString()).isEqualTo("[[" + secs(t + 1000).replaceAll("\\.?0+$", "")
                + ",\"10\"],[" + secs(t + 2000).replaceAll("\\.?0+$", "") + ",\"2\"],[" + secs(t + 3000).replaceAll("\\.?0+$", "")
                + ",\"3\"]]");
    }

    /**
     * A series written out of order lands in S3 in blocks that mark it not clean: the rollup path declines (its
     * counter says so) and the engine answers from the samples, with the later write of a millisecond winning.
     */
    @Test
    void aSeriesOutOfOrderInS3IsAnsweredFromSamplesNotRollups() throws Exception {
        tierlog.createTopic("late-cold", 1, "{\"segmentBytes\":4096,\"localRetentionMs\":0}");
        java.util.TreeMap<Long, Double> latest = new java.util.TreeMap<>();
        for (int request = 0; request < 30; request++) {
            List<String> records = new java.util.ArrayList<>();
            for (int i = 0; i < 100; i++) {
                int n = request * 100 + i;
                long ts = T0 + n * 1_000L - (n % 50 == 49 ? 30_000L : 0); // every 50th goes back 30 s
                double v = (n * 7919) % 1000;
                records.add(sample(ts, v));
                latest.put(ts, v);
            }
            assertThat(tierlog.post("/v1/topics/late-cold/records", "{\"records\":[" + String.join(",", records) + "]}")
                    .status()).isEqualTo(200);
        }
        await().atMost(Duration.ofSeconds(60)).until(() ->
                tierlog.get("/v1/topics/late-cold").json().get("partitions").get(0).get("remoteEndOffset").asLong() > 0);
        double declined = rollupSelects("samples");
        JsonNode r = get(URI.create(tierlog.base), "/prometheus/late-cold/api/v1/query_range?query="
                + enc("max_over_time(x[1h])") + "&start=" + secs(T0 + 3_600_000L) + "&end=" + secs(T0 + 3_600_000L)
                + "&step=3600").get("data").get("result");
        double want = latest.subMap(T0, true, T0 + 3_600_000L, true).values().stream().mapToDouble(d -> d).max().orElseThrow();
        assertThat(r).hasSize(1);
        assertThat(r.get(0).get("values").get(0).get(1).asDouble()).isEqualTo(want);
        assertThat(rollupSelects("samples")).as("the rollup path declined").isEqualTo(declined + 1);
    }

    private static String sample(long ts, double v) {
        return "{\"name\":\"x\",\"tags\":{\"a\":\"b\"},\"timestamp\":" + ts + ",\"value\":" + v + "}";
    }

    /** The README's Grafana data source points where these requests are answered. */
    @Test
    void theReadmesGrafanaDataSourceUrlIsTheOneServed() throws Exception {
        String readme = java.nio.file.Files.readString(readmePath());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("type: prometheus\\n\\s+access: proxy\\n\\s+url: (\\S+)")
                .matcher(readme);
        assertThat(m.find()).as("README has a Grafana data source").isTrue();
        URI url = URI.create(m.group(1).replace("http://127.0.0.1:7070", tierlog.base) + "/");
        JsonNode test = get(url, "api/v1/query?query=" + enc("count(gauge_a)") + "&time=" + secs(T_END));
        assertThat(test.get("data").get("result").get(0).get("value").get(1).asText()).isEqualTo("3");
        java.util.regex.Matcher curl = java.util.regex.Pattern.compile("curl -sS '(http://127.0.0.1:7070/prometheus/[^']+)'")
                .matcher(readme);
        assertThat(curl.find()).as("README has a curl query").isTrue();
        String path = curl.group(1).substring("http://127.0.0.1:7070".length());
        JsonNode now = get(URI.create(tierlog.base), path);
        assertThat(now.get("data").get("resultType").asText()).isEqualTo("vector");
        JsonNode then = get(URI.create(tierlog.base), path + "&time=" + secs(T0 + 30 * 60_000));
        assertThat(then.get("data").get("result")).hasSize(2);
    }

    private static Path readmePath() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !java.nio.file.Files.exists(p.resolve("README.md"))) {
            p = p.getParent();
        }
        return p.resolve("README.md");
    }

    @Test
    void badQueriesAndMissingTopicsGetPrometheusErrors() throws Exception {
        URI t = URI.create(tierlog.base);
        HttpResponse<String> bad = raw(t, "/api/v1/query?query=" + enc("sum(rate(x))"));
        assertThat(bad.statusCode()).isEqualTo(400);
        JsonNode b = ServerHarness.JSON.readTree(bad.body());
        assertThat(b.get("status").asText()).isEqualTo("error");
        assertThat(b.get("errorType").asText()).isEqualTo("bad_data");
        assertThat(b.get("error").asText()).contains("range vector");
        HttpResponse<String> missing = raw(t, "/prometheus/nope/api/v1/query?query=up");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(ServerHarness.JSON.readTree(missing.body()).get("status").asText()).isEqualTo("error");
        HttpResponse<String> noStep = raw(t, "/api/v1/query_range?query=up&start=1&end=2");
        assertThat(noStep.statusCode()).isEqualTo(400);
        HttpResponse<String> badTime = raw(t, "/api/v1/query?query=up&time=yesterday");
        assertThat(badTime.statusCode()).isEqualTo(400);
        assertThat(badTime.body()).contains("cannot parse \\\"yesterday\\\" to a valid timestamp");
        HttpResponse<String> dup = raw(t, "/api/v1/query?query=" + enc("label_replace(gauge_a, \"instance\", \"\", \"instance\", \".*\")")
                + "&time=" + secs(T0 + 60_000));
        assertThat(dup.statusCode()).isEqualTo(422);
        assertThat(dup.body()).contains("\"errorType\":\"execution\"");
    }

    private static List<String> sorted(JsonNode array) {
        java.util.ArrayList<String> out = new java.util.ArrayList<>();
        array.forEach(n -> out.add(n.isObject() ? new TreeMap<>(ServerHarness.JSON.convertValue(n, Map.class)).toString() : n.asText()));
        out.sort(null);
        return out;
    }

    private static JsonNode get(URI base, String path) throws Exception {
        HttpResponse<String> r = raw(base, path);
        JsonNode n = ServerHarness.JSON.readTree(r.body());
        assertThat(n.get("status").asText()).as(base + path + " -> " + r.body()).isEqualTo("success");
        return n;
    }

    private static HttpResponse<String> raw(URI base, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode postForm(URI base, String path, String form) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode n = ServerHarness.JSON.readTree(r.body());
        assertThat(n.get("status").asText()).as(path + " -> " + r.body()).isEqualTo("success");
        return n;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String secs(long ms) {
        return String.format(Locale.ROOT, "%.3f", ms / 1000.0);
    }
}
