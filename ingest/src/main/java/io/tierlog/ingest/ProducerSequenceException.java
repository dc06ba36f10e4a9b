package io.tierlog.ingest;

import io.tierlog.core.InvalidInputException;

/**
 * An idempotent producer's batch that the partition's single writer refused: its sequence does not follow the last
 * one stored (a gap: something in between was lost or reordered), or its epoch is older than the producer's current
 * one (a fenced, zombie producer instance). Nothing of the batch is stored. The Kafka listener answers
 * OUT_OF_ORDER_SEQUENCE_NUMBER or INVALID_PRODUCER_EPOCH.
 */
public final class ProducerSequenceException extends InvalidInputException {

    /** Why the batch was refused. */
    public enum Kind {
        OUT_OF_ORDER_SEQUENCE,
        INVALID_PRODUCER_EPOCH
    }

    private final Kind kind;

    public ProducerSequenceException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
