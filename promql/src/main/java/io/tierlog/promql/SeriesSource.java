package io.tierlog.promql;

import java.util.List;
import java.util.Optional;

/**
 * Where the engine reads samples: every series whose labels satisfy all {@code matchers}, with its samples in
 * {@code [fromMs, toMs]} in time order (one sample per timestamp: the last one written wins). Series without a
 * sample in the range may be left out. Implementations bound what they read and throw
 * {@link QueryExecutionException} beyond it.
 *
 * <p>A source may also keep {@link RollupSeries rollups} (per-bucket statistics) so that {@code *_over_time} over
 * long ranges need not read every sample. Both rollup methods have defaults that offer none, so a source that
 * only has samples implements {@link #select} alone.
 */
public interface SeriesSource {
    List<Series> select(List<Matcher> matchers, long fromMs, long toMs);

    /**
     * The bucket widths (milliseconds) at which {@link #rollups} can answer, in any order; none by default. The
     * engine picks the largest one that divides a query's range, step and alignment.
     */
    default long[] rollupResolutions() {
        return new long[0];
    }

    /**
     * Every series whose labels satisfy all {@code matchers}, with its buckets at {@code resolutionMs} whose end lies
     * in {@code [fromEnd, toEnd]}: exactly the buckets {@link RollupSeries#of} would compute from the series' samples
     * as {@link #select} returns them (a series without such a bucket may be left out).
     *
     * <p>Empty when the source cannot answer exactly (no rollups at that resolution for part of the span, parts that
     * cannot be merged, samples newer than the rollups): the engine then reads the samples with {@link #select}, so
     * an empty answer is always safe, a wrong one never is. Empty by default.
     */
    default Optional<List<RollupSeries>> rollups(List<Matcher> matchers, long fromEnd, long toEnd, long resolutionMs) {
        return Optional.empty();
    }
}
