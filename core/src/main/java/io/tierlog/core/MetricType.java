package io.tierlog.core;

import java.util.Locale;

/** Kind of a metric sample, kept so that readers can aggregate correctly (a counter is not a gauge). */
public enum MetricType {
    UNTYPED(0),
    GAUGE(1),
    COUNTER(2),
    HISTOGRAM(3),
    SUMMARY(4);

    private final int id;

    MetricType(int id) {
        this.id = id;
    }

    public int id() {
        return id;
    }

    private static final MetricType[] BY_ID = values(); // ids equal ordinals; values() copies on every call

    public static MetricType fromId(int id) {
        if (id < 0 || id >= BY_ID.length) {
            throw new CorruptBatchException("unknown metric type id " + id);
        }
        return BY_ID[id];
    }

    public static MetricType parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("unknown metric type '" + name + "'");
        }
    }
}
