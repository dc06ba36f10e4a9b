package io.tierlog.promql;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Series held in memory, selected by matchers and cut to the asked time range. */
final class InMemorySource implements SeriesSource {
    private final List<Series> series;

    InMemorySource(List<Series> series) {
        this.series = series;
    }

    @Override
    public List<Series> select(List<Matcher> matchers, long fromMs, long toMs) {
        List<Series> out = new ArrayList<>();
        for (Series s : series) {
            if (matchers.stream().allMatch(m -> m.matches(s.labels().get(m.name())))) {
                int a = Engine.firstAtOrAfter(s.timestamps(), fromMs);
                int b = Engine.lastAtOrBefore(s.timestamps(), toMs) + 1;
                if (a < b) {
                    out.add(new Series(s.labels(), Arrays.copyOfRange(s.timestamps(), a, b), Arrays.copyOfRange(s.values(), a, b)));
                }
            }
        }
        return out;
    }
}
