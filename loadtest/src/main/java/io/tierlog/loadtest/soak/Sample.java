package io.tierlog.loadtest.soak;

import java.util.Locale;

/**
 * One sampling interval of the soak: the server JVM's resources at its end and the workload's outcomes during it.
 * Memory in bytes; a figure that could not be read is -1 (resources) or NaN (meters).
 *
 * @param elapsedSeconds  since the workload started
 * @param measured        after the warm-up (only these samples are judged)
 * @param heapAfterGc     heap in use after a forced full GC (the live set), or the old generation after the last GC
 *                        from {@code /metrics} when the server could not be attached to
 * @param heapUsed        heap in use as {@code /metrics} reports it (garbage included)
 * @param rss             resident set size of the server process
 * @param fds             open file descriptors of the server process
 * @param threads         OS threads of the server process
 * @param offloadLagBytes {@code tierlog_cold_offload_lag_bytes}: closed segments' bytes not yet in S3
 * @param offloadLagMs    {@code tierlog_cold_offload_lag_ms}: age of the oldest of them
 * @param interval        the outcomes counted during this interval
 * @param intervalSeconds the interval's length
 */
record Sample(double elapsedSeconds, boolean measured, long heapAfterGc, long heapUsed, long rss, long fds, long threads,
              double offloadLagBytes, double offloadLagMs, Outcomes.Totals interval, double intervalSeconds) {

    static final String CSV_HEADER = "elapsed_s,phase,heap_after_gc_mb,heap_used_mb,rss_mb,fds,threads,offload_lag_bytes,"
            + "offload_lag_ms,produced_records_per_s,requests_ok,requests_expected,requests_failed,requests_unsent,"
            + "tail_records,history_records,cold_records,churn_cycles";

    String csv() {
        return String.format(Locale.ROOT, "%.1f,%s,%.1f,%.1f,%.1f,%d,%d,%.0f,%.0f,%.1f,%d,%d,%d,%d,%d,%d,%d,%d",
                elapsedSeconds, measured ? "measure" : "warmup", mb(heapAfterGc), mb(heapUsed), mb(rss), fds, threads,
                offloadLagBytes, offloadLagMs, producedPerSecond(), interval.ok(), interval.expected(), interval.failed(),
                interval.unsent(), interval.tail(), interval.history(), interval.cold(), interval.churn());
    }

    static final String TABLE_HEADER = String.format(Locale.ROOT, "%8s %-7s %9s %9s %8s %5s %7s %10s %8s %9s %7s %6s %6s",
            "time s", "phase", "heapGC MB", "heap MB", "RSS MB", "fds", "threads", "lag bytes", "lag ms", "records/s",
            "ok", "failed", "unsent");

    String tableRow() {
        return String.format(Locale.ROOT, "%8.0f %-7s %9.1f %9.1f %8.1f %5d %7d %10.0f %8.0f %9.0f %7d %6d %6d",
                elapsedSeconds, measured ? "measure" : "warmup", mb(heapAfterGc), mb(heapUsed), mb(rss), fds, threads,
                offloadLagBytes, offloadLagMs, producedPerSecond(), interval.ok(), interval.failed(), interval.unsent());
    }

    double producedPerSecond() {
        return intervalSeconds <= 0 ? 0 : interval.produced() / intervalSeconds;
    }

    static double mb(long bytes) {
        return bytes < 0 ? -1 : bytes / (1024.0 * 1024.0);
    }
}
