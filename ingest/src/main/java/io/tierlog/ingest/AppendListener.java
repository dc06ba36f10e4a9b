package io.tierlog.ingest;

import io.tierlog.core.TopicPartition;

/**
 * Told when a partition's high watermark moved, so that tail readers (long polls) wake without polling.
 * Called on a writer thread: implementations must return quickly and never block.
 */
@FunctionalInterface
public interface AppendListener {
    void onAppend(TopicPartition topicPartition, long highWatermark);
}
