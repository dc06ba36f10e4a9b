package io.tierlog.cold;

import io.tierlog.core.TopicPartition;

/**
 * A segment held in the cold tier, as recorded in its partition's manifest: offsets [baseOffset, nextOffset),
 * time bounds (so time-range reads can skip it), size and the object key it lives at.
 */
public record RemoteSegmentInfo(TopicPartition topicPartition, long baseOffset, long nextOffset,
                                long minTimestamp, long maxTimestamp, long sizeInBytes, String objectKey) {
    public long recordCount() {
        return nextOffset - baseOffset;
    }
}
