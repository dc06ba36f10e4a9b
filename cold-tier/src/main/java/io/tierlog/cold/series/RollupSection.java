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

    /** One series' buckets being filled; the open bucket is the last. */
    private static final class Accumulator {
        long[] ends = new long[4];
        long[] counts = new long[4];
        double[] sums = new double[4];
        double[] mins = new double[4];
        double[] maxs = new double[4];
        long[] firstTs = new long[4];
        long[] lastTs = new long[4];
        double[] lasts = new double[4];
        int buckets;
        boolean clean = true;
        boolean any;
        long previousTimestamp;

        void add(long timestamp, double value, long resolution) {
            if (any && timestamp <= previousTimestamp) {
                clean = false;
            }
            any = true;
            previousTimestamp = timestamp;
            if (!clean || Double.doubleToRawLongBits(value) == STALE_NAN_BITS) {
                return;
            }
            long end = bucketEnd(timestamp, resolution);
            int i = buckets - 1;
            if (i < 0 || ends[i] != end) {
                if (buckets == ends.length) {
                    grow();
                }
                i = buckets++;
                ends[i] = end;
                counts[i] = 0;
                sums[i] = 0;
                mins[i] = value;
                maxs[i] = value;
                firstTs[i] = timestamp;
            }
            counts[i]++;
            sums[i] += value;
            if (value < mins[i] || Double.isNaN(mins[i])) {
                mins[i] = value;
            }
            if (value > maxs[i] || Double.isNaN(maxs[i])) {
                maxs[i] = value;
            }
            lastTs[i] = timestamp;
            lasts[i] = value;
        }

        void close() {
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
