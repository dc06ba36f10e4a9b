package io.tierlog.kafka;

import java.util.List;

/**
 * A failure the backend reports to the listener, with a {@link Reason} that says whose fault it is; the listener
 * turns it into Kafka's error code for the request (per partition, per topic or top level as the API wants).
 */
public class BackendException extends RuntimeException {

    /** Tierlog's side of Kafka's error codes (the listener owns the mapping). */
    public enum Reason {
        UNKNOWN_TOPIC_OR_PARTITION,
        OFFSET_OUT_OF_RANGE,
        /** The batch fails its CRC or framing. */
        CORRUPT_MESSAGE,
        /** A record breaks a rule of the topic (e.g. not a metric in a {@code metrics} topic); see {@link #recordErrors()}. */
        INVALID_RECORD,
        RECORD_TOO_LARGE,
        UNSUPPORTED_COMPRESSION_TYPE,
        OUT_OF_ORDER_SEQUENCE_NUMBER,
        INVALID_PRODUCER_EPOCH,
        UNKNOWN_PRODUCER_ID,
        /** Transactions are not supported. */
        TRANSACTIONS_UNSUPPORTED,
        /** Stored data is damaged or unreadable (local disk or S3): the broker's fault, logged and counted. */
        STORAGE_ERROR,
        /** The broker is overloaded or short of disk: retry later. */
        OVERLOADED,
        /** The broker is shutting down. */
        SHUTTING_DOWN,
        TOPIC_ALREADY_EXISTS,
        INVALID_TOPIC,
        INVALID_PARTITIONS,
        INVALID_REPLICATION_FACTOR,
        INVALID_CONFIG,
        INVALID_REQUEST,
        /** A consumer group name the offsets store refuses. */
        INVALID_GROUP_ID,
        /** The topic's configuration forbids the operation (records deleted from a compacted topic). */
        POLICY_VIOLATION,
        UNKNOWN
    }

    /** One bad record of a batch: its index in the batch and why. */
    public record RecordError(int index, String message) {
    }

    private final Reason reason;
    private final List<RecordError> recordErrors;
    private final long logStartOffset;
    private final long highWatermark;

    public BackendException(Reason reason, String message) {
        this(reason, message, List.of(), null);
    }

    public BackendException(Reason reason, String message, Throwable cause) {
        this(reason, message, List.of(), cause);
    }

    public BackendException(Reason reason, String message, List<RecordError> recordErrors, Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.recordErrors = List.copyOf(recordErrors);
        this.logStartOffset = -1;
        this.highWatermark = -1;
    }

    private BackendException(String message, long logStartOffset, long highWatermark) {
        super(message);
        this.reason = Reason.OFFSET_OUT_OF_RANGE;
        this.recordErrors = List.of();
        this.logStartOffset = logStartOffset;
        this.highWatermark = highWatermark;
    }

    /** An offset outside [logStartOffset, highWatermark], with both bounds for the response. */
    public static BackendException offsetOutOfRange(String message, long logStartOffset, long highWatermark) {
        return new BackendException(message, logStartOffset, highWatermark);
    }

    public Reason reason() {
        return reason;
    }

    public List<RecordError> recordErrors() {
        return recordErrors;
    }

    /** For OFFSET_OUT_OF_RANGE: the partition's log start offset, else -1. */
    public long logStartOffset() {
        return logStartOffset;
    }

    /** For OFFSET_OUT_OF_RANGE: the partition's high watermark, else -1. */
    public long highWatermark() {
        return highWatermark;
    }
}
