package io.tierlog.loadtest.soak;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * Whether a soak passed: no request failed and none was left unsent, and the server's resources stayed flat over
 * the measured samples: the median of the last third of them is at most the median of the first third plus a stated
 * tolerance, for the live heap, RSS, open file descriptors, threads and the offload lag. Medians of thirds, not the
 * first and the last sample, so one GC, one upload in flight or one busy pool does not decide; a leak adds up over
 * the run and moves the median of the last third. Needs at least {@link #MIN_SAMPLES} measured samples. Immutable.
 */
record Verdict(boolean passed, List<Check> checks, long failed, long unsent, int samples) {
    static final int MIN_SAMPLES = 3;

    /** One figure's first-third and last-third medians, and the most the last may be. */
    record Check(String name, String unit, double first, double last, double allowed, boolean passed) {
        String format() {
            String u = unit.isEmpty() ? "" : " " + unit;
            return String.format(Locale.ROOT, "  %-16s first third %10.1f%s, last third %10.1f%s, allowed <= %10.1f%s  %s",
                    name, first, u, last, u, allowed, u, passed ? "ok" : "GREW");
        }
    }

    /** A tolerance: the last third's median may exceed the first third's by {@code relative} of it plus {@code absolute}. */
    record Tolerance(String name, String unit, double relative, double absolute, ToDoubleFunction<Sample> figure) {
        String describe() {
            return String.format(Locale.ROOT, "%s +%.0f%% +%s%s", name, relative * 100,
                    absolute == Math.rint(absolute) ? Long.toString((long) absolute) : Double.toString(absolute),
                    unit.isEmpty() ? "" : " " + unit);
        }
    }

    static final List<Tolerance> TOLERANCES = List.of(
            new Tolerance("heap after GC", "MB", 0.10, 16, s -> Sample.mb(s.heapAfterGc())),
            new Tolerance("RSS", "MB", 0.05, 32, s -> Sample.mb(s.rss())),
            new Tolerance("open fds", "", 0.10, 10, s -> s.fds()),
            new Tolerance("threads", "", 0.10, 8, s -> s.threads()),
            new Tolerance("offload lag", "KB", 1.0, 1024, s -> s.offloadLagBytes() / 1024));

    static Verdict of(List<Sample> all, long failed, long unsent) {
        List<Sample> measured = all.stream().filter(Sample::measured).toList();
        List<Check> checks = new ArrayList<>();
        boolean flat = measured.size() >= MIN_SAMPLES;
        if (flat) {
            int third = measured.size() / 3;
            List<Sample> first = measured.subList(0, third);
            List<Sample> last = measured.subList(measured.size() - third, measured.size());
            for (Tolerance t : TOLERANCES) {
                double f = median(first, t.figure());
                double l = median(last, t.figure());
                double allowed = Math.max(0, f) * (1 + t.relative()) + t.absolute();
                // a figure that could not be read (NaN, -1) cannot show flatness: it fails the check
                boolean ok = !Double.isNaN(f) && !Double.isNaN(l) && f >= 0 && l >= 0 && l <= allowed;
                checks.add(new Check(t.name(), t.unit(), f, l, allowed, ok));
                flat &= ok;
            }
        }
        return new Verdict(flat && failed == 0 && unsent == 0, List.copyOf(checks), failed, unsent, measured.size());
    }

    static double median(List<Sample> samples, ToDoubleFunction<Sample> figure) {
        double[] v = samples.stream().mapToDouble(figure).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** The verdict as printed: PASS or FAIL, the errors, and every check with its numbers. */
    List<String> format() {
        List<String> lines = new ArrayList<>();
        lines.add("verdict: " + (passed ? "PASS" : "FAIL"));
        lines.add(String.format(Locale.ROOT, "  %-16s %d failed, %d unsent (must both be 0)  %s", "errors", failed, unsent,
                failed == 0 && unsent == 0 ? "ok" : "ERRORS"));
        if (samples < MIN_SAMPLES) {
            lines.add("  flatness: only " + samples + " measured samples (at least " + MIN_SAMPLES + " needed)  NOT JUDGED");
        } else {
            lines.add("  flatness: medians of the first and last third of " + samples + " measured samples; tolerances "
                    + String.join(", ", TOLERANCES.stream().map(Tolerance::describe).toList()));
            checks.forEach(c -> lines.add(c.format()));
        }
        return lines;
    }
}
