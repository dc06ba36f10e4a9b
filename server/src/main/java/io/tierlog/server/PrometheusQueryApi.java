package io.tierlog.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.tierlog.core.TierlogException;
import io.tierlog.promql.BadQueryException;
import io.tierlog.promql.Engine;
import io.tierlog.promql.Expr;
import io.tierlog.promql.Labels;
import io.tierlog.promql.Matcher;
import io.tierlog.promql.QueryExecutionException;
import io.tierlog.promql.QueryParser;
import io.tierlog.promql.Series;
import io.tierlog.promql.Value;
import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The subset of Prometheus' HTTP query API that Grafana's Prometheus data source uses, over a metrics topic:
 * {@code query}, {@code query_range} (GET and form POST), {@code series}, {@code labels}, {@code label/{name}/values},
 * {@code metadata} and {@code status/buildinfo}, with Prometheus' envelope ({@code status}, {@code data},
 * {@code errorType}, {@code error}) and error types ({@code bad_data} 400, {@code execution} 422, {@code internal}
 * 500). The topic is the path's ({@code /prometheus/{topic}/api/v1/...}, a Grafana data source URL of
 * {@code http://host:7070/prometheus/metrics}) or {@value #DEFAULT_TOPIC} under {@code /api/v1/...}. Queries are
 * evaluated by {@link Engine} across both tiers.
 */
final class PrometheusQueryApi {
    private static final Logger LOG = LoggerFactory.getLogger(PrometheusQueryApi.class);
    static final String DEFAULT_TOPIC = "metrics";
    /** What one query may load: Prometheus' own default for query.max-samples. */
    static final long MAX_SAMPLES = 50_000_000L;
    /** The default window of series, labels and label values when the request names none. */
    static final long DEFAULT_METADATA_WINDOW_MS = 24 * 3_600_000L;

    private final Broker broker;
    private final ObjectMapper json;
    private final HttpAccess access;
    /** Reads a topic's partitions side by side for a query (a virtual thread per partition: they share the cores). */
    private final java.util.concurrent.ExecutorService scanners = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();

    PrometheusQueryApi(Broker broker, ObjectMapper json, HttpAccess access) {
        this.broker = broker;
        this.json = json;
        this.access = access;
    }

    void install(JavalinConfig cfg) {
        var r = cfg.routes;
        for (String prefix : List.of("/api/v1", "/prometheus/{topic}/api/v1")) {
            for (String method : List.of("GET", "POST")) {
                route(cfg, method, prefix + "/query", this::query);
                route(cfg, method, prefix + "/query_range", this::queryRange);
                route(cfg, method, prefix + "/series", this::series);
                route(cfg, method, prefix + "/labels", this::labels);
            }
            r.get(prefix + "/label/{name}/values", wrap(this::labelValues));
            r.get(prefix + "/metadata", wrap(ctx -> Map.of()));
            r.get(prefix + "/status/buildinfo", wrap(ctx -> Map.of("version", "2.42.0", "revision", "tierlog",
                    "branch", "tierlog", "goVersion", "none")));
        }
    }

    private void route(JavalinConfig cfg, String method, String path, Endpoint e) {
        if (method.equals("GET")) {
            cfg.routes.get(path, wrap(e));
        } else {
            cfg.routes.post(path, wrap(e));
        }
    }

    /** One endpoint: the value under {@code data}, or an exception that becomes Prometheus' error answer. */
    private interface Endpoint {
        Object answer(Context ctx) throws Exception;
    }

    private Handler wrap(Endpoint e) {
        return ctx -> {
            Map<String, Object> body = new LinkedHashMap<>();
            int status = 200;
            try {
                Object data = e.answer(ctx);
                body.put("status", "success");
                body.put("data", data);
            } catch (BadQueryException | TierlogException | IllegalArgumentException bad) {
                status = 400;
                body.put("status", "error");
                body.put("errorType", "bad_data");
                body.put("error", bad.getMessage());
            } catch (QueryExecutionException exec) {
                status = 422;
                body.put("status", "error");
                body.put("errorType", "execution");
                body.put("error", exec.getMessage());
            } catch (ApiException api) {
                status = api.status;
                body.put("status", "error");
                body.put("errorType", switch (api.status) {
                    case 401 -> "unauthorized";
                    case 403 -> "forbidden";
                    case 404 -> "not_found";
                    case 503 -> "unavailable";
                    default -> api.status < 500 ? "bad_data" : "internal";
                });
                body.put("error", api.getMessage());
            } catch (RuntimeException internal) {
                LOG.error("{} {} failed", ctx.method(), ctx.path(), internal);
                status = 500;
                body.put("status", "error");
                body.put("errorType", "internal");
                body.put("error", String.valueOf(internal.getMessage()));
            }
            ctx.status(status).contentType("application/json").result(json.writeValueAsBytes(body));
        };
    }

    // ---- endpoints

    private Object query(Context ctx) {
        String q = required(ctx, "query");
        String time = param(ctx, "time");
        long t = time == null ? System.currentTimeMillis() : parseTime("time", time);
        Value v = engine(ctx).instant(q, t);
        return switch (v) {
            case Value.Scalar s -> Map.of("resultType", "scalar", "result", point(s.timestampMs(), s.value()));
            case Value.StringValue s -> Map.of("resultType", "string", "result", List.of(seconds(s.timestampMs()), s.value()));
            case Value.Vector vec -> {
                List<Object> result = new ArrayList<>(vec.samples().size());
                for (Value.Sample s : vec.samples()) {
                    result.add(Map.of("metric", s.labels().toMap(), "value", point(t, s.value())));
                }
                yield Map.of("resultType", "vector", "result", result);
            }
            case Value.Matrix m -> Map.of("resultType", "matrix", "result", matrix(m));
        };
    }

    private Object queryRange(Context ctx) {
        String q = required(ctx, "query");
        long start = parseTime("start", required(ctx, "start"));
        long end = parseTime("end", required(ctx, "end"));
        long step = parseDuration("step", required(ctx, "step"));
        return Map.of("resultType", "matrix", "result", matrix(engine(ctx).range(q, start, end, step)));
    }

    private Object series(Context ctx) {
        List<String> selectors = params(ctx, "match[]");
        if (selectors.isEmpty()) {
            throw new BadQueryException("no match[] parameter provided");
        }
        TreeSet<Labels> found = new TreeSet<>();
        forEachSeries(ctx, selectors, s -> found.add(s.labels()));
        List<Object> out = new ArrayList<>(found.size());
        found.forEach(l -> out.add(l.toMap()));
        return out;
    }

    private Object labels(Context ctx) {
        TreeSet<String> names = new TreeSet<>();
        forEachSeries(ctx, params(ctx, "match[]"), s -> {
            for (int i = 0; i < s.labels().size(); i++) {
                names.add(s.labels().name(i));
            }
        });
        return List.copyOf(names);
    }

    private Object labelValues(Context ctx) {
        String name = ctx.pathParam("name");
        TreeSet<String> values = new TreeSet<>();
        forEachSeries(ctx, params(ctx, "match[]"), s -> {
            String v = s.labels().get(name);
            if (!v.isEmpty()) {
                values.add(v);
            }
        });
        return List.copyOf(values);
    }

    /** Every series matching any selector (all series without one) with a sample in the request's window. */
    private void forEachSeries(Context ctx, List<String> selectors, java.util.function.Consumer<Series> action) {
        String startParam = param(ctx, "start");
        String endParam = param(ctx, "end");
        long end = endParam == null ? System.currentTimeMillis() : parseTime("end", endParam);
        long start = startParam == null ? end - DEFAULT_METADATA_WINDOW_MS : parseTime("start", startParam);
        TopicSeriesSource source = source(ctx);
        List<List<Matcher>> matchers = new ArrayList<>();
        for (String s : selectors) {
            if (!(QueryParser.parse(s) instanceof Expr.VectorSelector vs)) {
                throw new BadQueryException("match[] must be a series selector, got \"" + s + "\"");
            }
            matchers.add(vs.matchers());
        }
        if (matchers.isEmpty()) {
            matchers.add(List.of(Matcher.of(Matcher.Type.REGEX, Labels.NAME, ".+")));
        }
        for (List<Matcher> m : matchers) {
            source.select(m, start, end).forEach(action);
        }
    }

    /**
     * Runs a query through the parser and the engine once, in the background, against no data: the first query
     * after a restart then pays for its data rather than for loading and first-compiling the query path (about
     * 0.4 s measured by {@code ./tierlog loadtest cold-perf}).
     */
    void warmUp() {
        Thread.ofVirtual().name("promql-warm-up").start(() -> {
            try {
                new Engine((matchers, from, to) -> List.of()).range("sum by (job) (rate(a_total{job=\"x\", i=~\"y.*\"}[5m]))"
                        + " / on (job) group_left max_over_time(b{job!=\"z\"}[1m]) > bool 0", 0, 3_600_000, 60_000);
            } catch (RuntimeException e) {
                LOG.warn("warming up the PromQL query path failed (queries are not affected): {}", e.toString(), e);
            }
        });
    }

    // ---- helpers

    private Engine engine(Context ctx) {
        return new Engine(source(ctx), new Engine.Options(Engine.Options.DEFAULTS.lookbackMs(), MAX_SAMPLES));
    }

    private TopicSeriesSource source(Context ctx) {
        String name = ctx.pathParamMap().getOrDefault("topic", DEFAULT_TOPIC);
        access.require(ctx, io.tierlog.auth.Permission.CONSUME, name);
        TopicRegistry.Topic topic = broker.topic(name).orElseThrow(() -> ApiException.notFound("topic '" + name
                + "' does not exist (Prometheus queries read a metrics topic: /prometheus/{topic}/api/v1/..., or '"
                + DEFAULT_TOPIC + "' under /api/v1/...)"));
        if (!topic.config().metrics()) {
            throw new BadQueryException("topic '" + name + "' holds bytes, not metric samples");
        }
        return new TopicSeriesSource(broker, topic, MAX_SAMPLES, scanners, broker.rollupResolutions(topic));
    }

    /** A matrix written straight from the series' arrays: a range query's answer can hold millions of points. */
    private static Object matrix(Value.Matrix m) {
        return new com.fasterxml.jackson.databind.JsonSerializable.Base() {
            @Override
            public void serialize(com.fasterxml.jackson.core.JsonGenerator g, com.fasterxml.jackson.databind.SerializerProvider p)
                    throws java.io.IOException {
                g.writeStartArray();
                for (Series s : m.series()) {
                    g.writeStartObject();
                    g.writeObjectFieldStart("metric");
                    for (int i = 0; i < s.labels().size(); i++) {
                        g.writeStringField(s.labels().name(i), s.labels().value(i));
                    }
                    g.writeEndObject();
                    g.writeArrayFieldStart("values");
                    for (int i = 0; i < s.size(); i++) {
                        g.writeStartArray();
                        g.writeNumber(seconds(s.timestamps()[i]));
                        g.writeString(format(s.values()[i]));
                        g.writeEndArray();
                    }
                    g.writeEndArray();
                    g.writeEndObject();
                }
                g.writeEndArray();
            }

            @Override
            public void serializeWithType(com.fasterxml.jackson.core.JsonGenerator g,
                                          com.fasterxml.jackson.databind.SerializerProvider p,
                                          com.fasterxml.jackson.databind.jsontype.TypeSerializer t) throws java.io.IOException {
                serialize(g, p);
            }
        };
    }

    private static List<Object> point(long t, double v) {
        return List.of(seconds(t), format(v));
    }

    /** Unix seconds with milliseconds, as Prometheus writes them: a JSON number. */
    private static BigDecimal seconds(long t) {
        return t % 1000 == 0 ? BigDecimal.valueOf(t / 1000) : BigDecimal.valueOf(t, 3).stripTrailingZeros();
    }

    /** Go's FormatFloat(v, 'f', -1, 64) as Prometheus writes sample values: "NaN", "+Inf", "-Inf", no exponent. */
    static String format(double v) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "+Inf" : "-Inf";
        }
        if (v == 0) {
            return (1 / v) < 0 ? "-0" : "0";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        String shortest = Double.toString(v); // the shortest decimal that reads back as v, as Go's 'f', -1 picks
        return shortest.indexOf('E') < 0 ? shortest : new BigDecimal(shortest).stripTrailingZeros().toPlainString();
    }

    private static String param(Context ctx, String name) {
        String v = ctx.queryParam(name);
        if (v == null && isForm(ctx)) {
            v = ctx.formParam(name);
        }
        return v;
    }

    private static List<String> params(Context ctx, String name) {
        List<String> v = new ArrayList<>(ctx.queryParams(name));
        if (isForm(ctx)) {
            v.addAll(ctx.formParams(name));
        }
        return v;
    }

    private static boolean isForm(Context ctx) {
        String type = ctx.contentType();
        return ctx.method().name().equals("POST") && type != null && type.startsWith("application/x-www-form-urlencoded");
    }

    private static String required(Context ctx, String name) {
        String v = param(ctx, name);
        if (v == null || v.isEmpty()) {
            throw new BadQueryException("missing parameter \"" + name + "\"");
        }
        return v;
    }

    /** Unix seconds (with a fraction) or RFC 3339, as Prometheus accepts them. */
    static long parseTime(String name, String v) {
        try {
            return new BigDecimal(v).movePointRight(3).setScale(0, java.math.RoundingMode.HALF_UP).longValueExact();
        } catch (NumberFormatException | ArithmeticException notANumber) {
            try {
                return OffsetDateTime.parse(v).toInstant().toEpochMilli();
            } catch (DateTimeParseException e) {
                throw new BadQueryException("invalid parameter \"" + name + "\": cannot parse \"" + v + "\" to a valid timestamp");
            }
        }
    }

    /** Seconds (with a fraction) or a PromQL duration such as {@code 30s}. */
    static long parseDuration(String name, String v) {
        try {
            return new BigDecimal(v).movePointRight(3).setScale(0, java.math.RoundingMode.HALF_UP).longValueExact();
        } catch (NumberFormatException | ArithmeticException notANumber) {
            try {
                return QueryParser.parseDuration(v);
            } catch (BadQueryException e) {
                throw new BadQueryException("invalid parameter \"" + name + "\": cannot parse \"" + v + "\" to a valid duration");
            }
        }
    }
}
