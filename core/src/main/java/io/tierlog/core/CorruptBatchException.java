package io.tierlog.core;

/**
 * A batch whose bytes do not check out (length, magic, CRC, record structure). The edges meet it while checking
 * a client's batch and answer 400 / CORRUPT_MESSAGE; recovery uses it to find the end of the valid prefix of a
 * segment. A reader of stored data that meets it wraps it in a {@link StorageException}: damaged storage is not
 * the client's fault.
 */
public class CorruptBatchException extends InvalidInputException {
    public CorruptBatchException(String message) {
        super(message);
    }

    public CorruptBatchException(String message, Throwable cause) {
        super(message, cause);
    }
}
