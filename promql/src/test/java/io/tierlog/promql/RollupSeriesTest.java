package io.tierlog.promql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The reference rollups of a series and the merge of two parts, at the edges where exactness is lost easily. */
class RollupSeriesTest {
    private static final Labels X = Labels.of("__name__", "x", "job", "a");
    private static final double STALE = Double.longBitsToDouble(Engine.STALE_NAN_BITS);
    private static final double INF = Double.POSITIVE_INFINITY;

    private static Series series(long[] ts, double... vs) {
        return new Series(X, ts, vs);
    }

    private static RollupSeries all(Series s, long res) {
        return RollupSeries.of(s, res, Long.MIN_VALUE / 2, Long.MAX_VALUE / 2);
    }

    private static long bits(double v) {
        return Double.doubleToRawLongBits(v);
    }

    @Test
    void aBucketHoldsTheSamplesAfterThePreviousEndUpToAndIncludingItsOwn() {
        RollupSeries r = all(series(new long[] {0, 5, 10, 11, 20}, 1, 2, 3, 4, 5), 10);
        assertThat(r.bucketEnds()).containsExactly(0, 10, 20);
        assertThat(r.counts()).containsExactly(1, 2, 2);
        assertThat(r.sums()).containsExactly(1, 5, 9);
        assertThat(r.firstTimestamps()).containsExactly(0, 5, 11);
        assertThat(r.lastTimestamps()).containsExactly(0, 10, 20);
        assertThat(r.lasts()).containsExactly(1, 3, 5);
        assertThat(r.mins()).containsExactly(1, 2, 4);
        assertThat(r.maxs()).containsExactly(1, 3, 5);
    }

    @Test
    void negativeTimestampsBelongToTheBucketEndingAtOrAfterThem() {
        RollupSeries r = all(series(new long[] {-15, -10, -9, -1, 0}, 1, 2, 3, 4, 5), 10);
        assertThat(r.bucketEnds()).containsExactly(-10, 0);
        assertThat(r.counts()).containsExactly(2, 3);
        assertThat(r.firstTimestamps()).containsExactly(-15, -9);
        assertThat(r.lastTimestamps()).containsExactly(-10, 0);
    }

    @Test
    void stalenessMarkersAreNotSamplesAndABucketOfOnlyMarkersIsNotListed() {
        RollupSeries r = all(series(new long[] {1, 2, 3, 11}, 7, 8, STALE, STALE), 10);
        assertThat(r.bucketEnds()).containsExactly(10);
        assertThat(r.counts()).containsExactly(2);
        assertThat(r.lastTimestamps()).containsExactly(2);
        assertThat(r.lasts()).containsExactly(8);
    }

    @Test
    void minAndMaxSkipNaNUnlessEverySampleIsNaN() {
        RollupSeries r = all(series(new long[] {1, 2, 3, 4, 11, 12}, Double.NaN, 3, Double.NaN, 1, Double.NaN, Double.NaN), 10);
        assertThat(r.mins()[0]).isEqualTo(1);
        assertThat(r.maxs()[0]).isEqualTo(3);
        assertThat(r.sums()[0]).isNaN();
        assertThat(r.lasts()[0]).isEqualTo(1);
        assertThat(r.mins()[1]).isNaN();
        assertThat(r.maxs()[1]).isNaN();
    }

    @Test
    void infinitiesAreOrdinaryExtremesAndOppositeOnesSumToNaN() {
        RollupSeries r = all(series(new long[] {1, 2, 3}, INF, 5, -INF), 10);
        assertThat(r.mins()[0]).isEqualTo(-INF);
        assertThat(r.maxs()[0]).isEqualTo(INF);
        assertThat(r.sums()[0]).isNaN();
    }

    @Test
    void aTieBetweenMinusZeroAndZeroKeepsTheEarlierAsTheRangeFunctionsDo() {
        RollupSeries r = all(series(new long[] {1, 2, 11, 12}, -0.0, 0.0, 0.0, -0.0), 10);
        assertThat(bits(r.mins()[0])).isEqualTo(bits(-0.0));
        assertThat(bits(r.maxs()[0])).isEqualTo(bits(-0.0));
        assertThat(bits(r.mins()[1])).isEqualTo(bits(0.0));
        assertThat(bits(r.maxs()[1])).isEqualTo(bits(0.0));
    }

    @Test
    void onlyBucketsEndingInTheAskedSpanAreKeptBothEndsIncluded() {
        Series s = series(new long[] {5, 10, 15, 25, 35}, 1, 2, 3, 4, 5);
        RollupSeries r = RollupSeries.of(s, 10, 20, 30);
        assertThat(r.bucketEnds()).containsExactly(20, 30);
        assertThat(RollupSeries.of(s, 10, 11, 19).size()).isZero();
    }

    @Test
    void mergingTwoTimePartsGivesTheRollupsOfTheWholeInEitherOrder() {
        long[] ts = {1, 4, 9, 10, 12, 18, 25};
        double[] vs = {-0.0, Double.NaN, 0.0, 3, INF, 2, 1};
        Series whole = series(ts, vs);
        Series early = series(new long[] {1, 4}, -0.0, Double.NaN);
        Series late = series(new long[] {9, 10, 12, 18, 25}, 0.0, 3, INF, 2, 1);
        RollupSeries expected = all(whole, 10);
        assertThat(RollupSeries.merge(all(early, 10), all(late, 10))).contains(expected);
        assertThat(RollupSeries.merge(all(late, 10), all(early, 10))).contains(expected);
        assertThat(bits(RollupSeries.merge(all(late, 10), all(early, 10)).orElseThrow().maxs()[0])).isEqualTo(bits(3.0));
    }

    @Test
    void partsThatOverlapOrTouchInABucketCannotBeMergedExactly() {
        RollupSeries a = all(series(new long[] {1, 5}, 1, 2), 10);
        RollupSeries overlapping = all(series(new long[] {3, 8}, 3, 4), 10);
        RollupSeries touching = all(series(new long[] {5, 8}, 2, 4), 10);
        assertThat(RollupSeries.merge(a, overlapping)).isEmpty();
        assertThat(RollupSeries.merge(touching, a)).isEmpty();
        RollupSeries otherBucket = all(series(new long[] {11}, 3), 10);
        assertThat(RollupSeries.merge(a, otherBucket).orElseThrow().bucketEnds()).containsExactly(10, 20);
    }

    @Test
    void mergingDifferentSeriesOrResolutionsIsAMistake() {
        RollupSeries a = all(series(new long[] {1}, 1), 10);
        RollupSeries other = RollupSeries.of(new Series(Labels.of("__name__", "y"), new long[] {1}, new double[] {1}), 10, 0, 100);
        assertThatThrownBy(() -> RollupSeries.merge(a, other)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RollupSeries.merge(a, all(series(new long[] {1}, 1), 5))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void columnsOfDifferentLengthsOrUnorderedBucketsAreRefused() {
        assertThatThrownBy(() -> new RollupSeries(X, 10, new long[] {10}, new long[] {1}, new double[] {1}, new double[] {1},
                new double[] {1}, new long[] {10}, new long[] {10}, new double[0])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RollupSeries(X, 10, new long[] {20, 10}, new long[] {1, 1}, new double[2], new double[2],
                new double[2], new long[] {20, 10}, new long[] {20, 10}, new double[2])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RollupSeries(X, 10, new long[] {15}, new long[] {1}, new double[1], new double[1],
                new double[1], new long[] {15}, new long[] {15}, new double[1])).isInstanceOf(IllegalArgumentException.class);
    }
}
