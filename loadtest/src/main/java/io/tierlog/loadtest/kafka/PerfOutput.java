package io.tierlog.loadtest.kafka;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the final summary lines the benchmark tools print, their stable interface: ProducerPerformance's last
 * line (the one with percentiles), ConsumerPerformance's data line (also printed by {@link FetchPerformance}) and
 * {@link FixedRateLatency}'s {@code RESULT} line.
 */
final class PerfOutput {
    private PerfOutput() {
    }

    /** ProducerPerformance's summary: throughput and the producer's own ack latency (send to callback). */
    record Produced(long records, double recordsPerSec, double mbPerSec, double avgMs, double maxMs, long p50Ms,
                    long p95Ms, long p99Ms, long p999Ms) {
    }

    /** ConsumerPerformance's data line; {@code fetch*} leave out the group join time. */
    record Consumed(long records, double mbConsumed, double fetchMs, double fetchMbPerSec, double fetchRecordsPerSec) {
    }

    /** One fixed-rate end-to-end run: counts and percentiles in microseconds. */
    record EndToEnd(long rate, long sent, long received, long failed, long unsent, long lost, long p50Us, long p99Us,
                    long p999Us, long maxUs) {
        long undelivered() {
            return failed + unsent + lost;
        }
    }

    private static final Pattern PRODUCED = Pattern.compile("^(\\d+) records sent, ([\\d.]+) records/sec \\(([\\d.]+) MB/sec\\), "
            + "([\\d.]+) ms avg latency, ([\\d.]+) ms max latency, (\\d+) ms 50th, (\\d+) ms 95th, (\\d+) ms 99th, (\\d+) ms 99\\.9th\\.");

    // start.time, end.time, MB, MB.sec, nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
    private static final Pattern CONSUMED = Pattern.compile("^[^,]+, [^,]+, ([\\d.]+), [-\\d.]+, (\\d+), [-\\d.]+, -?\\d+, "
            + "(-?\\d+), ([-\\d.]+), ([-\\d.]+)\\s*$");

    private static final Pattern E2E = Pattern.compile("^RESULT rate=(\\d+) sent=(\\d+) received=(\\d+) failed=(\\d+) "
            + "unsent=(\\d+) lost=(\\d+) p50_us=(\\d+) p99_us=(\\d+) p999_us=(\\d+) max_us=(\\d+)");

    static Optional<Produced> produced(List<String> lines) {
        for (String line : lines.reversed()) {
            Matcher m = PRODUCED.matcher(line.trim());
            if (m.find()) {
                return Optional.of(new Produced(Long.parseLong(m.group(1)), d(m.group(2)), d(m.group(3)), d(m.group(4)),
                        d(m.group(5)), Long.parseLong(m.group(6)), Long.parseLong(m.group(7)), Long.parseLong(m.group(8)),
                        Long.parseLong(m.group(9))));
            }
        }
        return Optional.empty();
    }

    static Optional<Consumed> consumed(List<String> lines) {
        for (String line : lines.reversed()) {
            Matcher m = CONSUMED.matcher(line.trim());
            if (m.find()) {
                return Optional.of(new Consumed(Long.parseLong(m.group(2)), d(m.group(1)), d(m.group(3)), d(m.group(4)),
                        d(m.group(5))));
            }
        }
        return Optional.empty();
    }

    static Optional<EndToEnd> endToEnd(List<String> lines) {
        for (String line : lines.reversed()) {
            Matcher m = E2E.matcher(line.trim());
            if (m.find()) {
                long[] v = new long[10];
                for (int i = 0; i < v.length; i++) {
                    v[i] = Long.parseLong(m.group(i + 1));
                }
                return Optional.of(new EndToEnd(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9]));
            }
        }
        return Optional.empty();
    }

    private static double d(String s) {
        return Double.parseDouble(s);
    }
}
