package io.tierlog.receivers;

import io.opentelemetry.proto.common.v1.AnyValue;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * OTLP names to Prometheus-style series names as Prometheus' own OTLP translation builds them (underscore escaping
 * with suffixes, the OpenTelemetry "Prometheus and OpenMetrics compatibility" rules): invalid characters become
 * one {@code _}, the unit is appended as a word ({@code s} -> {@code seconds}, {@code By/s} ->
 * {@code bytes_per_second}, annotations in braces dropped) unless the name already has it, monotonic sums end in
 * {@code _total}, gauges of unit {@code 1} in {@code _ratio}. Attribute keys become label names the same way.
 */
final class OtlpNaming {
    private static final Map<String, String> UNITS = Map.ofEntries(
            Map.entry("d", "days"), Map.entry("h", "hours"), Map.entry("min", "minutes"), Map.entry("s", "seconds"),
            Map.entry("ms", "milliseconds"), Map.entry("us", "microseconds"), Map.entry("ns", "nanoseconds"),
            Map.entry("By", "bytes"), Map.entry("KiBy", "kibibytes"), Map.entry("MiBy", "mebibytes"),
            Map.entry("GiBy", "gibibytes"), Map.entry("TiBy", "tibibytes"), Map.entry("KBy", "kilobytes"),
            Map.entry("MBy", "megabytes"), Map.entry("GBy", "gigabytes"), Map.entry("TBy", "terabytes"),
            Map.entry("m", "meters"), Map.entry("V", "volts"), Map.entry("A", "amperes"), Map.entry("J", "joules"),
            Map.entry("W", "watts"), Map.entry("g", "grams"), Map.entry("Cel", "celsius"), Map.entry("Hz", "hertz"),
            Map.entry("1", ""), Map.entry("%", "percent"));
    private static final Map<String, String> PER_UNITS = Map.of(
            "s", "second", "m", "minute", "h", "hour", "d", "day", "w", "week", "mo", "month", "y", "year");

    private OtlpNaming() {
    }

    /** The series name of an OTLP metric; {@code counter} = a monotonic sum, {@code gauge} = a gauge. */
    static String metricName(String name, String unit, boolean counter, boolean gauge) {
        List<String> tokens = tokens(name);
        String[] unitParts = unit.split("/", 2);
        String main = unitParts[0].trim();
        String mainProm = "";
        if (!main.isEmpty() && !main.contains("{") && !main.contains("}")) {
            mainProm = cleanUnit(UNITS.getOrDefault(main, main));
            if (tokens.contains(mainProm)) {
                mainProm = "";
            }
        }
        String perProm = "";
        if (unitParts.length > 1) {
            String per = unitParts[1].trim();
            if (!per.isEmpty() && !per.contains("{") && !per.contains("}")) {
                String cleaned = cleanUnit(PER_UNITS.getOrDefault(per, per));
                if (!cleaned.isEmpty() && !tokens.contains("per_" + cleaned)) {
                    perProm = "per_" + cleaned;
                }
            }
        }
        if (!mainProm.isEmpty()) {
            tokens.add(mainProm);
        }
        if (!perProm.isEmpty()) {
            tokens.add(perProm);
        }
        if (counter) {
            tokens.removeIf("total"::equals);
            tokens.add("total");
        }
        if (gauge && unit.equals("1")) {
            tokens.removeIf("ratio"::equals);
            tokens.add("ratio");
        }
        String joined = String.join("_", tokens);
        return !joined.isEmpty() && Character.isDigit(joined.charAt(0)) ? "_" + joined : joined;
    }

    /** An attribute key as a label name: invalid characters to {@code _}, a leading digit or lone {@code _} prefixed with "key". */
    static String labelName(String key) {
        if (key.isEmpty()) {
            return key;
        }
        StringBuilder sb = new StringBuilder(key.length());
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            sb.append(isAlnum(c) || c == '_' ? c : '_');
        }
        String label = sb.toString();
        if (Character.isDigit(label.charAt(0))) {
            return "key_" + label;
        }
        if (label.startsWith("_") && !label.startsWith("__")) {
            return "key" + label;
        }
        return label;
    }

    /** An attribute value as label text (strings as they are, numbers and booleans as written in JSON). */
    static String valueText(AnyValue v) {
        return switch (v.getValueCase()) {
            case STRING_VALUE -> v.getStringValue();
            case BOOL_VALUE -> Boolean.toString(v.getBoolValue());
            case INT_VALUE -> Long.toString(v.getIntValue());
            case DOUBLE_VALUE -> number(v.getDoubleValue());
            case ARRAY_VALUE -> {
                List<String> items = new ArrayList<>();
                for (AnyValue item : v.getArrayValue().getValuesList()) {
                    items.add(valueText(item));
                }
                yield "[" + String.join(",", items) + "]";
            }
            case BYTES_VALUE -> java.util.Base64.getEncoder().encodeToString(v.getBytesValue().toByteArray());
            default -> "";
        };
    }

    /** A bound or quantile as Prometheus prints it in {@code le} and {@code quantile}: shortest plain decimal. */
    static String number(double d) {
        if (Double.isInfinite(d)) {
            return d > 0 ? "+Inf" : "-Inf";
        }
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            return Long.toString((long) d);
        }
        return BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
    }

    private static List<String> tokens(String name) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (isAlnum(c) || c == ':') {
                cur.append(c);
            } else if (!cur.isEmpty()) {
                out.add(cur.toString());
                cur.setLength(0);
            }
        }
        if (!cur.isEmpty()) {
            out.add(cur.toString());
        }
        return out;
    }

    private static String cleanUnit(String unit) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < unit.length(); i++) {
            char c = unit.charAt(i);
            sb.append(isAlnum(c) ? c : '_');
        }
        String s = sb.toString().replaceAll("_+", "_");
        int from = 0;
        int to = s.length();
        while (from < to && s.charAt(from) == '_') {
            from++;
        }
        while (to > from && s.charAt(to - 1) == '_') {
            to--;
        }
        return s.substring(from, to);
    }

    private static boolean isAlnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }
}
