package io.tierlog.loadtest.cli;

import java.util.Locale;
import org.HdrHistogram.Histogram;

/**
 * What one run measured, for the final report and the side-by-side comparison with a peer.
 *
 * @param system         "tierlog" or the peer's name
 * @param ackedRecords   records acknowledged during the measured window
 * @param failedRecords  records whose send failed (any time)
 * @param seconds        length of the measured window
 * @param payloadBytes   approximate bytes of record keys and values acknowledged in the window
 * @param consumed       records the tailing consumer read during the measured window
 */
record RunResult(String system, long ackedRecords, long failedRecords, double seconds, long payloadBytes,
                 long consumed, Histogram ack, Histogram e2e, Histogram coldQuery, Histogram hotQuery) {

    double recordsPerSecond() {
        return seconds <= 0 ? 0 : ackedRecords / seconds;
    }

    double megabytesPerSecond() {
        return seconds <= 0 ? 0 : payloadBytes / seconds / (1024.0 * 1024.0);
    }

    String format() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "== %s: %,d records acknowledged in %.1f s = %,.0f records/s (%.2f MiB/s of"
                        + " keys+values), %,d failed, %,d read by the tailing consumer%n",
                system, ackedRecords, seconds, recordsPerSecond(), megabytesPerSecond(), failedRecords, consumed));
        sb.append(line("ack latency", ack));
        sb.append(line("end-to-end latency", e2e));
        sb.append(line("cold-tier query (1000 records)", coldQuery));
        sb.append(line("hot-tier query (1000 records)", hotQuery));
        return sb.toString();
    }

    static String line(String what, Histogram h) {
        if (h == null || h.getTotalCount() == 0) {
            return String.format(Locale.ROOT, "   %-32s no samples%n", what);
        }
        return String.format(Locale.ROOT, "   %-32s n=%,d  p50=%s  p90=%s  p99=%s  p99.9=%s  p99.99=%s  max=%s%n", what,
                h.getTotalCount(), ms(h.getValueAtPercentile(50)), ms(h.getValueAtPercentile(90)),
                ms(h.getValueAtPercentile(99)), ms(h.getValueAtPercentile(99.9)), ms(h.getValueAtPercentile(99.99)),
                ms(h.getMaxValue()));
    }

    static String ms(long micros) {
        return String.format(Locale.ROOT, "%.2fms", micros / 1000.0);
    }
}
