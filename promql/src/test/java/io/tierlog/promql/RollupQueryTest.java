package io.tierlog.promql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;
import org.junit.jupiter.api.Test;

/**
 * {@code *_over_time} answered from rollups gives exactly what the samples give, and queries the rollups cannot
 * answer exactly read the samples.
 */
class RollupQueryTest {
    private static final long SEC = 1000;
    private static final long MIN = 60 * SEC;
    private static final double STALE = Double.longBitsToDouble(Engine.STALE_NAN_BITS);
    private static final List<String> FUNCTIONS = List.of("min_over_time", "max_over_time", "sum_over_time",
            "count_over_time", "avg_over_time", "last_over_time", "present_over_time");
    private static final Set<String> BIT_EXACT = Set.of("min_over_time", "max_over_time", "count_over_time",
            "last_over_time", "present_over_time");

    /** A range query aligned to {@code resolution}: start less offset, step and range are multiples of it. */
    record Query(long resolution, long rangeMs, long offsetMs, long start, long end, long step) {
        String of(String function) {
            return function + "(x[" + rangeMs / SEC + "s]" + (offsetMs > 0 ? " offset " + offsetMs / SEC + "s" : "") + ")";
        }
    }

    // ---- the property

    // jqwik's edge cases (empty sets, single samples) would be some 40 % of the tries: the unit tests below cover those
    @Property(tries = 500, edgeCases = EdgeCasesMode.NONE)
    void rollupsAnswerAlignedQueriesExactlyAsTheSamplesDo(@ForAll("series") List<Series> series, @ForAll("queries") Query q,
                                                          @ForAll boolean inTwoParts) {
        for (String function : FUNCTIONS) {
            String query = q.of(function);
            Value.Matrix expected = new Engine(new InMemorySource(series)).range(query, q.start(), q.end(), q.step());
            RollupSource source = inTwoParts ? RollupSource.inTwoParts(series, 10 * SEC, q.resolution())
                    : RollupSource.whole(series, 10 * SEC, q.resolution());
            Value.Matrix actual = new Engine(source).range(query, q.start(), q.end(), q.step());

            assertSame(function, query, expected, actual);
            assertThat(source.rollupCalls).as("rollups read once for %s", query).isEqualTo(1);
            boolean fallsBack = !BIT_EXACT.contains(function) && hasInfiniteSample(series, q);
            assertThat(source.selectCalls).as("samples read for %s", query).isEqualTo(fallsBack ? 1 : 0);
        }
    }

    @Property(tries = 100)
    void anInstantQueryOnABucketEndUsesTheRollupsToo(@ForAll("series") List<Series> series, @ForAll("queries") Query q) {
        for (String function : FUNCTIONS) {
            String query = q.of(function);
            Value.Vector expected = (Value.Vector) new Engine(new InMemorySource(series)).instant(query, q.start());
            RollupSource source = RollupSource.whole(series, q.resolution());
            Value.Vector actual = (Value.Vector) new Engine(source).instant(query, q.start());
            assertThat(actual.samples()).hasSameSizeAs(expected.samples());
            for (int i = 0; i < expected.samples().size(); i++) {
                Value.Sample e = expected.samples().get(i);
                Value.Sample a = actual.samples().get(i);
                assertThat(a.labels()).isEqualTo(e.labels());
                assertValue(function, query + " at " + e.timestampMs(), e.value(), a.value());
            }
            assertThat(source.rollupCalls).isEqualTo(1);
        }
    }

    @Property(tries = 400)
    void mergingTwoPartsSplitAnywhereInTimeGivesTheRollupsOfTheWhole(@ForAll("series") List<Series> series,
                                                                     @ForAll int split, @ForAll boolean minute) {
        long res = minute ? MIN : 10 * SEC;
        for (Series s : series) {
            int k = Math.floorMod(split, s.size() + 1);
            Series early = new Series(s.labels(), java.util.Arrays.copyOfRange(s.timestamps(), 0, k),
                    java.util.Arrays.copyOfRange(s.values(), 0, k));
            Series late = new Series(s.labels(), java.util.Arrays.copyOfRange(s.timestamps(), k, s.size()),
                    java.util.Arrays.copyOfRange(s.values(), k, s.size()));
            long from = -5 * MIN;
            long to = 13 * MIN;
            RollupSeries whole = RollupSeries.of(s, res, from, to);
            assertMergedIs(whole, RollupSeries.merge(RollupSeries.of(late, res, from, to), RollupSeries.of(early, res, from, to)));
            assertMergedIs(whole, RollupSeries.merge(RollupSeries.of(early, res, from, to), RollupSeries.of(late, res, from, to)));
        }
    }

    /** Every column exactly, but the sums, which add the two parts' sums: another grouping, another rounding. */
    private static void assertMergedIs(RollupSeries whole, java.util.Optional<RollupSeries> merged) {
        RollupSeries m = merged.orElseThrow();
        assertThat(new RollupSeries(m.labels(), m.resolutionMs(), m.bucketEnds(), m.counts(), whole.sums(), m.mins(), m.maxs(),
                m.firstTimestamps(), m.lastTimestamps(), m.lasts())).isEqualTo(whole);
        for (int i = 0; i < whole.size(); i++) {
            assertValue("sum_over_time", "bucket ending " + whole.bucketEnds()[i], whole.sums()[i], m.sums()[i]);
        }
    }

    private static void assertSame(String function, String query, Value.Matrix expected, Value.Matrix actual) {
        assertThat(actual.series()).extracting(Series::labels).as(query)
                .containsExactlyElementsOf(expected.series().stream().map(Series::labels).toList());
        for (int i = 0; i < expected.series().size(); i++) {
            Series e = expected.series().get(i);
            Series a = actual.series().get(i);
            assertThat(a.timestamps()).as("%s: times of %s", query, e.labels()).containsExactly(e.timestamps());
            for (int j = 0; j < e.size(); j++) {
                assertValue(function, query + " at " + e.timestamps()[j], e.values()[j], a.values()[j]);
            }
        }
    }

    private static void assertValue(String function, String where, double expected, double actual) {
        if (BIT_EXACT.contains(function) || Double.isNaN(expected) || Double.isInfinite(expected)) {
            // NaN payloads aside, every NaN is the same answer
            long e = Double.isNaN(expected) ? Double.doubleToLongBits(expected) : Double.doubleToRawLongBits(expected);
            long a = Double.isNaN(actual) ? Double.doubleToLongBits(actual) : Double.doubleToRawLongBits(actual);
            assertThat(a).as("%s: %s from rollups, %s from samples", where, actual, expected).isEqualTo(e);
        } else {
            double tolerance = 1e-9 * Math.max(1, Math.max(Math.abs(expected), Math.abs(actual)));
            assertThat(Math.abs(actual - expected)).as("%s: %s from rollups, %s from samples", where, actual, expected)
                    .isLessThanOrEqualTo(tolerance);
        }
    }

    /** Sum and avg read the samples when an infinity is in a loaded bucket: bucket sums cannot tell its grouping. */
    private static boolean hasInfiniteSample(List<Series> series, Query q) {
        long from = q.start() - q.offsetMs() - q.rangeMs();
        long to = q.end() - q.offsetMs();
        for (Series s : series) {
            if (!s.labels().metricName().equals("x")) {
                continue;
            }
            for (int i = 0; i < s.size(); i++) {
                long end = RollupSeries.bucketEnd(s.timestamps()[i], q.resolution());
                if (Double.isInfinite(s.values()[i]) && end >= from && end <= to) {
                    return true;
                }
            }
        }
        return false;
    }

    // ---- generators

    @Provide
    Arbitrary<List<Series>> series() {
        Arbitrary<Series> x = Combinators.combine(Arbitraries.of("a", "b", "c"), samples())
                .as((job, ts) -> new Series(Labels.of("__name__", "x", "job", job), ts.timestamps(), ts.values()));
        return x.list().ofMinSize(1).ofMaxSize(3).uniqueElements(s -> s.labels())
                .map(xs -> {
                    List<Series> all = new ArrayList<>(xs);
                    // another metric, which no query selects
                    all.add(new Series(Labels.of("__name__", "y", "job", "a"), new long[] {0, 10 * SEC}, new double[] {1, 2}));
                    return all;
                });
    }

    /**
     * Irregular times between -4 and 12 minutes, a good share exactly on 10 s bucket ends; values of every kind, half
     * of them from a few.
     */
    private Arbitrary<Series> samples() {
        Arbitrary<Long> anyTime = Arbitraries.longs().between(-4 * MIN, 12 * MIN);
        Arbitrary<Long> onEdge = Arbitraries.longs().between(-24, 72).map(k -> k * 10 * SEC);
        Arbitrary<Long> nearEdge = onEdge.flatMap(e -> Arbitraries.of(e - 1, e + 1));
        Arbitrary<Long> time = Arbitraries.frequencyOf(
                Tuple.of(4, anyTime), Tuple.of(3, onEdge), Tuple.of(1, nearEdge));
        Arbitrary<Double> wide = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.doubles().between(-1000, 1000)),
                Tuple.of(4, Arbitraries.integers().between(-8, 8).map(i -> i / 4.0)),
                Tuple.of(2, Arbitraries.of(0.0, -0.0)),
                Tuple.of(1, Arbitraries.of(Double.NaN)),
                Tuple.of(1, Arbitraries.of(Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY)),
                Tuple.of(1, Arbitraries.of(STALE)));
        // few distinct values, so that ties (-0.0 against 0.0 above all) and NaN runs meet in one window
        Arbitrary<Double> narrow = Arbitraries.of(-0.0, 0.0, 0.0, -0.0, 1.0, Double.NaN, STALE);
        Arbitrary<Double> value = Arbitraries.oneOf(wide, narrow);
        return time.set().ofMinSize(0).ofMaxSize(80).withSizeDistribution(RandomDistribution.uniform()).flatMap(times -> {
            long[] ts = new TreeSet<>(times).stream().mapToLong(Long::longValue).toArray();
            return value.array(Double[].class).ofSize(ts.length).map(vs -> {
                double[] v = new double[vs.length];
                for (int i = 0; i < v.length; i++) {
                    v[i] = vs[i];
                }
                return new Series(Labels.EMPTY, ts, v);
            });
        });
    }

    @Provide
    Arbitrary<Query> queries() {
        Arbitrary<Long> resolution = Arbitraries.of(10 * SEC, MIN);
        return resolution.flatMap(res -> Combinators.combine(
                Arbitraries.integers().between(1, 6),
                Arbitraries.integers().between(0, 90),
                Arbitraries.integers().between(-3 * (int) (MIN / res), 10 * (int) (MIN / res)),
                Arbitraries.integers().between(1, 4),
                Arbitraries.integers().between(0, 12)).as((ranges, offsetSec, startBuckets, steps, points) -> {
                    long offset = offsetSec * SEC;
                    long start = startBuckets * res + offset;
                    long step = steps * res;
                    return new Query(res, ranges * res, offset, start, start + points * step, step);
                }));
    }

    // ---- queries the rollups cannot answer exactly

    private static final List<Series> DATA = List.of(new Series(Labels.of("__name__", "x", "job", "a"),
            new long[] {0, 30 * SEC, MIN, 90 * SEC, 2 * MIN, 150 * SEC, 3 * MIN},
            new double[] {1, 5, 2, 8, 3, 0, 4}));

    private static RollupSource readFor(String query, long start, long end, long step) {
        RollupSource source = RollupSource.whole(DATA, MIN);
        Value.Matrix expected = new Engine(new InMemorySource(DATA)).range(query, start, end, step);
        Value.Matrix actual = new Engine(source).range(query, start, end, step);
        assertThat(actual.series()).hasSameSizeAs(expected.series());
        for (int i = 0; i < expected.series().size(); i++) {
            assertThat(actual.series().get(i).values()).containsExactly(expected.series().get(i).values());
        }
        return source;
    }

    @Test
    void anAlignedQueryReadsOnlyRollups() {
        RollupSource s = readFor("max_over_time(x[2m])", 2 * MIN, 4 * MIN, MIN);
        assertThat(s.rollupCalls).isEqualTo(1);
        assertThat(s.selectCalls).isZero();
    }

    @Test
    void anUnalignedStartReadsSamples() {
        RollupSource s = readFor("max_over_time(x[2m])", 2 * MIN + 1, 4 * MIN, MIN);
        assertThat(s.rollupCalls).isZero();
        assertThat(s.selectCalls).isEqualTo(1);
    }

    @Test
    void anOffsetThatUnalignsTheStartReadsSamples() {
        RollupSource s = readFor("max_over_time(x[2m] offset 30s)", 2 * MIN, 4 * MIN, MIN);
        assertThat(s.rollupCalls).isZero();
        assertThat(s.selectCalls).isEqualTo(1);
        RollupSource realigned = readFor("max_over_time(x[2m] offset 30s)", 150 * SEC, 270 * SEC, MIN);
        assertThat(realigned.selectCalls).isZero();
    }

    /** Queries the rollups cannot answer exactly read samples: step, range or function off the buckets. */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0} at a {1} s step")
    @org.junit.jupiter.params.provider.CsvSource(delimiter = ';', value = {
            "min_over_time(x[2m]); 90",    // a step that is not a multiple of the resolution
            "count_over_time(x[90s]); 60", // a range that is not a multiple
            "last_over_time(x[30s]); 60",  // a range shorter than the resolution
            "rate(x[2m]); 60"})            // not one of the functions rollups answer
    void queriesOffTheBucketsReadSamples(String query, long stepSeconds) {
        RollupSource s = readFor(query, 2 * MIN, 4 * MIN, stepSeconds * SEC);
        assertThat(s.rollupCalls).isZero();
        assertThat(s.selectCalls).isEqualTo(1);
    }

    @Test
    void aSourceThatDeclinesIsReadForSamples() {
        RollupSource s = RollupSource.declining(DATA, MIN);
        Value.Matrix m = new Engine(s).range("sum_over_time(x[2m])", 2 * MIN, 4 * MIN, MIN);
        assertThat(m.series().getFirst().values()).containsExactly(1 + 5 + 2 + 8 + 3, 2 + 8 + 3 + 0 + 4, 3 + 0 + 4);
        assertThat(s.rollupCalls).isEqualTo(1);
        assertThat(s.selectCalls).isEqualTo(1);
    }

    @Test
    void sumAndAvgReadSamplesWhenAnInfinityHidesHowTheBucketSumsWereGrouped() {
        List<Series> data = List.of(new Series(Labels.of("__name__", "x"), new long[] {0, 30 * SEC, MIN},
                new double[] {1e308, 1e308, Double.NEGATIVE_INFINITY}));
        RollupSource s = RollupSource.whole(data, MIN);
        Value.Matrix m = new Engine(s).range("sum_over_time(x[1m])", MIN, MIN, MIN);
        // the samples' sum overflows to +Inf before -Inf arrives; the bucket sums would say 1e308 + -Inf
        assertThat(m.series().getFirst().values()).containsExactly(Double.NaN);
        assertThat(s.selectCalls).isEqualTo(1);
        RollupSource forMax = RollupSource.whole(data, MIN);
        new Engine(forMax).range("max_over_time(x[1m])", MIN, MIN, MIN);
        assertThat(forMax.selectCalls).isZero();
    }

    @Test
    void theLargestResolutionThatFitsIsChosen() {
        List<Long> asked = new ArrayList<>();
        SeriesSource s = new SeriesSource() {
            @Override
            public List<Series> select(List<Matcher> matchers, long fromMs, long toMs) {
                throw new AssertionError("samples read");
            }

            @Override
            public long[] rollupResolutions() {
                return new long[] {10 * SEC, 5 * MIN, MIN, 2 * MIN};
            }

            @Override
            public java.util.Optional<List<RollupSeries>> rollups(List<Matcher> matchers, long fromEnd, long toEnd, long res) {
                asked.add(res);
                return java.util.Optional.of(List.of(RollupSeries.of(DATA.getFirst(), res, fromEnd, toEnd)));
            }
        };
        // 5m does not divide the 2m range: 2m is the largest that does
        new Engine(s).range("count_over_time(x[4m])", 4 * MIN, 8 * MIN, 2 * MIN);
        assertThat(asked).containsExactly(2 * MIN);
    }

    @Test
    void theSampleExactlyAtTheLeftEdgeCountsAsInTheSamples() {
        RollupSource s = readFor("count_over_time(x[1m])", MIN, 3 * MIN, MIN);
        assertThat(s.selectCalls).isZero();
        Value.Matrix m = new Engine(s).range("count_over_time(x[1m])", MIN, 3 * MIN, MIN);
        assertThat(m.series().getFirst().values()).containsExactly(3, 3, 3);
    }

    @Test
    void lastOverTimeKeepsTheMetricNameAndTheOthersDropIt() {
        RollupSource s = RollupSource.whole(DATA, MIN);
        assertThat(new Engine(s).range("last_over_time(x[1m])", MIN, MIN, MIN).series().getFirst().labels().metricName())
                .isEqualTo("x");
        assertThat(new Engine(s).range("max_over_time(x[1m])", MIN, MIN, MIN).series().getFirst().labels().metricName())
                .isEmpty();
        assertThat(s.selectCalls).isZero();
    }

    @Test
    void bucketsCountAgainstTheSampleLimit() {
        RollupSource s = RollupSource.whole(DATA, 10 * SEC);
        Engine e = new Engine(s, new Engine.Options(5 * MIN, 6));
        assertThatThrownBy(() -> e.range("max_over_time(x[3m])", 3 * MIN, 3 * MIN, MIN))
                .isInstanceOf(QueryExecutionException.class);
        assertThat(s.selectCalls).isZero();
    }
}
