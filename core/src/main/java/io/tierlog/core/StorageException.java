package io.tierlog.core;

/**
 * Stored data (a local segment, an S3 object or manifest) is damaged or unreadable. It is the broker's fault, not
 * the client's: the edges answer HTTP 5xx or Kafka's KAFKA_STORAGE_ERROR, log it at ERROR and count it, where a
 * {@link CorruptBatchException} from a client's own bytes is a 4xx.
 */
public class StorageException extends TierlogException {
    public StorageException(String message) {
        super(message);
    }

    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }
}
