package io.tierlog.promql;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * PromQL's aggregation operators over one instant vector, grouped {@code by} or {@code without} labels, with
 * Prometheus' arithmetic (incremental mean, Welford's variance, NaN ordering in min/max/topk, linear interpolation
 * in quantile).
 */
public final class Aggregations {
    private Aggregations() {
    }

    /** The operators. */
    public enum Op {
        SUM, AVG, MIN, MAX, COUNT, GROUP, STDDEV, STDVAR, TOPK, BOTTOMK, QUANTILE;

        static Op named(String name) {
            if (name.equals("count_values")) {
                throw new BadQueryException("aggregation \"count_values\" is not supported by Tierlog");
            }
            return valueOf(name.toUpperCase(Locale.ROOT));
        }

        boolean hasParameter() {
            return this == TOPK || this == BOTTOMK || this == QUANTILE;
        }
    }

    static List<Value.Sample> aggregate(Op op, double param, List<Value.Sample> in, boolean without, List<String> grouping,
                                        long t) {
        Set<String> drop = new HashSet<>(grouping);
        drop.add(Labels.NAME);
        Map<Labels, List<Value.Sample>> groups = new LinkedHashMap<>();
        for (Value.Sample s : in) {
            Labels key = without ? s.labels().without(drop) : s.labels().keep(grouping);
            groups.computeIfAbsent(key, k -> new ArrayList<>()).add(s);
        }
        List<Value.Sample> out = new ArrayList<>();
        for (Map.Entry<Labels, List<Value.Sample>> g : groups.entrySet()) {
            List<Value.Sample> members = g.getValue();
            switch (op) {
                case TOPK, BOTTOMK -> out.addAll(top(op == Op.TOPK, param, members));
                default -> out.add(new Value.Sample(g.getKey(), t, reduce(op, param, members)));
            }
        }
        return out;
    }

    private static double reduce(Op op, double param, List<Value.Sample> members) {
        double first = members.getFirst().value();
        switch (op) {
            case SUM -> {
                double sum = 0;
                for (Value.Sample s : members) {
                    sum += s.value();
                }
                return sum;
            }
            case AVG -> {
                double mean = first;
                double count = 1;
                for (int i = 1; i < members.size(); i++) {
                    double v = members.get(i).value();
                    count++;
                    if (Double.isInfinite(mean)) {
                        if (Double.isInfinite(v) && (mean > 0) == (v > 0)) {
                            continue;
                        }
                        if (!Double.isInfinite(v) && !Double.isNaN(v)) {
                            continue;
                        }
                    }
                    mean += v / count - mean / count;
                }
                return mean;
            }
            case MIN, MAX -> {
                double r = first;
                for (Value.Sample s : members) {
                    double v = s.value();
                    if ((op == Op.MAX ? r < v : r > v) || Double.isNaN(r)) {
                        r = v;
                    }
                }
                return r;
            }
            case COUNT -> {
                return members.size();
            }
            case GROUP -> {
                return 1;
            }
            case STDDEV, STDVAR -> {
                double count = 0;
                double mean = 0;
                double m2 = 0;
                for (Value.Sample s : members) {
                    count++;
                    double delta = s.value() - mean;
                    mean += delta / count;
                    m2 += delta * (s.value() - mean);
                }
                return op == Op.STDVAR ? m2 / count : Math.sqrt(m2 / count);
            }
            case QUANTILE -> {
                double[] values = new double[members.size()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = members.get(i).value();
                }
                return quantile(param, values);
            }
            default -> throw new IllegalStateException(op.name());
        }
    }

    /** topk/bottomk: the k largest (smallest) samples of a group, NaN always last, labels kept whole. */
    private static List<Value.Sample> top(boolean largest, double param, List<Value.Sample> members) {
        long k = (long) param;
        if (k < 1) {
            return List.of();
        }
        Comparator<Value.Sample> byValue = (a, b) -> {
            boolean an = Double.isNaN(a.value());
            boolean bn = Double.isNaN(b.value());
            if (an || bn) {
                return an == bn ? 0 : an ? 1 : -1;
            }
            return largest ? Double.compare(b.value(), a.value()) : Double.compare(a.value(), b.value());
        };
        List<Value.Sample> sorted = new ArrayList<>(members);
        sorted.sort(byValue);
        return sorted.subList(0, (int) Math.min(k, sorted.size()));
    }

    /** Prometheus' quantile: linear interpolation between the two nearest ranks; -Inf below 0, +Inf above 1. */
    static double quantile(double q, double[] values) {
        if (values.length == 0 || Double.isNaN(q)) {
            return Double.NaN;
        }
        if (q < 0) {
            return Double.NEGATIVE_INFINITY;
        }
        if (q > 1) {
            return Double.POSITIVE_INFINITY;
        }
        double[] v = values.clone();
        Arrays.sort(v);
        double n = v.length;
        double rank = q * (n - 1);
        double lower = Math.max(0, Math.floor(rank));
        double upper = Math.min(n - 1, lower + 1);
        double weight = rank - Math.floor(rank);
        return v[(int) lower] * (1 - weight) + v[(int) upper] * weight;
    }
}
