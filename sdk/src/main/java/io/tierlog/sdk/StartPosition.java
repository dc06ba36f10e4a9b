package io.tierlog.sdk;

/**
 * Where a consumer starts reading a partition: resolved when it is assigned, or, in a group subscription, for each
 * partition the group hands the consumer without a committed offset (see {@link TierlogConsumer}). Exists as a closed
 * set of choices so that "from the beginning", "only new records", "from here" and "from this time" read clearly.
 */
public sealed interface StartPosition {

    /** The first offset still held ({@code logStartOffset}, possibly in the cold tier: Kafka's earliest). */
    static StartPosition earliest() {
        return new Earliest();
    }

    /** The high watermark: only records produced from now on. */
    static StartPosition latest() {
        return new Latest();
    }

    /** An explicit offset. */
    static StartPosition offset(long offset) {
        return new Offset(offset);
    }

    /** The first offset whose timestamp is at least {@code epochMillis} (Kafka's offsetsForTimes). */
    static StartPosition timestamp(long epochMillis) {
        return new Timestamp(epochMillis);
    }

    /** The group's committed offset, or {@code fallback} for partitions the group never committed. */
    static StartPosition committed(StartPosition fallback) {
        return new Committed(fallback);
    }

    /** See {@link StartPosition#earliest()}. */
    record Earliest() implements StartPosition {
    }

    /** See {@link StartPosition#latest()}. */
    record Latest() implements StartPosition {
    }

    /** See {@link StartPosition#offset(long)}. */
    record Offset(long offset) implements StartPosition {
        public Offset {
            if (offset < 0) {
                throw new IllegalArgumentException("offset must be >= 0, was " + offset);
            }
        }
    }

    /** See {@link StartPosition#timestamp(long)}. */
    record Timestamp(long epochMillis) implements StartPosition {
        public Timestamp {
            if (epochMillis < 0) {
                throw new IllegalArgumentException("timestamp must be >= 0, was " + epochMillis);
            }
        }
    }

    /** See {@link StartPosition#committed(StartPosition)}. */
    record Committed(StartPosition fallback) implements StartPosition {
        public Committed {
            if (fallback == null || fallback instanceof Committed) {
                throw new IllegalArgumentException("committed() needs a non-committed fallback position");
            }
        }
    }
}
