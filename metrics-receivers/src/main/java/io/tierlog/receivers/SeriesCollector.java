package io.tierlog.receivers;

import io.tierlog.core.Limits;
import io.tierlog.core.MetricType;
import io.tierlog.core.SeriesKey;
import io.tierlog.core.Validation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;

/**
 * Gathers one request's samples by series, checking what every door must: valid names and tags (through core's
 * {@link Validation}, the same rules as the SDK's records), valid timestamps, and per series strictly increasing
 * timestamps, so that an out-of-order or duplicate sample is refused rather than stored twice or out of order.
 * A series appearing in several entries of a request is merged. Not thread-safe: one per request.
 */
final class SeriesCollector {
    /** Prometheus' staleness marker: a NaN with these bits ends a series, counters included, and is kept. */
    static final long STALE_MARKER_BITS = 0x7ff0000000000002L;

    private final Limits limits;
    private final Map<SeriesKey, Growing> series = new LinkedHashMap<>();
    private int samples;

    SeriesCollector(Limits limits) {
        this.limits = limits;
    }

    /** Validates a series' identity once; the returned handle takes its samples. */
    Growing series(String name, SortedMap<String, String> tags, MetricType type) {
        Validation.metricName(name, limits);
        Validation.tags(tags, limits);
        SeriesKey key = SeriesKey.of(name, tags);
        Growing g = series.get(key);
        if (g == null) {
            g = new Growing(key, type);
            series.put(key, g);
        }
        return g;
    }

    int samples() {
        return samples;
    }

    List<SampleSeries> result() {
        List<SampleSeries> out = new ArrayList<>(series.size());
        for (Growing g : series.values()) {
            if (g.size > 0) {
                out.add(new SampleSeries(g.key, g.type, Arrays.copyOf(g.ts, g.size), Arrays.copyOf(g.vs, g.size)));
            }
        }
        return out;
    }

    /** One series' samples so far. */
    final class Growing {
        final SeriesKey key;
        final MetricType type;
        private long[] ts = new long[4];
        private double[] vs = new double[4];
        private int size;

        private Growing(SeriesKey key, MetricType type) {
            this.key = key;
            this.type = type;
        }

        /** Adds a sample; throws when it is not after the series' previous one. */
        void add(long timestamp, double value) {
            check(timestamp, value);
            if (size == ts.length) {
                ts = Arrays.copyOf(ts, size * 2);
                vs = Arrays.copyOf(vs, size * 2);
            }
            ts[size] = timestamp;
            vs[size] = value;
            size++;
            samples++;
        }

        /** Throws what {@link #add} would throw, without adding: lets a caller add several samples all or none. */
        void check(long timestamp, double value) {
            Validation.timestamp(timestamp);
            if (size > 0 && timestamp <= ts[size - 1]) {
                String what = timestamp == ts[size - 1] ? "duplicate" : "out-of-order";
                throw ReceiverException.malformed(what + " sample for series " + key + ": timestamp " + timestamp
                        + " is not after " + ts[size - 1]);
            }
            if (type == MetricType.COUNTER && Double.isNaN(value)
                    && Double.doubleToRawLongBits(value) != STALE_MARKER_BITS) {
                throw ReceiverException.malformed("counter " + key + " has a NaN sample at " + timestamp);
            }
        }
    }
}
