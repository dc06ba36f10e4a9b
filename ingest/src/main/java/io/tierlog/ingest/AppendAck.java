package io.tierlog.ingest;

import io.tierlog.core.TopicPartition;

/**
 * The offsets one publish received: records {@code [baseOffset, baseOffset + count)} of one partition. This is
 * what the HTTP edge returns per partition.
 */
public record AppendAck(TopicPartition topicPartition, long baseOffset, int count) {
    /** One past the last offset of this publish. */
    public long nextOffset() {
        return baseOffset + count;
    }
}
