package io.tierlog.core;

/**
 * Input rejected at the edge (names, sizes, timestamps, malformed batches). It exists as its own type so the
 * server answers 400 with the message and never stores anything of the rejected request.
 */
public class InvalidInputException extends TierlogException {
    public InvalidInputException(String message) {
        super(message);
    }

    public InvalidInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
