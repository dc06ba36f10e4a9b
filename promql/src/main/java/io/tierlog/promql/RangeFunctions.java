package io.tierlog.promql;

/**
 * The functions of a range vector ({@code rate(x[5m])}, {@code *_over_time}), one series' window at a time, with
 * Prometheus' arithmetic: {@code rate}, {@code increase} and {@code delta} extrapolate from the first and last
 * samples towards the window's edges (not beyond 110 % of the average sample interval, and a counter not below
 * zero), counters are corrected for resets, and sums use Kahan compensation.
 */
final class RangeFunctions {
    private RangeFunctions() {
    }

    /** The function's value for one window, or null when it has none (e.g. a rate of fewer than two samples). */
    static Double apply(String name, double param, Engine.Window w) {
        double[] v = w.vs();
        int n = v.length;
        return switch (name) {
            case "rate" -> extrapolated(w, true, true);
            case "increase" -> extrapolated(w, true, false);
            case "delta" -> extrapolated(w, false, false);
            case "irate" -> instant(w, true);
            case "idelta" -> instant(w, false);
            case "changes" -> {
                int c = 0;
                for (int i = 1; i < n; i++) {
                    if (!(v[i] == v[i - 1] || (Double.isNaN(v[i]) && Double.isNaN(v[i - 1])))) {
                        c++;
                    }
                }
                yield (double) c;
            }
            case "resets" -> {
                int c = 0;
                for (int i = 1; i < n; i++) {
                    if (v[i] < v[i - 1]) {
                        c++;
                    }
                }
                yield (double) c;
            }
            case "avg_over_time" -> avg(v);
            case "sum_over_time" -> sum(v);
            case "count_over_time" -> (double) n;
            case "last_over_time" -> v[n - 1];
            case "present_over_time" -> 1.0;
            case "min_over_time", "max_over_time" -> {
                boolean max = name.startsWith("max");
                double r = v[0];
                for (double x : v) {
                    if ((max ? x > r : x < r) || Double.isNaN(r)) {
                        r = x;
                    }
                }
                yield r;
            }
            case "stddev_over_time", "stdvar_over_time" -> {
                double count = 0;
                double mean = 0;
                double cMean = 0;
                double aux = 0;
                double cAux = 0;
                for (double x : v) {
                    count++;
                    double delta = x - (mean + cMean);
                    double[] m = kahanInc(delta / count, mean, cMean);
                    mean = m[0];
                    cMean = m[1];
                    double[] a = kahanInc(delta * (x - (mean + cMean)), aux, cAux);
                    aux = a[0];
                    cAux = a[1];
                }
                double var = (aux + cAux) / count;
                yield name.startsWith("stdvar") ? var : Math.sqrt(var);
            }
            case "quantile_over_time" -> Aggregations.quantile(param, v);
            default -> throw new BadQueryException("function " + name + " is not evaluated");
        };
    }

    /**
     * Prometheus' extrapolatedRate: the difference between the last and first samples (plus every counter reset),
     * extrapolated to the window's edges, per second for rate.
     */
    private static Double extrapolated(Engine.Window w, boolean counter, boolean perSecond) {
        long[] ts = w.ts();
        double[] v = w.vs();
        int n = v.length;
        if (n < 2) {
            return null;
        }
        double result = v[n - 1] - v[0];
        if (counter) {
            double last = 0;
            for (double x : v) {
                if (x < last) {
                    result += last;
                }
                last = x;
            }
        }
        double durationToStart = (ts[0] - w.from()) / 1000.0;
        double durationToEnd = (w.to() - ts[n - 1]) / 1000.0;
        double sampled = (ts[n - 1] - ts[0]) / 1000.0;
        double averageInterval = sampled / (n - 1);
        if (counter && result > 0 && v[0] >= 0) {
            double durationToZero = sampled * (v[0] / result);
            if (durationToZero < durationToStart) {
                durationToStart = durationToZero;
            }
        }
        double threshold = averageInterval * 1.1;
        double extrapolateTo = sampled;
        extrapolateTo += durationToStart < threshold ? durationToStart : averageInterval / 2;
        extrapolateTo += durationToEnd < threshold ? durationToEnd : averageInterval / 2;
        result = result * (extrapolateTo / sampled);
        if (perSecond) {
            result = result / (w.rangeMs() / 1000.0);
        }
        return result;
    }

    /** irate and idelta: from the last two samples only. */
    private static Double instant(Engine.Window w, boolean perSecond) {
        long[] ts = w.ts();
        double[] v = w.vs();
        int n = v.length;
        if (n < 2) {
            return null;
        }
        double last = v[n - 1];
        double previous = v[n - 2];
        double result = perSecond && last < previous ? last : last - previous;
        long interval = ts[n - 1] - ts[n - 2];
        if (interval == 0) {
            return null;
        }
        if (perSecond) {
            result /= interval / 1000.0;
        }
        return result;
    }

    private static double sum(double[] v) {
        double sum = 0;
        double c = 0;
        for (double x : v) {
            double[] r = kahanInc(x, sum, c);
            sum = r[0];
            c = r[1];
        }
        return Double.isInfinite(sum) ? sum : sum + c;
    }

    private static double avg(double[] v) {
        double mean = 0;
        double c = 0;
        double count = 0;
        for (double x : v) {
            count++;
            if (Double.isInfinite(mean)) {
                if (Double.isInfinite(x) && (mean > 0) == (x > 0)) {
                    continue;
                }
                if (!Double.isInfinite(x) && !Double.isNaN(x)) {
                    continue;
                }
            }
            double[] r = kahanInc(x / count - mean / count, mean, c);
            mean = r[0];
            c = r[1];
        }
        return Double.isInfinite(mean) ? mean : mean + c;
    }

    /** Neumaier's variant of Kahan summation: {sum, compensation} after adding {@code inc}. */
    private static double[] kahanInc(double inc, double sum, double c) {
        double t = sum + inc;
        if (Math.abs(sum) >= Math.abs(inc)) {
            c += (sum - t) + inc;
        } else {
            c += (inc - t) + sum;
        }
        return new double[] {t, c};
    }
}
