package io.tierlog.loadtest.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * Writes the percentile distribution of each latency as an HTML page with an inline SVG chart (log-scaled
 * "nines" on the x axis, as HdrHistogram's plotter draws it), so a run can be looked at without other tools.
 */
final class Plot {
    private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"};
    private static final int W = 900;
    private static final int H = 480;
    private static final int PAD = 60;
    private static final double MAX_NINES = 5; // up to 99.999%

    private Plot() {
    }

    static void write(Path file, String title, Map<String, Histogram> series) throws IOException {
        double maxMs = 0.001;
        for (Histogram h : series.values()) {
            if (h.getTotalCount() > 0) {
                maxMs = Math.max(maxMs, h.getMaxValue() / 1000.0);
            }
        }
        maxMs = niceCeil(maxMs);
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
                + "font-family='sans-serif' font-size='12'>%n", W, H));
        svg.append(String.format(Locale.ROOT, "<rect x='%d' y='%d' width='%d' height='%d' fill='none' stroke='#999'/>%n",
                PAD, PAD / 2, W - 2 * PAD, H - PAD - PAD / 2));
        String[] ticks = {"0%", "90%", "99%", "99.9%", "99.99%", "99.999%"};
        for (int i = 0; i <= MAX_NINES; i++) {
            double x = PAD + (W - 2 * PAD) * i / MAX_NINES;
            svg.append(String.format(Locale.ROOT, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#eee'/>"
                    + "<text x='%.1f' y='%d' text-anchor='middle'>%s</text>%n", x, PAD / 2, x, H - PAD, x, H - PAD + 16, ticks[i]));
        }
        for (int i = 0; i <= 5; i++) {
            double v = maxMs * i / 5;
            double y = yOf(v, maxMs);
            svg.append(String.format(Locale.ROOT, "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#eee'/>"
                    + "<text x='%d' y='%.1f' text-anchor='end'>%s ms</text>%n", PAD, y, W - PAD, y, PAD - 4, y + 4, fmt(v)));
        }
        svg.append(String.format(Locale.ROOT, "<text x='%d' y='%d' text-anchor='middle'>percentile</text>%n", W / 2, H - 20));
        int c = 0;
        int legendY = PAD / 2 + 16;
        for (Map.Entry<String, Histogram> e : series.entrySet()) {
            Histogram h = e.getValue();
            if (h.getTotalCount() == 0) {
                continue;
            }
            String color = COLORS[c++ % COLORS.length];
            List<String> pts = new ArrayList<>();
            for (HistogramIterationValue v : h.percentiles(5)) {
                double p = v.getPercentileLevelIteratedTo() / 100.0;
                double nines = p >= 1 ? MAX_NINES : Math.min(MAX_NINES, -Math.log10(1 - p));
                double x = PAD + (W - 2 * PAD) * nines / MAX_NINES;
                double y = yOf(v.getValueIteratedTo() / 1000.0, maxMs);
                pts.add(String.format(Locale.ROOT, "%.1f,%.1f", x, y));
            }
            svg.append(String.format(Locale.ROOT, "<polyline fill='none' stroke='%s' stroke-width='2' points='%s'/>%n",
                    color, String.join(" ", pts)));
            svg.append(String.format(Locale.ROOT, "<text x='%d' y='%d' fill='%s'>%s (n=%d, p99=%s ms)</text>%n",
                    PAD + 10, legendY, color, escape(e.getKey()), h.getTotalCount(), fmt(h.getValueAtPercentile(99) / 1000.0)));
            legendY += 16;
        }
        svg.append("</svg>\n");
        String html = "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>" + escape(title) + "</title></head>\n"
                + "<body><h2>" + escape(title) + "</h2>\n" + svg + "</body></html>\n";
        Files.writeString(file, html, StandardCharsets.UTF_8);
    }

    private static double yOf(double ms, double maxMs) {
        return H - PAD - (H - PAD - PAD / 2.0) * Math.min(1, ms / maxMs);
    }

    private static double niceCeil(double v) {
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[]{1, 2, 2.5, 5, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    private static String fmt(double v) {
        return v >= 10 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;");
    }
}
