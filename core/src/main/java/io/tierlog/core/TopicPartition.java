package io.tierlog.core;

/** Names one partition of one topic; the key of every per-partition structure. */
public record TopicPartition(String topic, int partition) {
    public TopicPartition {
        Validation.topicName(topic);
        if (partition < 0) {
            throw new InvalidInputException("partition must be >= 0, was " + partition);
        }
    }

    @Override
    public String toString() {
        return topic + "-" + partition;
    }
}
