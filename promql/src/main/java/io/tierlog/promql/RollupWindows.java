package io.tierlog.promql;

import java.util.List;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The {@code *_over_time} functions answered from {@link RollupSeries rollups} instead of samples, and the rule for
 * when that gives exactly the samples' answer: the range and every evaluation time (less the offset) fall on bucket
 * ends, so a window {@code [t - range, t]} is whole buckets plus, at its left edge, the one sample a bucket may
 * have exactly on its end.
 */
final class RollupWindows {
    /** The range functions whose value follows from per-bucket count, sum, min, max and last. */
    static final Set<String> FUNCTIONS = Set.of("min_over_time", "max_over_time", "sum_over_time", "count_over_time",
            "avg_over_time", "last_over_time", "present_over_time");

    /**
     * Below this, no sum of the samples can overflow in any order, so a sum of bucket sums differs from the
     * samples' compensated sum by rounding only (a quarter of the largest double leaves room for that rounding).
     */
    private static final double SAFE_MAGNITUDE = Double.MAX_VALUE / 4;

    private RollupWindows() {
    }

    /**
     * The largest of {@code resolutions} at which every window of {@code m} evaluated at {@code start, start + step,
     * ..., end} is whole buckets; empty when there is none. {@code step} 0 means {@code start} is the only time.
     */
    static OptionalLong resolution(long[] resolutions, Expr.MatrixSelector m, long start, long end, long step) {
        long range = m.rangeMs();
        long offset = m.selector().offsetMs();
        long best = 0;
        for (long res : resolutions) {
            boolean aligned = res > 0 && range >= res && range % res == 0 && (start - offset) % res == 0
                    && (step % res == 0 || end - start < step);
            if (aligned && res > best) {
                best = res;
            }
        }
        return best > 0 ? OptionalLong.of(best) : OptionalLong.empty();
    }

    /**
     * True when {@code function} over {@code series}' buckets gives what it gives over the samples: always for
     * count, min, max, last and present; for sum and avg only when no sample is infinite and the samples' magnitudes
     * cannot overflow a sum, since bucket sums add the samples in another grouping than the engine does.
     */
    static boolean exact(String function, List<RollupSeries> series) {
        if (!function.equals("sum_over_time") && !function.equals("avg_over_time")) {
            return true;
        }
        for (RollupSeries r : series) {
            double bound = 0;
            for (int i = 0; i < r.size(); i++) {
                // an all-NaN bucket (NaN min and max) makes every sum over it NaN, whatever the grouping
                if (!Double.isNaN(r.mins()[i])) {
                    bound += r.counts()[i] * Math.max(Math.abs(r.mins()[i]), Math.abs(r.maxs()[i]));
                }
            }
            if (!(bound < SAFE_MAGNITUDE)) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code function}'s value over the samples of {@code r} in {@code [to - rangeMs, to]} (both ends included, as
     * Prometheus 2.x does), or null when there is none; {@code to} and {@code rangeMs} are multiples of the
     * resolution. Folds in time order: the sample exactly at the left edge (the last of the bucket ending there, if
     * it was taken at that instant), then the buckets ending in {@code (to - rangeMs, to]}.
     */
    static Double apply(String function, RollupSeries r, long to, long rangeMs) {
        long from = to - rangeMs;
        long[] ends = r.bucketEnds();
        int a = Engine.firstAtOrAfter(ends, from);
        boolean edge = a < ends.length && ends[a] == from && r.lastTimestamps()[a] == from;
        double edgeValue = edge ? r.lasts()[a] : 0;
        if (a < ends.length && ends[a] == from) {
            a++;
        }
        int b = Engine.lastAtOrBefore(ends, to) + 1;
        if (!edge && a >= b) {
            return null;
        }
        return switch (function) {
            case "count_over_time" -> (double) count(r, a, b, edge);
            case "sum_over_time" -> sum(r, a, b, edge, edgeValue);
            case "avg_over_time" -> sum(r, a, b, edge, edgeValue) / count(r, a, b, edge);
            case "last_over_time" -> b > a ? r.lasts()[b - 1] : edgeValue;
            case "present_over_time" -> 1.0;
            case "min_over_time" -> {
                double m = edge ? edgeValue : r.mins()[a];
                for (int i = edge ? a : a + 1; i < b; i++) {
                    m = RollupSeries.foldMin(m, r.mins()[i]);
                }
                yield m;
            }
            case "max_over_time" -> {
                double m = edge ? edgeValue : r.maxs()[a];
                for (int i = edge ? a : a + 1; i < b; i++) {
                    m = RollupSeries.foldMax(m, r.maxs()[i]);
                }
                yield m;
            }
            default -> throw new IllegalArgumentException(function + " is not answered from rollups");
        };
    }

    private static long count(RollupSeries r, int a, int b, boolean edge) {
        long n = edge ? 1 : 0;
        for (int i = a; i < b; i++) {
            n += r.counts()[i];
        }
        return n;
    }

    private static double sum(RollupSeries r, int a, int b, boolean edge, double edgeValue) {
        double s = edge ? edgeValue : r.sums()[a];
        for (int i = edge ? a : a + 1; i < b; i++) {
            s += r.sums()[i];
        }
        return s;
    }
}
