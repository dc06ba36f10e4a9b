package io.tierlog.cold.series;

import java.util.Arrays;

/**
 * A series block's rollups at one resolution: per series, per time bucket, the count, sum, min, max, first and last
 * timestamp and last value of its samples, so that a query over a long range at a coarse step (a month at one hour)
 * reads a few aggregates per series instead of every sample. The writer side accumulates samples in offset order;
 * the reader side decodes one series at a time. The layout is in {@code docs/format.md} ("Rollups").
 *
 * <p>Bucket semantics match Prometheus 2.x range windows {@code [t - range, t]} at aligned {@code t}: the bucket
 * with end {@code e} (a multiple of the resolution) holds the samples with {@code e - resolution < timestamp <= e};
 * a window is a run of whole buckets plus, at its left edge, the bucket before it when that bucket's last sample
 * lies exactly on the edge. Staleness markers are left out. min and max fold as Prometheus' {@code min_over_time}
 * does (NaN only when every value is NaN). A series whose timestamps do not strictly increase in offset order
 * (out of order or duplicated: the raw read would collapse or reorder them) is marked not clean and carries no
 * buckets, so that a reader falls back to the samples.
 */
final class RollupSection {
    /** Prometheus' staleness marker: a NaN with this exact bit pattern ends a series and is no sample. */
    static final long STALE_NAN_BITS = 0x7ff0000000000002L;

    private final long resolution;
    private Accumulator[] series = new Accumulator[64];
    private int seriesSeen;

    RollupSection(long resolutionMs) {
        if (resolutionMs < 1) {
            throw new IllegalArgumentException("rollup resolution must be positive: " + resolutionMs);
        }
        this.resolution = resolutionMs;
    }

    long resolution() {
        return resolution;
    }

    /** The end of the bucket that holds {@code timestamp}: the smallest multiple of the resolution >= it. */
    static long bucketEnd(long timestamp, long resolution) {
        return -Math.floorDiv(-timestamp, resolution) * resolution;
    }

    /** Adds the next sample of series {@code id} (offset order). */
    void add(int id, long timestamp, double value) {
        if (id >= series.length) {
            series = Arrays.copyOf(series, Math.max(id + 1, series.length * 2));
        }
        Accumulator a = series[id];
        if (a == null) {
            a = series[id] = new Accumulator();
            seriesSeen = Math.max(seriesSeen, id + 1);
        }
        a.add(timestamp, value, resolution);
    }

    /**
     * The section's raw bytes (before compression): {@code uvarint seriesCount}, then per series with samples in
     * ascending id: {@code uvarint (id - previous id)} (the first from 0), {@code int8 clean}, and when clean
     * {@code uvarint bucketCount} and, when that is positive, the bucket columns.
     */
    byte[] encode() {
        BlockBytes.Sink out = new BlockBytes.Sink();
        int present = 0;
        for (int id = 0; id < seriesSeen; id++) {
            present += series[id] == null ? 0 : 1;
        }
        out.varint(present);
        int previous = 0;
        for (int id = 0; id < seriesSeen; id++) {
            Accumulator a = series[id];
            if (a == null) {
                continue;
            }
            a.close();
            out.varint(id - previous).raw(new byte[] {(byte) (a.clean ? 1 : 0)});
            previous = id;
            if (!a.clean) {
                continue;
            }
            int n = a.buckets;
            out.varint(n);
            if (n == 0) {
                continue;
            }
            long[] index = new long[n];
            long[] firstOffsets = new long[n];
            long[] lastOffsets = new long[n];
            for (int i = 0; i < n; i++) {
                long end = a.ends[i];
                index[i] = end / resolution;
                firstOffsets[i] = end - a.firstTs[i];
                lastOffsets[i] = end - a.lastTs[i];
            }
            out.bytes(PackedLongs.encode(index, true))
                    .bytes(PackedLongs.encode(Arrays.copyOf(a.counts, n), false))
                    .bytes(PackedLongs.encode(firstOffsets, false))
                    .bytes(PackedLongs.encode(lastOffsets, false))
                    .bytes(ValueColumn.encode(Arrays.copyOf(a.sums, n)))
                    .bytes(ValueColumn.encode(Arrays.copyOf(a.mins, n)))
                    .bytes(ValueColumn.encode(Arrays.copyOf(a.maxs, n)))
                    .bytes(ValueColumn.encode(Arrays.copyOf(a.lasts, n)));
        }
        return out.toByteArray();
    }

    /**
     * One series' buckets: the closed ones in arrays, the open one in fields (one object touched per sample: the
     * series of a scrape are many and interleaved, so per-sample writes to eight arrays each would miss the cache).
     */
    private static final class Accumulator {
        long[] ends = new long[2];
        long[] counts = new long[2];
        double[] sums = new double[2];
        double[] mins = new double[2];
        double[] maxs = new double[2];
        long[] firstTs = new long[2];
        long[] lastTs = new long[2];
        double[] lasts = new double[2];
        int buckets;
        boolean clean = true;
        boolean any;
        long previousTimestamp;
        // the open bucket (count 0: none)
        long openEnd;
        long openCount;
        double openSum;
        double openMin;
        double openMax;
        long openFirst;
        long openLast;
        double openLastValue;

        void add(long timestamp, double value, long resolution) {
            if (any && timestamp <= previousTimestamp) {
                clean = false;
            }
            any = true;
            previousTimestamp = timestamp;
            if (!clean || Double.doubleToRawLongBits(value) == STALE_NAN_BITS) {
                return;
            }
            // timestamps only rise here: a sample after the open bucket's end opens the next one (one division per
            // bucket, not per sample)
            if (openCount == 0 || timestamp > openEnd) {
                flush();
                openEnd = bucketEnd(timestamp, resolution);
                openCount = 1;
                openSum = 0.0 + value; // as a sum from zero: -0.0 alone sums to 0.0
                openMin = value;
                openMax = value;
                openFirst = timestamp;
                openLast = timestamp;
                openLastValue = value;
                return;
            }
            openCount++;
            openSum += value;
            if (value < openMin || Double.isNaN(openMin)) {
                openMin = value;
            }
            if (value > openMax || Double.isNaN(openMax)) {
                openMax = value;
            }
            openLast = timestamp;
            openLastValue = value;
        }

        /** Moves the open bucket, if any, to the arrays. */
        private void flush() {
            if (openCount == 0) {
                return;
            }
            if (buckets == ends.length) {
                grow();
            }
            int i = buckets++;
            ends[i] = openEnd;
            counts[i] = openCount;
            sums[i] = openSum;
            mins[i] = openMin;
            maxs[i] = openMax;
            firstTs[i] = openFirst;
            lastTs[i] = openLast;
            lasts[i] = openLastValue;
            openCount = 0;
        }

        void close() {
            flush();
            if (!clean) {
                buckets = 0;
            }
        }

        private void grow() {
            int n = ends.length * 2;
            ends = Arrays.copyOf(ends, n);
            counts = Arrays.copyOf(counts, n);
            sums = Arrays.copyOf(sums, n);
            mins = Arrays.copyOf(mins, n);
            maxs = Arrays.copyOf(maxs, n);
            firstTs = Arrays.copyOf(firstTs, n);
            lastTs = Arrays.copyOf(lastTs, n);
            lasts = Arrays.copyOf(lasts, n);
        }
    }
}
