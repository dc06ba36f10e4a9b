package io.tierlog.server;

import io.tierlog.core.BytesKeyedCache;
import io.tierlog.core.CorruptBatchException;
import io.tierlog.core.MetricCodec;
import io.tierlog.core.SeriesKey;
import io.tierlog.promql.Labels;
import io.tierlog.promql.Matcher;
import io.tierlog.promql.QueryExecutionException;
import io.tierlog.promql.RollupSeries;
import io.tierlog.promql.Series;
import io.tierlog.promql.SeriesSource;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A metrics topic seen as Prometheus series: each record's series key becomes labels (the metric name under
 * {@code __name__}, its tags as labels), its 9-byte sample the value. Reads go through the query service across both
 * tiers, in timestamp order, keeping only records whose labels match; a series' samples of one timestamp collapse
 * to the last one read. Bounded: more than {@code maxSamples} matching samples in one select is an execution error.
 * One instance serves one query; partitions are read side by side on the given executor.
 */
final class TopicSeriesSource implements SeriesSource {
    private final Broker broker;
    private final TopicRegistry.Topic topic;
    private final long maxSamples;
    private final java.util.concurrent.ExecutorService scanners;
    private final long[] rollupResolutions;

    /**
     * {@code scanners} reads the topic's partitions side by side (one task per partition); {@code rollupResolutions}
     * are those the topic's series blocks are written with (none for a topic that is not offloaded as series blocks).
     */
    TopicSeriesSource(Broker broker, TopicRegistry.Topic topic, long maxSamples, java.util.concurrent.ExecutorService scanners,
                      long[] rollupResolutions) {
        this.broker = broker;
        this.topic = topic;
        this.maxSamples = maxSamples;
        this.scanners = scanners;
        this.rollupResolutions = rollupResolutions.clone();
    }

    @Override
    public List<Series> select(List<Matcher> matchers, long fromMs, long toMs) {
        long from = Math.max(0, fromMs);
        long to = toMs == Long.MAX_VALUE ? Long.MAX_VALUE : toMs + 1;
        if (to <= from) {
            return List.of();
        }
        java.util.concurrent.atomic.AtomicLong samples = new java.util.concurrent.atomic.AtomicLong();
        Map<Labels, Builder> series = new LinkedHashMap<>();
        eachPartition(partition -> scan(partition, matchers, from, to, samples), part -> {
            part.forEach((labels, b) -> {
                Builder mine = series.putIfAbsent(labels, b);
                if (mine != null) {
                    mine.addAll(b); // a series written to several partitions (explicit partitions): merged in time
                }
            });
            return true;
        });
        List<Series> out = new ArrayList<>(series.size());
        series.values().forEach(b -> out.add(b.build()));
        return out;
    }

    /** The resolutions series blocks are written with: queries at these steps may read rollups. */
    @Override
    public long[] rollupResolutions() {
        return rollupResolutions.clone();
    }

    /**
     * Rollups from the series blocks that hold them, merged with buckets computed here from every other sample
     * (segment copies, older blocks, the hot tier). Empty, so that the engine reads samples, when the topic is not
     * rolled up at that resolution, when a block marks a matching series not clean (timestamps out of order in it),
     * or when two parts of one bucket overlap in time (a duplicate: the samples' last-written-wins rule cannot be
     * applied to aggregates).
     */
    @Override
    public java.util.Optional<List<RollupSeries>> rollups(List<Matcher> matchers, long fromEnd, long toEnd, long resolutionMs) {
        if (java.util.Arrays.stream(rollupResolutions).noneMatch(r -> r == resolutionMs) || toEnd < fromEnd) {
            return java.util.Optional.empty();
        }
        java.util.concurrent.atomic.AtomicLong loaded = new java.util.concurrent.atomic.AtomicLong();
        Map<Labels, RollupSeries> series = new LinkedHashMap<>();
        boolean exact = eachPartition(partition -> rollupsOf(partition, matchers, fromEnd, toEnd, resolutionMs, loaded),
                part -> part != null && mergeAll(series, part.values()));
        broker.countRollupSelect(exact);
        return exact ? java.util.Optional.of(new ArrayList<>(series.values())) : java.util.Optional.empty();
    }

    /**
     * Runs {@code task} for every partition side by side on the scanners and hands the results to {@code take} in
     * partition order; when {@code take} answers false the other tasks are cancelled and this returns false. A
     * task's failure cancels the others and is rethrown.
     */
    private <T> boolean eachPartition(java.util.function.IntFunction<T> task, java.util.function.Predicate<T> take) {
        List<java.util.concurrent.Future<T>> parts = new ArrayList<>(topic.partitions());
        for (int p = 0; p < topic.partitions(); p++) {
            int partition = p;
            parts.add(scanners.submit(() -> task.apply(partition)));
        }
        try {
            for (var part : parts) {
                if (!take.test(part.get())) {
                    parts.forEach(f -> f.cancel(true));
                    return false;
                }
            }
            return true;
        } catch (java.util.concurrent.ExecutionException e) {
            parts.forEach(f -> f.cancel(true));
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            parts.forEach(f -> f.cancel(true));
            Thread.currentThread().interrupt();
            throw new QueryExecutionException("query interrupted");
        }
    }

    /** Merges every part into its series in {@code into}; false when any two overlap in time. */
    private static boolean mergeAll(Map<Labels, RollupSeries> into, java.util.Collection<RollupSeries> parts) {
        for (RollupSeries part : parts) {
            if (!mergeInto(into, part)) {
                return false;
            }
        }
        return true;
    }

    /** Merges {@code part} into its series in {@code into}; false when the two overlap in time. */
    private static boolean mergeInto(Map<Labels, RollupSeries> into, RollupSeries part) {
        RollupSeries mine = into.get(part.labels());
        if (mine == null) {
            into.put(part.labels(), part);
            return true;
        }
        java.util.Optional<RollupSeries> merged = RollupSeries.merge(mine, part);
        merged.ifPresent(m -> into.put(m.labels(), m));
        return merged.isPresent();
    }

    /** One partition's rollups by series, or null when they cannot be exact. */
    private Map<Labels, RollupSeries> rollupsOf(int partition, List<Matcher> matchers, long fromEnd, long toEnd,
                                                long resolution, java.util.concurrent.atomic.AtomicLong loaded) {
        BytesKeyedCache<Labels> labelsByKey = new BytesKeyedCache<>(100_000);
        Map<Labels, RollupSeries> fromBlocks = new java.util.HashMap<>();
        Map<Labels, Builder> raw = new java.util.HashMap<>();
        boolean[] exact = {true};
        broker.selectRollups(topic, partition, equalities(matchers), key -> {
            Labels l = labels(key, labelsByKey);
            return l != null && matchesAll(matchers, l);
        }, resolution, fromEnd, toEnd, block -> {
            if (!block.clean()) {
                exact[0] = false;
                return;
            }
            Labels l = labels(block.key(), labelsByKey);
            RollupSeries part = new RollupSeries(l, resolution, block.bucketEnds(), block.counts(), block.sums(),
                    block.mins(), block.maxs(), block.firstTimestamps(), block.lastTimestamps(), block.lasts());
            if (exact[0] && !mergeInto(fromBlocks, part)) {
                exact[0] = false;
            }
            if (loaded.addAndGet(block.bucketEnds().length) > maxSamples) {
                throw tooManySamples();
            }
        }, samplesInto(raw, matchers, labelsByKey, loaded));
        if (!exact[0]) {
            return null;
        }
        for (Builder b : raw.values()) {
            RollupSeries part = RollupSeries.of(b.build(), resolution, fromEnd, toEnd);
            if (part.bucketEnds().length > 0 && !mergeInto(fromBlocks, part)) {
                return null;
            }
        }
        return fromBlocks;
    }

    private static Map<String, String> equalities(List<Matcher> matchers) {
        Map<String, String> equalities = new java.util.HashMap<>();
        for (Matcher m : matchers) {
            if (m.type() == Matcher.Type.EQUAL && !m.value().isEmpty()) { // ="" also matches series without the label
                equalities.put(m.name(), m.value());
            }
        }
        return equalities;
    }

    /**
     * One partition's matching samples by series; {@code samples} bounds all partitions together. Equality matchers
     * go to the series blocks' postings (in S3 only the matching series are fetched); every matcher is then checked
     * on each series' labels.
     */
    private Map<Labels, Builder> scan(int partition, List<Matcher> matchers, long from, long to,
                                      java.util.concurrent.atomic.AtomicLong samples) {
        BytesKeyedCache<Labels> labelsByKey = new BytesKeyedCache<>(100_000);
        Map<Labels, Builder> series = new java.util.HashMap<>();
        broker.selectSeries(topic, partition, equalities(matchers), key -> {
            Labels l = labels(key, labelsByKey);
            return l != null && matchesAll(matchers, l);
        }, from, to, selected -> {
            Builder b = series.computeIfAbsent(labels(selected.key(), labelsByKey), Builder::new);
            long[] ts = selected.timestamps();
            double[] vs = selected.values();
            for (int i = 0; i < ts.length; i++) {
                b.add(ts[i], vs[i]);
            }
            if (samples.addAndGet(ts.length) > maxSamples) {
                throw tooManySamples();
            }
        }, samplesInto(series, matchers, labelsByKey, samples));
        return series;
    }

    /**
     * Takes scanned records: a sample of a series matching every matcher joins its series in {@code into}, counted
     * against the bound in {@code loaded}; other records are skipped.
     */
    private java.util.function.Consumer<io.tierlog.core.Record> samplesInto(Map<Labels, Builder> into, List<Matcher> matchers,
                                                                          BytesKeyedCache<Labels> labelsByKey,
                                                                          java.util.concurrent.atomic.AtomicLong loaded) {
        return r -> {
            if (r.value() == null || r.value().length != MetricCodec.VALUE_SIZE) {
                return;
            }
            Labels l = labels(r.key(), labelsByKey);
            if (l == null || !matchesAll(matchers, l)) {
                return;
            }
            into.computeIfAbsent(l, Builder::new).add(r.timestamp(), ByteBuffer.wrap(r.value(), 1, 8).getDouble());
            if (loaded.incrementAndGet() > maxSamples) {
                throw tooManySamples();
            }
        };
    }

    private QueryExecutionException tooManySamples() {
        return new QueryExecutionException("query processing would load too many samples into memory in query "
                + "execution (more than " + maxSamples + ")");
    }

    private static boolean matchesAll(List<Matcher> matchers, Labels l) {
        for (Matcher m : matchers) {
            if (!m.matches(l.get(m.name()))) {
                return false;
            }
        }
        return true;
    }

    /** The labels of a series key, or null when the key is not a series key. */
    private static Labels labels(byte[] key, BytesKeyedCache<Labels> labelsByKey) {
        if (key == null) {
            return null;
        }
        Labels l = labelsByKey.get(key);
        if (l == null) {
            SeriesKey parsed;
            try {
                parsed = SeriesKey.parse(key);
            } catch (CorruptBatchException notASeriesKey) {
                return null;
            }
            Map<String, String> m = new TreeMap<>(parsed.tags());
            m.put(Labels.NAME, parsed.name());
            l = Labels.of(m);
            labelsByKey.put(key, l);
        }
        return l;
    }

    /**
     * One series' samples as read (offset order); built in time order, a later-read sample of the same millisecond
     * replacing an earlier one.
     */
    private static final class Builder {
        private final Labels labels;
        private long[] ts = new long[8];
        private double[] vs = new double[8];
        private int n;
        private boolean sorted = true;

        Builder(Labels labels) {
            this.labels = labels;
        }

        void addAll(Builder other) {
            for (int i = 0; i < other.n; i++) {
                add(other.ts[i], other.vs[i]);
            }
        }

        void add(long t, double v) {
            if (n > 0 && ts[n - 1] >= t) {
                if (ts[n - 1] == t) {
                    vs[n - 1] = v;
                    return;
                }
                sorted = false;
            }
            if (n == ts.length) {
                ts = Arrays.copyOf(ts, n * 2);
                vs = Arrays.copyOf(vs, n * 2);
            }
            ts[n] = t;
            vs[n++] = v;
        }

        Series build() {
            if (sorted) {
                return new Series(labels, Arrays.copyOf(ts, n), Arrays.copyOf(vs, n));
            }
            Integer[] order = new Integer[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> ts[a] != ts[b] ? Long.compare(ts[a], ts[b]) : Integer.compare(a, b)); // stable
            long[] t = new long[n];
            double[] v = new double[n];
            int m = 0;
            for (int i = 0; i < n; i++) {
                int k = order[i];
                if (m > 0 && t[m - 1] == ts[k]) {
                    v[m - 1] = vs[k]; // read later: written later
                } else {
                    t[m] = ts[k];
                    v[m++] = vs[k];
                }
            }
            return new Series(labels, Arrays.copyOf(t, m), Arrays.copyOf(v, m));
        }
    }
}
