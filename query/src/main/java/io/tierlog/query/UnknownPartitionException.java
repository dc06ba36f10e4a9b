package io.tierlog.query;

import io.tierlog.core.TierlogException;
import io.tierlog.core.TopicPartition;

/**
 * A read named a topic or partition that does not exist; its own type so that the server answers 404 rather
 * than 400 or 500.
 */
public class UnknownPartitionException extends TierlogException {
    private final transient TopicPartition topicPartition;

    public UnknownPartitionException(TopicPartition topicPartition) {
        super("unknown partition " + topicPartition.partition() + " of topic '" + topicPartition.topic() + "'");
        this.topicPartition = topicPartition;
    }

    public TopicPartition topicPartition() {
        return topicPartition;
    }
}
