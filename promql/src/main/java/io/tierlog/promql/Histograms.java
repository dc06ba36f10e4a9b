package io.tierlog.promql;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** histogram_quantile over classic buckets ({@code le} labels), as Prometheus computes it. */
final class Histograms {
    private Histograms() {
    }

    /**
     * The q-quantile of buckets given as {upper bound, cumulative count}: NaN without a +Inf bucket or without
     * observations; buckets of equal bounds are merged and counts forced monotonic first; linear interpolation within
     * the bucket that holds the rank (the lowest bucket starts at 0 unless its bound is not positive).
     */
    static double bucketQuantile(double q, List<double[]> in) {
        if (Double.isNaN(q)) {
            return Double.NaN;
        }
        if (q < 0) {
            return Double.NEGATIVE_INFINITY;
        }
        if (q > 1) {
            return Double.POSITIVE_INFINITY;
        }
        List<double[]> buckets = new ArrayList<>();
        in.stream().sorted(Comparator.comparingDouble(b -> b[0])).forEach(b -> {
            if (!buckets.isEmpty() && buckets.getLast()[0] == b[0]) {
                buckets.getLast()[1] += b[1];
            } else {
                buckets.add(new double[] {b[0], b[1]});
            }
        });
        if (buckets.isEmpty() || buckets.getLast()[0] != Double.POSITIVE_INFINITY) {
            return Double.NaN;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (double[] b : buckets) {
            if (b[1] > max) {
                max = b[1];
            } else if (b[1] < max) {
                b[1] = max;
            }
        }
        if (buckets.size() < 2) {
            return Double.NaN;
        }
        double observations = buckets.getLast()[1];
        if (observations == 0) {
            return Double.NaN;
        }
        double rank = q * observations;
        int b = 0;
        while (b < buckets.size() - 1 && buckets.get(b)[1] < rank) {
            b++;
        }
        if (b == buckets.size() - 1) {
            return buckets.get(buckets.size() - 2)[0];
        }
        if (b == 0 && buckets.getFirst()[0] <= 0) {
            return buckets.getFirst()[0];
        }
        double bucketStart = 0;
        double bucketEnd = buckets.get(b)[0];
        double count = buckets.get(b)[1];
        if (b > 0) {
            bucketStart = buckets.get(b - 1)[0];
            count -= buckets.get(b - 1)[1];
            rank -= buckets.get(b - 1)[1];
        }
        return bucketStart + (bucketEnd - bucketStart) * (rank / count);
    }
}
