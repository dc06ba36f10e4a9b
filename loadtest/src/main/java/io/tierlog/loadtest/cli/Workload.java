package io.tierlog.loadtest.cli;

import java.time.Duration;

/**
 * The shape of one load test, shared by the Tierlog run and the peer run so both see the same workload:
 * record size (series key + 9-byte sample), series cardinality, rate, batching and timing.
 */
record Workload(String topic, int partitions, int producers, long rate, int series, int batchBytes,
                long bufferBytes, long lingerMs, String compression, Duration duration, Duration warmup, boolean consumer,
                long queryIntervalMs, int queryRecords, long segmentBytes, long localRetentionBytes) {

    Workload {
        if (partitions <= 0 || producers <= 0 || series <= 0 || batchBytes <= 0 || bufferBytes < batchBytes || lingerMs < 0 || rate < 0
                || queryRecords <= 0) {
            throw new IllegalArgumentException("partitions, producers, series, batch size and query records must be > 0, buffer >= batch;"
                    + " rate and linger >= 0");
        }
        if (duration.isNegative() || duration.isZero() || warmup.isNegative()) {
            throw new IllegalArgumentException("duration must be > 0 and warm-up >= 0");
        }
    }

    /** The series key of series {@code s}: the same bytes for Tierlog and the peer. */
    String seriesName() {
        return "loadtest.value";
    }

    /** Nanoseconds between two sends of one producer at a fixed rate, or 0 at max rate. */
    long sendIntervalNanos() {
        return rate == 0 ? 0 : Math.max(1, (long) (1e9 * producers / rate));
    }
}
