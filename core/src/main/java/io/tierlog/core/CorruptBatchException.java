package io.tierlog.core;

/**
 * A batch whose bytes do not check out (length, magic, CRC, record structure). Recovery uses it to find the
 * end of the valid prefix of a segment; the edge maps it to a 400 for client-supplied batches.
 */
public class CorruptBatchException extends InvalidInputException {
    public CorruptBatchException(String message) {
        super(message);
    }

    public CorruptBatchException(String message, Throwable cause) {
        super(message, cause);
    }
}
