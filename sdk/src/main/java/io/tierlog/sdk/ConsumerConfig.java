package io.tierlog.sdk;

import java.time.Duration;

/**
 * How a {@link TierlogConsumer} fetches. Exists so that long-poll waits and fetch sizes are explicit and
 * bounded (the server caps {@code maxWaitMs} at 30 s and {@code maxRecords} at 10 000).
 *
 * @param group           consumer group name for commits and {@link StartPosition#committed}; null for none
 * @param maxRecords      records per fetch request and partition
 * @param maxWait         long-poll wait per fetch when a partition has nothing new
 * @param outOfRangeReset what to do when a position falls below the log start (retention deleted it):
 *                        {@code EARLIEST} jumps to the log start, {@code LATEST} to the high watermark,
 *                        {@code NONE} throws {@link TierlogServerException.OffsetOutOfRange} from poll
 */
public record ConsumerConfig(String group, int maxRecords, Duration maxWait, Reset outOfRangeReset) {

    /** Policy applied when the server answers 416 for a consumer's position. */
    public enum Reset { EARLIEST, LATEST, NONE }

    public ConsumerConfig {
        if (group != null) {
            io.tierlog.core.Validation.groupName(group);
        }
        if (maxRecords <= 0 || maxRecords > 10_000) {
            throw new IllegalArgumentException("maxRecords must be 1..10000, was " + maxRecords);
        }
        if (maxWait.isNegative() || maxWait.toMillis() > 30_000) {
            throw new IllegalArgumentException("maxWait must be 0..30s, was " + maxWait);
        }
        if (outOfRangeReset == null) {
            throw new IllegalArgumentException("outOfRangeReset must not be null");
        }
    }

    /** No group, 1000 records per fetch, 1 s long poll, reset to earliest. */
    public static ConsumerConfig defaults() {
        return new ConsumerConfig(null, 1000, Duration.ofSeconds(1), Reset.EARLIEST);
    }

    public static ConsumerConfig group(String group) {
        return defaults().withGroup(group);
    }

    public ConsumerConfig withGroup(String g) {
        return new ConsumerConfig(g, maxRecords, maxWait, outOfRangeReset);
    }

    public ConsumerConfig withMaxRecords(int n) {
        return new ConsumerConfig(group, n, maxWait, outOfRangeReset);
    }

    public ConsumerConfig withMaxWait(Duration d) {
        return new ConsumerConfig(group, maxRecords, d, outOfRangeReset);
    }

    public ConsumerConfig withOutOfRangeReset(Reset r) {
        return new ConsumerConfig(group, maxRecords, maxWait, r);
    }
}
