package io.tierlog.cold.housekeeping;

/**
 * What housekeeping does with one topic's old data, in the tiers' own terms (the server maps its topic config onto
 * it): where the data lives, how old data is cleaned, and the limits of each tier. A limit of -1 is off.
 *
 * @param storage  local only, or tiered (closed segments offloaded to the cold tier)
 * @param cleanup  delete whole segments, compact by key, or both
 * @param total    retention of the topic's data wherever it is (for a tiered topic: of the remote copy)
 * @param local    retention of the local copy of a tiered topic (ignored for local-only topics)
 */
public record RetentionPolicy(Storage storage, Cleanup cleanup, Limits total, Limits local) {

    /** Where a topic's closed segments live. */
    public enum Storage {
        /** Only on local disk: total retention deletes local segments. */
        LOCAL,
        /** Offloaded to the cold tier; the local copy goes only once the cold tier's manifest holds it. */
        TIERED
    }

    /** Kafka's {@code cleanup.policy}. */
    public enum Cleanup {
        DELETE, COMPACT, COMPACT_DELETE;

        /** Whether time and size retention delete whole segments. */
        public boolean deletes() {
            return this != COMPACT;
        }

        /** Whether the latest record per key is kept (and older ones removed). */
        public boolean compacts() {
            return this != DELETE;
        }
    }

    /** A time limit (by a segment's newest record) and a size limit; -1 = off. */
    public record Limits(long ms, long bytes) {
        public static final Limits NONE = new Limits(-1, -1);

        public Limits {
            if (ms < -1 || bytes < -1) {
                throw new IllegalArgumentException("limits must be >= 0 or -1 (off), were " + ms + " ms and " + bytes + " bytes");
            }
        }

        boolean expired(long newestTimestamp, long nowMs) {
            return ms >= 0 && nowMs - newestTimestamp > ms;
        }

        boolean oversize(long bytesHeld) {
            return bytes >= 0 && bytesHeld > bytes;
        }
    }

    public RetentionPolicy {
        if (storage == null || cleanup == null || total == null || local == null) {
            throw new IllegalArgumentException("storage, cleanup and limits are required");
        }
        if (storage == Storage.TIERED && cleanup.compacts()) {
            // compaction rewrites local segments, which the cold tier cannot follow
            throw new IllegalArgumentException("a compacted topic (" + cleanup + ") cannot be tiered");
        }
    }
}
