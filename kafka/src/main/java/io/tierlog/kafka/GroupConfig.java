package io.tierlog.kafka;

/**
 * The group coordinator's settings, each the Kafka broker setting of the same meaning. Immutable.
 *
 * @param minSessionTimeoutMs     {@code group.min.session.timeout.ms}: a JoinGroup asking for a shorter session
 *                                timeout gets INVALID_SESSION_TIMEOUT
 * @param maxSessionTimeoutMs     {@code group.max.session.timeout.ms}: the same for a longer one
 * @param initialRebalanceDelayMs {@code group.initial.rebalance.delay.ms}: how long the first rebalance of an empty
 *                                group waits for more members (extended by each newcomer, up to the rebalance timeout)
 * @param maxSize                 {@code group.max.size}: members per group; one more gets GROUP_MAX_SIZE_REACHED
 *                                (Kafka's default is unlimited; a bound keeps a group's memory bounded)
 */
public record GroupConfig(int minSessionTimeoutMs, int maxSessionTimeoutMs, int initialRebalanceDelayMs, int maxSize) {

    /** Kafka's defaults (6 s, 30 min, 3 s), at most 1000 members per group. */
    public static final GroupConfig DEFAULTS = new GroupConfig(6_000, 1_800_000, 3_000, 1_000);

    public GroupConfig {
        if (minSessionTimeoutMs <= 0 || maxSessionTimeoutMs < minSessionTimeoutMs) {
            throw new IllegalArgumentException("session timeout bounds must satisfy 0 < min <= max, were "
                    + minSessionTimeoutMs + " and " + maxSessionTimeoutMs);
        }
        if (initialRebalanceDelayMs < 0) {
            throw new IllegalArgumentException("initialRebalanceDelayMs must not be negative: " + initialRebalanceDelayMs);
        }
        if (maxSize < 1) {
            throw new IllegalArgumentException("maxSize must be positive: " + maxSize);
        }
    }
}
