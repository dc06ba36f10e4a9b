package io.tierlog.loadtest.kafka;

import io.tierlog.loadtest.kafka.KafkaPerf.RunRow;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The kafka-perf table: per test and figure the median over the repeats for each broker and the ratio
 * Tierlog / Kafka, then a verdict per target of the issue (CPU per record at most half of Kafka's, produce and
 * fetch throughput at least Kafka's, end-to-end p99 below Kafka's at the same rate).
 */
final class Summary {
    static final String RECORDS_PER_SEC = "records/s";
    static final String MB_PER_SEC = "MB/s";
    static final String CPU_SECONDS = "broker CPU s";
    static final String CPU_US_PER_RECORD = "broker CPU us/record";
    static final String CPU_KERNEL_PERCENT = "broker CPU % kernel";
    /** Parser output only: records the CPU time is divided by. */
    static final String RECORDS = "records";

    private Summary() {
    }

    static double median(List<Double> values) {
        List<Double> v = values.stream().filter(d -> !d.isNaN()).sorted().toList();
        if (v.isEmpty()) {
            return Double.NaN;
        }
        int n = v.size();
        return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    }

    /** The median of {@code metric} over the successful runs of {@code test} on {@code broker}. */
    static double median(List<RunRow> rows, String test, String broker, String metric) {
        return median(rows.stream().filter(r -> r.ok() && r.test().equals(test) && r.broker().equals(broker)
                && r.metrics().containsKey(metric)).map(r -> r.metrics().get(metric)).toList());
    }

    static String format(List<RunRow> rows, List<String> brokers, int repeats) {
        StringBuilder sb = new StringBuilder();
        Set<String> tests = new LinkedHashSet<>();
        rows.forEach(r -> tests.add(r.test()));
        boolean both = brokers.contains(KafkaPerf.TIERLOG) && brokers.contains(KafkaPerf.KAFKA);
        sb.append(String.format(Locale.ROOT, "medians of %d repeats%s%n", repeats, both ? "; ratio = tierlog / kafka" : ""));
        sb.append(String.format(Locale.ROOT, "%-30s %-22s", "test", "figure"));
        for (String b : brokers) {
            sb.append(String.format(Locale.ROOT, " %14s", b));
        }
        sb.append(both ? String.format(Locale.ROOT, " %8s%n", "ratio") : System.lineSeparator());
        for (String test : tests) {
            Set<String> metrics = new LinkedHashSet<>();
            rows.stream().filter(r -> r.test().equals(test)).forEach(r -> metrics.addAll(r.metrics().keySet()));
            boolean firstLine = true;
            for (String metric : metrics) {
                sb.append(String.format(Locale.ROOT, "%-30s %-22s", firstLine ? test : "", metric));
                firstLine = false;
                for (String b : brokers) {
                    sb.append(String.format(Locale.ROOT, " %14s", number(median(rows, test, b, metric))));
                }
                if (both) {
                    double ratio = median(rows, test, KafkaPerf.TIERLOG, metric) / median(rows, test, KafkaPerf.KAFKA, metric);
                    sb.append(String.format(Locale.ROOT, " %8s", ratio(ratio)));
                }
                sb.append(System.lineSeparator());
            }
            for (String b : brokers) {
                long failed = rows.stream().filter(r -> !r.ok() && r.test().equals(test) && r.broker().equals(b)).count();
                if (failed > 0) {
                    sb.append(String.format(Locale.ROOT, "%-30s %s: %d run(s) failed%n", "", b, failed));
                }
            }
        }
        List<Double> loads = rows.stream().map(r -> parseLoad(r.load())).filter(d -> !d.isNaN()).toList();
        if (!loads.isEmpty()) {
            sb.append(String.format(Locale.ROOT, "load average (1 min) at the start of the runs: %.2f to %.2f%n",
                    loads.stream().mapToDouble(d -> d).min().orElse(0), loads.stream().mapToDouble(d -> d).max().orElse(0)));
        }
        if (both) {
            sb.append(verdicts(rows, tests));
        }
        return sb.toString();
    }

    private static String verdicts(List<RunRow> rows, Set<String> tests) {
        StringBuilder sb = new StringBuilder("targets:").append(System.lineSeparator());
        for (String test : tests) {
            if (test.startsWith("produce")) {
                verdict(sb, rows, test, CPU_US_PER_RECORD, "broker CPU per record <= 0.5 x Kafka's", r -> r <= 0.5);
                verdict(sb, rows, test, RECORDS_PER_SEC, "throughput >= Kafka's", r -> r >= 1);
            } else if (test.startsWith("fetch")) {
                verdict(sb, rows, test, RECORDS_PER_SEC, "throughput >= Kafka's", r -> r >= 1);
                verdict(sb, rows, test, CPU_US_PER_RECORD, "broker CPU per record <= 0.5 x Kafka's", r -> r <= 0.5);
            } else if (test.startsWith("e2e")) {
                verdict(sb, rows, test, "e2e p99 ms", "p99 below Kafka's at the same rate", r -> r < 1);
            }
        }
        return sb.toString();
    }

    private static void verdict(StringBuilder sb, List<RunRow> rows, String test, String metric, String target,
                                java.util.function.DoublePredicate met) {
        double t = median(rows, test, KafkaPerf.TIERLOG, metric);
        double k = median(rows, test, KafkaPerf.KAFKA, metric);
        double ratio = t / k;
        String v = Double.isFinite(ratio) ? (met.test(ratio) ? "met" : "NOT met") : "no figures";
        sb.append(String.format(Locale.ROOT, "  %-24s %-42s %-10s (tierlog %s, kafka %s, ratio %s)%n", test, target, v,
                number(t), number(k), ratio(ratio)));
    }

    /** A one-line digest of one run's figures for the progress output. */
    static String brief(Map<String, Double> metrics) {
        List<String> parts = new ArrayList<>();
        metrics.forEach((k, v) -> parts.add(k + " " + number(v)));
        return String.join(", ", parts);
    }

    /** Two decimals, or three significant digits for a small ratio (0.004 is not "0.00"). */
    static String ratio(double r) {
        if (!Double.isFinite(r)) {
            return "-";
        }
        return String.format(Locale.ROOT, r != 0 && Math.abs(r) < 0.1 ? "%.3g" : "%.2f", r);
    }

    static String number(double v) {
        if (Double.isNaN(v)) {
            return "-";
        }
        double a = Math.abs(v);
        if (a >= 1000) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return String.format(Locale.ROOT, "%.2f", v);
    }

    private static double parseLoad(String load) {
        try {
            return Double.parseDouble(load.split(" ")[0]);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }
}
