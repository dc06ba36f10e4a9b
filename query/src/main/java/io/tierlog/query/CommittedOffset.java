package io.tierlog.query;

import io.tierlog.core.InvalidInputException;

/**
 * One committed position of a consumer group in a partition: the next offset the group will read and the
 * client's metadata string for it ({@code ""} when none; Kafka Streams keeps its stream time there), at most
 * {@link #MAX_METADATA_CHARS} characters of any kind.
 */
public record CommittedOffset(long offset, String metadata) {
    /** Kafka's default {@code offset.metadata.max.bytes}, which Kafka compares with the string's length. */
    public static final int MAX_METADATA_CHARS = 4096;

    public CommittedOffset {
        if (offset < 0) {
            throw new InvalidInputException("offset must be >= 0, was " + offset);
        }
        if (metadata == null) {
            metadata = "";
        }
        if (metadata.length() > MAX_METADATA_CHARS) {
            throw new InvalidInputException("commit metadata has " + metadata.length() + " characters, at most "
                    + MAX_METADATA_CHARS + " are allowed");
        }
    }

    /** An offset committed without metadata (HTTP commits, Kafka commits with an empty or null string). */
    public static CommittedOffset of(long offset) {
        return new CommittedOffset(offset, "");
    }
}
