package io.tierlog.hot;

import io.tierlog.core.TopicPartition;

import java.nio.file.Path;

/**
 * A closed (immutable) local segment: what the cold tier uploads and what retention deletes. Offsets are
 * [baseOffset, nextOffset), with gaps when the segment was compacted; the three files stay until the segment is deleted from the log.
 */
public record SegmentInfo(TopicPartition topicPartition, long baseOffset, long nextOffset,
                          long minTimestamp, long maxTimestamp, long sizeInBytes, long closedAtMs,
                          Path logFile, Path offsetIndexFile, Path timeIndexFile) {
    /**
     * The offset span {@code nextOffset - baseOffset}: the number of records, unless compaction removed some
     * (then it is an upper bound; {@code nextOffset} is one past the last record still held).
     */
    public long recordCount() {
        return nextOffset - baseOffset;
    }
}
