package io.tierlog.promql;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.TreeMap;
import org.assertj.core.data.Offset;

/**
 * Compares two answers of Prometheus' query API ({@code data} of a query or query_range): the same result type,
 * the same series (labels), the same timestamps, values equal within 1e-9 relative (NaN equals NaN).
 */
public final class Answers {
    private Answers() {
    }

    public static void assertSame(String what, JsonNode want, JsonNode got) {
        String type = want.get("resultType").asText();
        assertThat(got.get("resultType").asText()).as(what + ": result type").isEqualTo(type);
        switch (type) {
            case "scalar" -> assertPoint(what, want.get("result"), got.get("result"));
            case "vector", "matrix" -> {
                String field = type.equals("vector") ? "value" : "values";
                Map<Labels, JsonNode> w = bySeries(want.get("result"), field);
                Map<Labels, JsonNode> g = bySeries(got.get("result"), field);
                assertThat(g.keySet()).as(what + ": series").containsExactlyElementsOf(w.keySet());
                w.forEach((labels, points) -> {
                    JsonNode mine = g.get(labels);
                    if (type.equals("vector")) {
                        assertPoint(what + " " + labels, points, mine);
                        return;
                    }
                    assertThat(mine.size()).as(what + " " + labels + ": points").isEqualTo(points.size());
                    for (int i = 0; i < points.size(); i++) {
                        assertPoint(what + " " + labels + " point " + i, points.get(i), mine.get(i));
                    }
                });
            }
            default -> throw new AssertionError("unexpected result type " + type);
        }
    }

    private static Map<Labels, JsonNode> bySeries(JsonNode result, String field) {
        Map<Labels, JsonNode> out = new TreeMap<>();
        for (JsonNode r : result) {
            out.put(labels(r.get("metric")), r.get(field));
        }
        return out;
    }

    static Labels labels(JsonNode metric) {
        Map<String, String> m = new TreeMap<>();
        metric.properties().forEach(e -> m.put(e.getKey(), e.getValue().asText()));
        return Labels.of(m);
    }

    private static void assertPoint(String what, JsonNode want, JsonNode got) {
        assertThat(Math.round(got.get(0).asDouble() * 1000)).as(what + ": timestamp")
                .isEqualTo(Math.round(want.get(0).asDouble() * 1000));
        assertClose(what, parse(want.get(1).asText()), parse(got.get(1).asText()));
    }

    static void assertClose(String what, double want, double got) {
        if (Double.isNaN(want)) {
            assertThat(Double.isNaN(got)).as(what + ": NaN, got " + got).isTrue();
            return;
        }
        if (Double.isInfinite(want)) {
            assertThat(got).as(what).isEqualTo(want);
            return;
        }
        double tolerance = Math.max(1e-9 * Math.abs(want), 1e-12);
        assertThat(got).as(what).isCloseTo(want, Offset.offset(tolerance));
    }

    static double parse(String v) {
        return switch (v) {
            case "NaN" -> Double.NaN;
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(v);
        };
    }
}
