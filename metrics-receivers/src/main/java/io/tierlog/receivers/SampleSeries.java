package io.tierlog.receivers;

import io.tierlog.core.MetricType;
import io.tierlog.core.SeriesKey;

/**
 * The samples of one series decoded from a request, validated and in strictly increasing timestamp order. A
 * series is the unit a door writes: its key is rendered and hashed to a partition once, not once per sample.
 * The arrays are owned by this value and never changed after decoding.
 */
public record SampleSeries(SeriesKey key, MetricType type, long[] timestamps, double[] values) {

    public SampleSeries {
        if (timestamps.length != values.length) {
            throw new IllegalArgumentException("timestamps and values differ in length");
        }
    }

    public int size() {
        return timestamps.length;
    }
}
