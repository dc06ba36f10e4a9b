package io.tierlog.promql;

import java.util.List;

/**
 * Where the engine reads samples: every series whose labels satisfy all {@code matchers}, with its samples in
 * {@code [fromMs, toMs]} in time order (one sample per timestamp: the last one written wins). Series without a
 * sample in the range may be left out. Implementations bound what they read and throw
 * {@link QueryExecutionException} beyond it.
 */
public interface SeriesSource {
    List<Series> select(List<Matcher> matchers, long fromMs, long toMs);
}
