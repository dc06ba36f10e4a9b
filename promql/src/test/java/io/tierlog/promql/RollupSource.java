package io.tierlog.promql;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Series in memory that also answer rollups, computed by {@link RollupSeries#of} (optionally as two time parts
 * put together by {@link RollupSeries#merge}, as a cold tier's objects would be), counting how often the engine
 * asks for samples and for rollups.
 */
final class RollupSource implements SeriesSource {
    private final List<Series> series;
    private final InMemorySource samples;
    private final long[] resolutions;
    private final boolean inTwoParts;
    private final boolean declines;
    int selectCalls;
    int rollupCalls;

    private RollupSource(List<Series> series, long[] resolutions, boolean inTwoParts, boolean declines) {
        this.series = series;
        this.samples = new InMemorySource(series);
        this.resolutions = resolutions;
        this.inTwoParts = inTwoParts;
        this.declines = declines;
    }

    /** Rollups at {@code resolutions}, each series' computed from all its samples at once. */
    static RollupSource whole(List<Series> series, long... resolutions) {
        return new RollupSource(series, resolutions, false, false);
    }

    /** Rollups at {@code resolutions}, each series' merged from the rollups of its first and second half. */
    static RollupSource inTwoParts(List<Series> series, long... resolutions) {
        return new RollupSource(series, resolutions, true, false);
    }

    /** Claims {@code resolutions} but answers every request for rollups with "cannot". */
    static RollupSource declining(List<Series> series, long... resolutions) {
        return new RollupSource(series, resolutions, false, true);
    }

    @Override
    public List<Series> select(List<Matcher> matchers, long fromMs, long toMs) {
        selectCalls++;
        return samples.select(matchers, fromMs, toMs);
    }

    @Override
    public long[] rollupResolutions() {
        return resolutions.clone();
    }

    @Override
    public Optional<List<RollupSeries>> rollups(List<Matcher> matchers, long fromEnd, long toEnd, long resolutionMs) {
        rollupCalls++;
        if (declines) {
            return Optional.empty();
        }
        List<RollupSeries> out = new ArrayList<>();
        for (Series s : series) {
            if (!matchers.stream().allMatch(m -> m.matches(s.labels().get(m.name())))) {
                continue;
            }
            RollupSeries r;
            if (inTwoParts) {
                int half = s.size() / 2;
                Series early = new Series(s.labels(), Arrays.copyOfRange(s.timestamps(), 0, half),
                        Arrays.copyOfRange(s.values(), 0, half));
                Series late = new Series(s.labels(), Arrays.copyOfRange(s.timestamps(), half, s.size()),
                        Arrays.copyOfRange(s.values(), half, s.size()));
                Optional<RollupSeries> merged = RollupSeries.merge(RollupSeries.of(late, resolutionMs, fromEnd, toEnd),
                        RollupSeries.of(early, resolutionMs, fromEnd, toEnd));
                if (merged.isEmpty()) {
                    return Optional.empty();
                }
                r = merged.get();
            } else {
                r = RollupSeries.of(s, resolutionMs, fromEnd, toEnd);
            }
            if (r.size() > 0) {
                out.add(r);
            }
        }
        return Optional.of(out);
    }
}
