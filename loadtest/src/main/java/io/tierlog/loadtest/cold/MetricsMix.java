package io.tierlog.loadtest.cold;

import io.tierlog.core.MetricType;
import io.tierlog.core.SeriesKey;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A deterministic, realistic metrics workload for storage-size and cold-query benchmarks: {@code targets} scrape
 * targets of 20 series each, as a Go service exposes them: request counters by code and method (busy, quiet and idle,
 * reset together when the target restarts), a CPU-seconds counter in ticks of 0.01, integer gauges (goroutines, open
 * fds, resident bytes in pages, up, requests in flight), decimal ratios with three digits, and latency quantiles in microseconds (often
 * unchanged between scrapes, as a summary's window keeps its rank). Every target is scraped every
 * {@code intervalMs}; with {@code jitterMs > 0} each scrape's timestamp is late by a uniform 0..jitterMs-1 ms, and the
 * targets' samples arrive in timestamp order, each target's series in the order it exposes them (as remote_write
 * delivers a scrape). The same seed gives the same samples, so the workload is generated twice (for Prometheus'
 * {@code promtool} and for Tierlog) instead of held in memory.
 */
public final class MetricsMix {
    /** Series per target. */
    public static final int SERIES_PER_TARGET = 20;

    private final int targets;
    private final long start;
    private final int scrapes;
    private final long intervalMs;
    private final int jitterMs;
    private final long seed;
    private final List<Series> series;

    /** One series: its canonical key and labels, what kind of metric it is, and its metric type byte. */
    public record Series(String name, SortedMap<String, String> tags, MetricType type) {
        /** The record key Tierlog stores for this series. */
        public byte[] key() {
            return SeriesKey.of(name, tags).toBytes();
        }

        /** The series in Prometheus' text exposition syntax (labels sorted, values quoted). */
        public String exposition() {
            StringBuilder sb = new StringBuilder(name).append('{');
            String sep = "";
            for (Map.Entry<String, String> t : tags.entrySet()) {
                sb.append(sep).append(t.getKey()).append("=\"").append(t.getValue()).append('"');
                sep = ",";
            }
            return sb.append('}').toString();
        }
    }

    /** Receives samples in arrival order. */
    @FunctionalInterface
    public interface SampleSink {
        void sample(int series, long timestampMs, double value) throws IOException;
    }

    public MetricsMix(int targets, long start, int scrapes, long intervalMs, int jitterMs, long seed) {
        if (targets < 1 || scrapes < 1 || intervalMs < 1 || jitterMs < 0 || jitterMs >= intervalMs) {
            throw new IllegalArgumentException("targets, scrapes and interval must be positive, 0 <= jitter < interval");
        }
        this.targets = targets;
        this.start = start;
        this.scrapes = scrapes;
        this.intervalMs = intervalMs;
        this.jitterMs = jitterMs;
        this.seed = seed;
        this.series = new ArrayList<>(targets * SERIES_PER_TARGET);
        for (int t = 0; t < targets; t++) {
            String job = "svc-" + (t % 10);
            String instance = "10.0." + (t / 250) + "." + (t % 250) + ":9100";
            for (String code : List.of("200", "404", "500")) {
                for (String method : List.of("GET", "POST")) {
                    series.add(new Series("http_requests_total", tags(job, instance, "code", code, "method", method), MetricType.COUNTER));
                }
            }
            series.add(new Series("process_cpu_seconds_total", tags(job, instance), MetricType.COUNTER));
            series.add(new Series("go_goroutines", tags(job, instance), MetricType.GAUGE));
            series.add(new Series("process_open_fds", tags(job, instance), MetricType.GAUGE));
            series.add(new Series("process_resident_memory_bytes", tags(job, instance), MetricType.GAUGE));
            series.add(new Series("up", tags(job, instance), MetricType.GAUGE));
            series.add(new Series("http_requests_in_flight", tags(job, instance), MetricType.GAUGE));
            series.add(new Series("cpu_utilization_ratio", tags(job, instance), MetricType.GAUGE));
            series.add(new Series("memory_utilization_ratio", tags(job, instance), MetricType.GAUGE));
            for (String handler : List.of("/api", "/health")) {
                for (String q : List.of("0.5", "0.9", "0.99")) {
                    series.add(new Series("http_request_duration_seconds", tags(job, instance, "handler", handler, "quantile", q),
                            MetricType.SUMMARY));
                }
            }
        }
    }

    private static SortedMap<String, String> tags(String job, String instance, String... more) {
        SortedMap<String, String> m = new TreeMap<>(Map.of("job", job, "instance", instance));
        for (int i = 0; i < more.length; i += 2) {
            m.put(more[i], more[i + 1]);
        }
        return m;
    }

    public List<Series> series() {
        return series;
    }

    public long samples() {
        return (long) series.size() * scrapes;
    }

    public long start() {
        return start;
    }

    /** The end of the span (exclusive): the last scrape's interval ends here. */
    public long end() {
        return start + scrapes * intervalMs;
    }

    /** Every sample, scrape after scrape, targets in timestamp order, each target's series in exposition order. */
    public void forEach(SampleSink sink) throws IOException {
        TargetState[] state = new TargetState[targets];
        for (int t = 0; t < targets; t++) {
            state[t] = new TargetState(new Random(seed * 1_000_003L + t));
        }
        Random jitter = new Random(seed ^ 0x5DEECE66DL);
        Integer[] order = new Integer[targets];
        long[] ts = new long[targets];
        for (int s = 0; s < scrapes; s++) {
            for (int t = 0; t < targets; t++) {
                ts[t] = start + s * intervalMs + (jitterMs == 0 ? 0 : jitter.nextInt(jitterMs));
                order[t] = t;
            }
            Arrays.sort(order, Comparator.comparingLong((Integer t) -> ts[t]).thenComparingInt(t -> t));
            for (int t : order) {
                double[] values = state[t].scrape();
                for (int i = 0; i < SERIES_PER_TARGET; i++) {
                    sink.sample(t * SERIES_PER_TARGET + i, ts[t], values[i]);
                }
            }
        }
    }

    /**
     * Writes the samples as OpenMetrics text for {@code promtool tsdb create-blocks-from openmetrics}: one family per
     * metric name (families must be contiguous), each series' samples in time order, timestamps in seconds.
     */
    public void writeOpenMetrics(Path file) throws IOException {
        int n = series.size();
        long[][] times = new long[n][scrapes];
        double[][] values = new double[n][scrapes];
        int[] filled = new int[n];
        forEach((s, t, v) -> {
            times[s][filled[s]] = t;
            values[s][filled[s]++] = v;
        });
        Map<String, List<Integer>> families = new TreeMap<>();
        for (int s = 0; s < n; s++) {
            families.computeIfAbsent(series.get(s).name(), k -> new ArrayList<>()).add(s);
        }
        try (BufferedWriter w = Files.newBufferedWriter(file)) {
            for (Map.Entry<String, List<Integer>> f : families.entrySet()) {
                w.write("# TYPE " + f.getKey() + " gauge\n");
                for (int s : f.getValue()) {
                    String name = series.get(s).exposition();
                    for (int i = 0; i < scrapes; i++) {
                        w.write(name);
                        w.write(' ');
                        w.write(Double.toString(values[s][i]));
                        w.write(' ');
                        w.write(String.format(Locale.ROOT, "%d.%03d", times[s][i] / 1000, times[s][i] % 1000));
                        w.write('\n');
                    }
                }
            }
            w.write("# EOF\n");
        }
    }

    /** One target's process: counters that grow and reset on restarts, gauges that wander. */
    private static final class TargetState {
        private static final int[] RATES = {400, 40, 3, 0, 1, 0}; // 200 GET/POST, 404 GET/POST, 500 GET/POST per scrape
        private final Random rnd;
        private final long[] counters = new long[6];
        private long cpuTicks;
        private long goroutines;
        private long fds;
        private long pages;
        private long cpuMilli;
        private long memMilli;
        private final long[] quantileMicros = new long[6];
        private final double latencyScale;

        TargetState(Random rnd) {
            this.rnd = rnd;
            this.goroutines = 20 + rnd.nextInt(200);
            this.fds = 10 + rnd.nextInt(90);
            this.pages = 5_000 + rnd.nextInt(50_000);
            this.cpuMilli = rnd.nextInt(1000);
            this.memMilli = rnd.nextInt(1000);
            this.latencyScale = 0.5 + rnd.nextDouble() * 4;
            for (int i = 0; i < 6; i++) {
                counters[i] = rnd.nextInt(100_000);
                quantileMicros[i] = quantile(i);
            }
            this.cpuTicks = rnd.nextInt(1_000_000);
        }

        double[] scrape() {
            if (rnd.nextInt(2160) == 0) { // about one restart per target in six hours: counters start again
                Arrays.fill(counters, 0);
                cpuTicks = 0;
            }
            double[] v = new double[SERIES_PER_TARGET];
            for (int i = 0; i < 6; i++) {
                counters[i] += RATES[i] == 0 ? (rnd.nextInt(50) == 0 ? 1 : 0) : rnd.nextInt(2 * RATES[i] + 1);
                v[i] = counters[i];
            }
            cpuTicks += rnd.nextInt(40);
            v[6] = cpuTicks / 100.0;
            goroutines = Math.max(5, goroutines + rnd.nextInt(7) - 3);
            v[7] = goroutines;
            fds = Math.max(5, fds + (rnd.nextInt(4) == 0 ? rnd.nextInt(5) - 2 : 0));
            v[8] = fds;
            pages = Math.max(1000, pages + rnd.nextInt(41) - 20);
            v[9] = pages * 4096.0;
            v[10] = 1;
            v[11] = rnd.nextInt(3) == 0 ? rnd.nextInt(6) : 0;
            cpuMilli = Math.clamp(cpuMilli + rnd.nextInt(61) - 30, 0, 1000);
            v[12] = cpuMilli / 1000.0;
            memMilli = Math.clamp(memMilli + rnd.nextInt(5) - 2, 0, 1000);
            v[13] = memMilli / 1000.0;
            for (int i = 0; i < 6; i++) {
                if (rnd.nextInt(10) < 6) {
                    quantileMicros[i] = quantile(i);
                }
                v[14 + i] = quantileMicros[i] / 1e6;
            }
            return v;
        }

        /** A latency in microseconds for quantile slot i (0.5, 0.9, 0.99 of /api, then of /health). */
        private long quantile(int i) {
            double base = (i < 3 ? 20_000 : 800) * latencyScale * (1 + (i % 3) * (i % 3) * 1.5);
            return Math.max(1, Math.round(base * Math.exp(rnd.nextGaussian() * 0.15)));
        }
    }
}
