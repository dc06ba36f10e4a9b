package io.tierlog.promql;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A series' identity: label names and values, sorted by name, the metric name under {@link #NAME}. Prometheus
 * compares, groups and matches series by these sets, so equality and order here are by content. Labels with an
 * empty value do not exist (Prometheus' rule), so they are dropped on construction. Immutable.
 */
public final class Labels implements Comparable<Labels> {
    /** The label that holds the metric name. */
    public static final String NAME = "__name__";
    public static final Labels EMPTY = new Labels(new String[0], new String[0]);

    private final String[] names;
    private final String[] values;
    private final int hash;

    private Labels(String[] names, String[] values) {
        this.names = names;
        this.values = values;
        this.hash = 31 * Arrays.hashCode(names) + Arrays.hashCode(values);
    }

    /** The given labels (any order; empty values dropped). */
    public static Labels of(Map<String, String> labels) {
        TreeMap<String, String> sorted = new TreeMap<>();
        labels.forEach((k, v) -> {
            if (v != null && !v.isEmpty()) {
                sorted.put(k, v);
            }
        });
        return new Labels(sorted.keySet().toArray(String[]::new), sorted.values().toArray(String[]::new));
    }

    /** Labels from name/value pairs: {@code of("__name__", "up", "job", "api")}. */
    public static Labels of(String... pairs) {
        if (pairs.length % 2 != 0) {
            throw new IllegalArgumentException("labels come in name/value pairs");
        }
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put(pairs[i], pairs[i + 1]);
        }
        return of(m);
    }

    /** The value of {@code name}, or "" when the series has no such label (Prometheus' convention). */
    public String get(String name) {
        int i = Arrays.binarySearch(names, name);
        return i >= 0 ? values[i] : "";
    }

    public String metricName() {
        return get(NAME);
    }

    public int size() {
        return names.length;
    }

    public String name(int i) {
        return names[i];
    }

    public String value(int i) {
        return values[i];
    }

    public Labels withoutMetricName() {
        return Arrays.binarySearch(names, NAME) < 0 ? this : without(List.of(NAME));
    }

    /** These labels with {@code name} set to {@code value} (removed when the value is empty). */
    public Labels with(String name, String value) {
        Map<String, String> m = toMap();
        if (value == null || value.isEmpty()) {
            m.remove(name);
        } else {
            m.put(name, value);
        }
        return of(m);
    }

    /** Only the labels named. */
    public Labels keep(Collection<String> keep) {
        List<String> n = new ArrayList<>();
        List<String> v = new ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            if (keep.contains(names[i])) {
                n.add(names[i]);
                v.add(values[i]);
            }
        }
        return new Labels(n.toArray(String[]::new), v.toArray(String[]::new));
    }

    /** All labels but those named. */
    public Labels without(Collection<String> drop) {
        List<String> n = new ArrayList<>();
        List<String> v = new ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            if (!drop.contains(names[i])) {
                n.add(names[i]);
                v.add(values[i]);
            }
        }
        return new Labels(n.toArray(String[]::new), v.toArray(String[]::new));
    }

    /** Name to value, in name order. */
    public Map<String, String> toMap() {
        Map<String, String> m = new TreeMap<>();
        for (int i = 0; i < names.length; i++) {
            m.put(names[i], values[i]);
        }
        return m;
    }

    /** Prometheus' order: label by label, name first, then value; a prefix sorts first. */
    @Override
    public int compareTo(Labels o) {
        int n = Math.min(names.length, o.names.length);
        for (int i = 0; i < n; i++) {
            int c = names[i].compareTo(o.names[i]);
            if (c != 0) {
                return c;
            }
            c = values[i].compareTo(o.values[i]);
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(names.length, o.names.length);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Labels l && hash == l.hash && Arrays.equals(names, l.names) && Arrays.equals(values, l.values);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        String name = metricName();
        sb.append(name).append('{');
        boolean first = true;
        for (int i = 0; i < names.length; i++) {
            if (names[i].equals(NAME)) {
                continue;
            }
            sb.append(first ? "" : ", ").append(names[i]).append("=\"").append(values[i]).append('"');
            first = false;
        }
        return sb.append('}').toString();
    }
}
