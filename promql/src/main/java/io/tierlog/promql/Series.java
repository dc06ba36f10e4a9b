package io.tierlog.promql;

/**
 * One series' samples in time order: what a {@link SeriesSource} returns for a selector and what a range query
 * answers. Timestamps in milliseconds; arrays owned by the series (not copied, not to be changed).
 */
public record Series(Labels labels, long[] timestamps, double[] values) {
    public Series {
        if (timestamps.length != values.length) {
            throw new IllegalArgumentException("timestamps and values differ in length");
        }
    }

    public int size() {
        return timestamps.length;
    }
}
