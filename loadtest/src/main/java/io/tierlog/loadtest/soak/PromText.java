package io.tierlog.loadtest.soak;

import java.util.ArrayList;
import java.util.List;

/**
 * The samples of one Prometheus text exposition ({@code /metrics}), enough to sum a metric over the series whose
 * labels contain given {@code name="value"} pairs. Comments and anything unparsable are skipped: the soak reads a
 * few well-known meters and reports a missing one as absent (NaN), it does not validate the format. Immutable.
 */
final class PromText {
    private record Line(String name, String labels, double value) {
    }

    private final List<Line> lines;

    private PromText(List<Line> lines) {
        this.lines = lines;
    }

    static PromText parse(String text) {
        List<Line> out = new ArrayList<>();
        for (String raw : text.split("\n")) {
            String l = raw.trim();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            int brace = l.indexOf('{');
            int space;
            String name;
            String labels = "";
            if (brace >= 0 && brace < l.indexOf(' ')) {
                int close = l.lastIndexOf('}');
                if (close < brace) {
                    continue;
                }
                name = l.substring(0, brace);
                labels = l.substring(brace + 1, close);
                space = close + 1;
            } else {
                space = l.indexOf(' ');
                if (space < 0) {
                    continue;
                }
                name = l.substring(0, space);
            }
            String[] rest = l.substring(space).trim().split("\\s+");
            try {
                out.add(new Line(name, labels, Double.parseDouble(rest[0])));
            } catch (NumberFormatException e) {
                // not a sample line this reader understands (e.g. a future format); skipped by design, see class doc
            }
        }
        return new PromText(out);
    }

    /**
     * The sum of {@code name} over the series having every {@code label="value"} pair of {@code labelPairs}, or NaN
     * when no series matches.
     */
    double sum(String name, String... labelPairs) {
        double sum = 0;
        boolean any = false;
        for (Line l : lines) {
            if (!l.name.equals(name)) {
                continue;
            }
            boolean match = true;
            for (String pair : labelPairs) {
                match &= l.labels.contains(pair);
            }
            if (match) {
                sum += l.value;
                any = true;
            }
        }
        return any ? sum : Double.NaN;
    }
}
