package io.tierlog.promql;

import java.util.List;

/**
 * What a query answers, in Prometheus' four result types: a scalar or string at the evaluation time, an instant
 * vector (one sample per series), or a matrix (a range query's series, sorted by labels).
 */
public sealed interface Value {
    record Scalar(long timestampMs, double value) implements Value {
    }

    record StringValue(long timestampMs, String value) implements Value {
    }

    record Vector(List<Sample> samples) implements Value {
    }

    record Matrix(List<Series> series) implements Value {
    }

    /** One series' value at one time. */
    record Sample(Labels labels, long timestampMs, double value) {
    }
}
