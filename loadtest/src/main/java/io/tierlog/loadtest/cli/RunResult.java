package io.tierlog.loadtest.cli;

import java.util.Locale;
import org.HdrHistogram.Histogram;

/**
 * What one run measured, for the final report and the side-by-side comparison with a peer.
 *
 * @param system         "tierlog" or the peer's name
 * @param ackedRecords   records acknowledged during the measured window
 * @param failedRecords  records whose send failed (any time); in the latencies at the ceiling
 * @param unsentRecords  records due before the stop but never sent (fixed rate); in the latencies at the ceiling
 * @param undelivered    records acknowledged but not consumed by the end; in the end-to-end latency at the ceiling
 * @param seconds        length of the measured window
 * @param payloadBytes   approximate bytes of record keys and values acknowledged in the window
 * @param consumed       records the tailing consumer read during the measured window
 */
record RunResult(String system, long ackedRecords, long failedRecords, long unsentRecords, long undelivered,
                 double seconds, long payloadBytes,
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
                        + " keys+values), %,d failed, %,d due but never sent, %,d read by the tailing consumer, %,d never"
                        + " read%n", system, ackedRecords, seconds, recordsPerSecond(), megabytesPerSecond(), failedRecords,
                unsentRecords, consumed, undelivered));
        if (failedRecords + unsentRecords + undelivered > 0) {
            sb.append(String.format(Locale.ROOT, "   (failed, never sent and never read records are in the latencies at"
                    + " the ceiling, %s)%n", ms(Latencies.MAX_MICROS)));
        }
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
