package io.tierlog.promql;

import java.util.Arrays;
import java.util.Optional;

/**
 * One series' rollups at one resolution: per time bucket the count, sum, min, max, first and last timestamp and
 * last value of its samples. A cold tier keeps these so that {@code max_over_time(x[1h])} over 30 days reads one
 * row per hour instead of every sample; the {@link Engine} answers from them only where the answer is exactly the
 * one the raw samples give.
 *
 * <p>The bucket ending at {@code e} (a multiple of {@code resolutionMs}) holds the samples with timestamps in
 * {@code (e - resolutionMs, e]}, staleness markers ({@link Engine#STALE_NAN_BITS}) left out. Buckets are listed
 * in ascending order of end, without duplicates, and only when they hold a sample. {@code mins} and {@code maxs}
 * fold the bucket's samples in time order the way {@code min_over_time}/{@code max_over_time} do (start with the
 * first, take a sample when it is smaller/greater or the running value is NaN), so they are NaN only when every
 * sample is; {@code sums} is the plain sum; {@code lasts} the value at {@code lastTimestamps}.
 *
 * <p>The arrays are owned by the record (not copied, not to be changed), as in {@link Series}.
 */
public record RollupSeries(Labels labels, long resolutionMs, long[] bucketEnds, long[] counts, double[] sums,
                           double[] mins, double[] maxs, long[] firstTimestamps, long[] lastTimestamps, double[] lasts) {
    public RollupSeries {
        if (resolutionMs <= 0) {
            throw new IllegalArgumentException("resolution must be positive: " + resolutionMs);
        }
        int n = bucketEnds.length;
        // a bucket half-described would silently shift every later bucket's statistics
        if (counts.length != n || sums.length != n || mins.length != n || maxs.length != n || firstTimestamps.length != n
                || lastTimestamps.length != n || lasts.length != n) {
            throw new IllegalArgumentException("rollup columns differ in length");
        }
        // the engine finds a window's buckets by binary search over the ends
        for (int i = 0; i < n; i++) {
            if (bucketEnds[i] % resolutionMs != 0 || (i > 0 && bucketEnds[i] <= bucketEnds[i - 1]) || counts[i] <= 0) {
                throw new IllegalArgumentException("bucket " + i + " (end " + bucketEnds[i] + ", count " + counts[i]
                        + ") is not a non-empty bucket at a multiple of " + resolutionMs + " after the previous one");
            }
        }
    }

    /** The number of buckets. */
    public int size() {
        return bucketEnds.length;
    }

    /** The end of the bucket holding timestamp {@code t}: the least multiple of {@code resolutionMs} at or after it. */
    static long bucketEnd(long t, long resolutionMs) {
        return Math.ceilDiv(t, resolutionMs) * resolutionMs;
    }

    /**
     * The buckets of {@code raw} (time ordered, one sample per timestamp, as a {@link SeriesSource} returns it) whose
     * end lies in {@code [fromEnd, toEnd]}: the reference that every other producer of rollups must equal.
     */
    public static RollupSeries of(Series raw, long resolutionMs, long fromEnd, long toEnd) {
        if (resolutionMs <= 0) {
            throw new IllegalArgumentException("resolution must be positive: " + resolutionMs);
        }
        Builder b = new Builder(raw.size());
        long[] ts = raw.timestamps();
        double[] vs = raw.values();
        for (int i = 0; i < ts.length; i++) {
            if (Engine.isStale(vs[i])) {
                continue;
            }
            long end = bucketEnd(ts[i], resolutionMs);
            if (end < fromEnd || end > toEnd) {
                continue;
            }
            if (b.n == 0 || b.ends[b.n - 1] != end) {
                if (b.n > 0 && b.ends[b.n - 1] > end) {
                    throw new IllegalArgumentException("samples are not in time order at " + ts[i]);
                }
                b.add(end, 1, vs[i], vs[i], vs[i], ts[i], ts[i], vs[i]);
            } else {
                int k = b.n - 1;
                if (ts[i] <= b.lastTs[k]) {
                    throw new IllegalArgumentException("samples are not in time order at " + ts[i]);
                }
                b.counts[k]++;
                b.sums[k] += vs[i];
                b.mins[k] = foldMin(b.mins[k], vs[i]);
                b.maxs[k] = foldMax(b.maxs[k], vs[i]);
                b.lastTs[k] = ts[i];
                b.lasts[k] = vs[i];
            }
        }
        return b.build(raw.labels(), resolutionMs);
    }

    /**
     * The union of two parts of one series' rollups (same labels and resolution), e.g. from two objects of a cold
     * tier. A bucket in both is combined only when the two parts' samples do not overlap in time; otherwise (a
     * timestamp range that overlaps or touches, i.e. a possible duplicate sample) the union cannot be exact and
     * the answer is empty.
     */
    public static Optional<RollupSeries> merge(RollupSeries a, RollupSeries b) {
        if (!a.labels.equals(b.labels)) {
            throw new IllegalArgumentException("rollups of different series: " + a.labels + " and " + b.labels);
        }
        if (a.resolutionMs != b.resolutionMs) {
            throw new IllegalArgumentException("rollups at different resolutions: " + a.resolutionMs + " and " + b.resolutionMs);
        }
        Builder out = new Builder(a.size() + b.size());
        int i = 0;
        int j = 0;
        while (i < a.size() || j < b.size()) {
            if (j == b.size() || (i < a.size() && a.bucketEnds[i] < b.bucketEnds[j])) {
                out.copy(a, i++);
            } else if (i == a.size() || b.bucketEnds[j] < a.bucketEnds[i]) {
                out.copy(b, j++);
            } else {
                RollupSeries early;
                RollupSeries late;
                int e;
                int l;
                if (a.lastTimestamps[i] < b.firstTimestamps[j]) {
                    early = a;
                    e = i;
                    late = b;
                    l = j;
                } else if (b.lastTimestamps[j] < a.firstTimestamps[i]) {
                    early = b;
                    e = j;
                    late = a;
                    l = i;
                } else {
                    return Optional.empty();
                }
                out.add(a.bucketEnds[i], early.counts[e] + late.counts[l], early.sums[e] + late.sums[l],
                        foldMin(early.mins[e], late.mins[l]), foldMax(early.maxs[e], late.maxs[l]),
                        early.firstTimestamps[e], late.lastTimestamps[l], late.lasts[l]);
                i++;
                j++;
            }
        }
        return Optional.of(out.build(a.labels, a.resolutionMs));
    }

    /** {@code min_over_time}'s step: the running value {@code r} followed by a later {@code x}. */
    static double foldMin(double r, double x) {
        return x < r || Double.isNaN(r) ? x : r;
    }

    /** {@code max_over_time}'s step: the running value {@code r} followed by a later {@code x}. */
    static double foldMax(double r, double x) {
        return x > r || Double.isNaN(r) ? x : r;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RollupSeries r && labels.equals(r.labels) && resolutionMs == r.resolutionMs
                && Arrays.equals(bucketEnds, r.bucketEnds) && Arrays.equals(counts, r.counts) && Arrays.equals(sums, r.sums)
                && Arrays.equals(mins, r.mins) && Arrays.equals(maxs, r.maxs)
                && Arrays.equals(firstTimestamps, r.firstTimestamps) && Arrays.equals(lastTimestamps, r.lastTimestamps)
                && Arrays.equals(lasts, r.lasts);
    }

    @Override
    public int hashCode() {
        return 31 * labels.hashCode() + Arrays.hashCode(bucketEnds);
    }

    @Override
    public String toString() {
        return "RollupSeries[" + labels + " @" + resolutionMs + "ms, ends=" + Arrays.toString(bucketEnds)
                + ", counts=" + Arrays.toString(counts) + ", sums=" + Arrays.toString(sums) + ", mins=" + Arrays.toString(mins)
                + ", maxs=" + Arrays.toString(maxs) + ", firsts=" + Arrays.toString(firstTimestamps)
                + ", lasts=" + Arrays.toString(lastTimestamps) + ", lastValues=" + Arrays.toString(lasts) + "]";
    }

    /** Grows the columns bucket by bucket. */
    private static final class Builder {
        private long[] ends;
        private long[] counts;
        private double[] sums;
        private double[] mins;
        private double[] maxs;
        private long[] firstTs;
        private long[] lastTs;
        private double[] lasts;
        private int n;

        Builder(int capacity) {
            int c = Math.max(capacity, 1);
            ends = new long[c];
            counts = new long[c];
            sums = new double[c];
            mins = new double[c];
            maxs = new double[c];
            firstTs = new long[c];
            lastTs = new long[c];
            lasts = new double[c];
        }

        void copy(RollupSeries r, int k) {
            add(r.bucketEnds[k], r.counts[k], r.sums[k], r.mins[k], r.maxs[k], r.firstTimestamps[k], r.lastTimestamps[k],
                    r.lasts[k]);
        }

        void add(long end, long count, double sum, double min, double max, long first, long last, double lastValue) {
            ends[n] = end;
            counts[n] = count;
            sums[n] = sum;
            mins[n] = min;
            maxs[n] = max;
            firstTs[n] = first;
            lastTs[n] = last;
            lasts[n++] = lastValue;
        }

        RollupSeries build(Labels labels, long resolutionMs) {
            return new RollupSeries(labels, resolutionMs, Arrays.copyOf(ends, n), Arrays.copyOf(counts, n),
                    Arrays.copyOf(sums, n), Arrays.copyOf(mins, n), Arrays.copyOf(maxs, n), Arrays.copyOf(firstTs, n),
                    Arrays.copyOf(lastTs, n), Arrays.copyOf(lasts, n));
        }
    }
}
