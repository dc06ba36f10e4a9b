package io.tierlog.promql;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * The samples the oracle tests load into Prometheus and into Tierlog alike: two hours of 10 s scrapes (with jitter
 * and gaps) of gauges with decimals and NaN, counters with resets, classic histogram buckets, a series that ends
 * early and one that starts late, an info metric; and their OpenMetrics text for promtool's backfill.
 */
public final class OracleData {
    private static final long STEP = 10_000;
    /** The first scrape: on a whole hour two days ago (inside Prometheus' retention). */
    public static final long T0 = (System.currentTimeMillis() / 3_600_000L - 48) * 3_600_000L;
    public static final long T_END = T0 + 2 * 3_600_000L;

    private OracleData() {
    }

    /** One series' samples. */
    public record SeriesData(long[] ts, double[] vs) {
    }

    /** The data set (the same for the same seed). */
    public static Map<Labels, SeriesData> generate(long seed) {
        return generate(new Random(seed));
    }


    /**
     * Gauges with decimals and NaN, counters with resets, classic histogram buckets, a series that ends early and one
     * that starts late, an info metric; 10 s scrapes with millisecond jitter, some scrapes missing.
     */
    private static Map<Labels, SeriesData> generate(Random rnd) {
        Map<Labels, SeriesData> out = new TreeMap<>();
        String[][] targets = {{"api", "i1"}, {"api", "i2"}, {"db", "i3"}};
        for (String[] target : targets) {
            String job = target[0];
            String instance = target[1];
            out.put(Labels.of("__name__", "gauge_a", "job", job, "instance", instance),
                    series(rnd, 0, 1, (i, prev) -> Math.round((50 + 40 * Math.sin(i / 30.0) + rnd.nextGaussian() * 5) * 100) / 100.0));
            out.put(Labels.of("__name__", "gauge_b", "job", job, "instance", instance),
                    series(rnd, 0, 1, (i, prev) -> i == 100 ? Double.NaN : 1 + rnd.nextInt(100)));
            out.put(Labels.of("__name__", "requests_total", "job", job, "instance", instance),
                    series(rnd, 0, 1, (i, prev) -> i % 250 == 249 ? rnd.nextInt(5) : prev + rnd.nextInt(20)));
            out.put(Labels.of("__name__", "info", "job", job, "instance", instance, "version", "1." + instance.charAt(1)),
                    series(rnd, 0, 1, (i, prev) -> 1));
            double[] bounds = {0.05, 0.1, 0.5, 1, Double.POSITIVE_INFINITY};
            long[] ts = times(rnd, 0, 1);
            double[] counts = new double[bounds.length];
            List<double[]> perBucket = new ArrayList<>();
            for (int b = 0; b < bounds.length; b++) {
                perBucket.add(new double[ts.length]);
            }
            for (int i = 0; i < ts.length; i++) {
                int observations = rnd.nextInt(30);
                for (int o = 0; o < observations; o++) {
                    double latency = Math.abs(rnd.nextGaussian() * 0.3);
                    for (int b = 0; b < bounds.length; b++) {
                        if (latency <= bounds[b]) {
                            counts[b]++;
                        }
                    }
                }
                for (int b = 0; b < bounds.length; b++) {
                    perBucket.get(b)[i] = counts[b];
                }
            }
            for (int b = 0; b < bounds.length; b++) {
                String le = bounds[b] == Double.POSITIVE_INFINITY ? "+Inf" : Double.toString(bounds[b]);
                out.put(Labels.of("__name__", "latency_seconds_bucket", "job", job, "instance", instance, "le", le),
                        new SeriesData(ts, perBucket.get(b)));
            }
        }
        // one series that stops after 40 minutes, one that starts after 70
        out.put(Labels.of("__name__", "gauge_c", "job", "api", "instance", "i1"), series(rnd, 0, 0.33, (i, prev) -> i));
        out.put(Labels.of("__name__", "gauge_c", "job", "api", "instance", "i9"), series(rnd, 0.58, 1, (i, prev) -> -i));
        return out;
    }

    interface Next {
        double value(int i, double previous);
    }

    private static SeriesData series(Random rnd, double fromFraction, double toFraction, Next next) {
        long[] ts = times(rnd, fromFraction, toFraction);
        double[] vs = new double[ts.length];
        double prev = 0;
        for (int i = 0; i < ts.length; i++) {
            vs[i] = next.value(i, prev);
            prev = vs[i];
        }
        return new SeriesData(ts, vs);
    }

    /** Scrape times every 10 s with up to ±500 ms of jitter, 3 % of scrapes missing. */
    private static long[] times(Random rnd, double fromFraction, double toFraction) {
        List<Long> ts = new ArrayList<>();
        long from = T0 + (long) ((T_END - T0) * fromFraction);
        long to = T0 + (long) ((T_END - T0) * toFraction);
        for (long t = from; t < to; t += STEP) {
            if (rnd.nextInt(100) < 3) {
                continue;
            }
            ts.add(t + rnd.nextInt(1001) - 500);
        }
        return ts.stream().mapToLong(Long::longValue).toArray();
    }

    /** OpenMetrics text: each series' samples together and in time order, families not interleaved. */
    public static String openMetrics(Map<Labels, SeriesData> data) {
        record Line(long t, String text) {
        }
        List<Line> lines = new ArrayList<>();
        data.forEach((labels, d) -> {
            StringBuilder name = new StringBuilder(labels.metricName()).append('{');
            boolean first = true;
            for (int i = 0; i < labels.size(); i++) {
                if (labels.name(i).equals(Labels.NAME)) {
                    continue;
                }
                name.append(first ? "" : ",").append(labels.name(i)).append("=\"").append(labels.value(i)).append('"');
                first = false;
            }
            name.append('}');
            for (int i = 0; i < d.ts().length; i++) {
                double v = d.vs()[i];
                String value = Double.isNaN(v) ? "NaN" : Double.toString(v);
                lines.add(new Line(d.ts()[i], name + " " + value + " " + String.format(Locale.ROOT, "%.3f", d.ts()[i] / 1000.0)));
            }
        });
        StringBuilder sb = new StringBuilder();
        lines.forEach(l -> sb.append(l.text()).append('\n'));
        return sb.append("# EOF\n").toString();
    }
}
