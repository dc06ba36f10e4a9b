package io.tierlog.kafka;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where a backend failure becomes a Kafka error code.
 *
 * <table>
 * <caption>BackendException.Reason to Errors</caption>
 * <tr><td>UNKNOWN_TOPIC_OR_PARTITION</td><td>UNKNOWN_TOPIC_OR_PARTITION, or UNKNOWN_TOPIC_ID when the request
 *     named the topic by id (Produce v13+, Fetch v13+, Metadata/DeleteTopics by id)</td></tr>
 * <tr><td>OFFSET_OUT_OF_RANGE</td><td>OFFSET_OUT_OF_RANGE (Fetch also returns the exception's bounds)</td></tr>
 * <tr><td>CORRUPT_MESSAGE</td><td>CORRUPT_MESSAGE</td></tr>
 * <tr><td>INVALID_RECORD</td><td>INVALID_RECORD (Produce adds recordErrors and the message, v8+)</td></tr>
 * <tr><td>RECORD_TOO_LARGE</td><td>MESSAGE_TOO_LARGE</td></tr>
 * <tr><td>UNSUPPORTED_COMPRESSION_TYPE, OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH,
 *     UNKNOWN_PRODUCER_ID, INVALID_REPLICATION_FACTOR, INVALID_CONFIG, INVALID_PARTITIONS, INVALID_REQUEST,
 *     INVALID_GROUP_ID</td>
 *     <td>the code of the same name</td></tr>
 * <tr><td>TRANSACTIONS_UNSUPPORTED</td><td>INVALID_REQUEST: not retriable, and the Java producer's
 *     TransactionManager then fails fatally with a KafkaException carrying our message (a retriable code such as
 *     COORDINATOR_NOT_AVAILABLE would make it retry until max.block.ms; TRANSACTIONAL_ID_AUTHORIZATION_FAILED would
 *     blame ACLs)</td></tr>
 * <tr><td>STORAGE_ERROR</td><td>KAFKA_STORAGE_ERROR (retriable; the backend logs and counts it)</td></tr>
 * <tr><td>OVERLOADED</td><td>REQUEST_TIMED_OUT (retriable: the client backs off and retries)</td></tr>
 * <tr><td>SHUTTING_DOWN</td><td>NOT_LEADER_OR_FOLLOWER (retriable: the client refreshes metadata and retries)</td></tr>
 * <tr><td>TOPIC_ALREADY_EXISTS</td><td>TOPIC_ALREADY_EXISTS</td></tr>
 * <tr><td>INVALID_TOPIC</td><td>INVALID_TOPIC_EXCEPTION</td></tr>
 * <tr><td>UNKNOWN</td><td>UNKNOWN_SERVER_ERROR</td></tr>
 * </table>
 * A kafka-clients {@link ApiException} (thrown by kafka-clients' own validation) keeps its code; any other
 * exception is a bug or an unexpected fault: UNKNOWN_SERVER_ERROR, logged at warn.
 */
final class KafkaErrors {

    private static final Logger log = LoggerFactory.getLogger(KafkaErrors.class);

    private KafkaErrors() {
    }

    /** How the request named its topics: UNKNOWN_TOPIC_OR_PARTITION becomes UNKNOWN_TOPIC_ID for ids. */
    enum TopicNaming { BY_NAME, BY_ID }

    static Errors forReason(BackendException.Reason reason, TopicNaming naming) {
        return switch (reason) {
            case UNKNOWN_TOPIC_OR_PARTITION -> naming == TopicNaming.BY_ID
                    ? Errors.UNKNOWN_TOPIC_ID : Errors.UNKNOWN_TOPIC_OR_PARTITION;
            case OFFSET_OUT_OF_RANGE -> Errors.OFFSET_OUT_OF_RANGE;
            case CORRUPT_MESSAGE -> Errors.CORRUPT_MESSAGE;
            case INVALID_RECORD -> Errors.INVALID_RECORD;
            case RECORD_TOO_LARGE -> Errors.MESSAGE_TOO_LARGE;
            case UNSUPPORTED_COMPRESSION_TYPE -> Errors.UNSUPPORTED_COMPRESSION_TYPE;
            case OUT_OF_ORDER_SEQUENCE_NUMBER -> Errors.OUT_OF_ORDER_SEQUENCE_NUMBER;
            case INVALID_PRODUCER_EPOCH -> Errors.INVALID_PRODUCER_EPOCH;
            case UNKNOWN_PRODUCER_ID -> Errors.UNKNOWN_PRODUCER_ID;
            case TRANSACTIONS_UNSUPPORTED -> Errors.INVALID_REQUEST;
            case STORAGE_ERROR -> Errors.KAFKA_STORAGE_ERROR;
            case OVERLOADED -> Errors.REQUEST_TIMED_OUT;
            case SHUTTING_DOWN -> Errors.NOT_LEADER_OR_FOLLOWER;
            case TOPIC_ALREADY_EXISTS -> Errors.TOPIC_ALREADY_EXISTS;
            case INVALID_TOPIC -> Errors.INVALID_TOPIC_EXCEPTION;
            case INVALID_PARTITIONS -> Errors.INVALID_PARTITIONS;
            case INVALID_REPLICATION_FACTOR -> Errors.INVALID_REPLICATION_FACTOR;
            case INVALID_CONFIG -> Errors.INVALID_CONFIG;
            case INVALID_REQUEST -> Errors.INVALID_REQUEST;
            case INVALID_GROUP_ID -> Errors.INVALID_GROUP_ID;
            case POLICY_VIOLATION -> Errors.POLICY_VIOLATION;
            case UNKNOWN -> Errors.UNKNOWN_SERVER_ERROR;
        };
    }

    /** The code and message for any failure of a backend call or of kafka-clients' validation. */
    static Failure forFailure(Throwable t, TopicNaming naming) {
        Throwable cause = unwrap(t);
        if (cause instanceof BackendException e) {
            return new Failure(forReason(e.reason(), naming), e.getMessage(), e);
        }
        if (cause instanceof ApiException e) {
            return new Failure(Errors.forException(e), e.getMessage(), null);
        }
        log.warn("unexpected failure answered as UNKNOWN_SERVER_ERROR", cause);
        return new Failure(Errors.UNKNOWN_SERVER_ERROR, null, null);
    }

    static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }

    /** A mapped failure; {@code backend} is set when it came from the backend (for its details). */
    record Failure(Errors error, String message, BackendException backend) {
        short code() {
            return error.code();
        }
    }
}
