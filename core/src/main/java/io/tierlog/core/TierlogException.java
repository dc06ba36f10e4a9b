package io.tierlog.core;

/**
 * Root of Tierlog's unchecked errors, so that callers at a seam (HTTP, SDK) can map every failure of ours
 * to a clear answer without catching unrelated runtime exceptions.
 */
public class TierlogException extends RuntimeException {
    public TierlogException(String message) {
        super(message);
    }

    public TierlogException(String message, Throwable cause) {
        super(message, cause);
    }
}
