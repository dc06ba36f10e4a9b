package io.tierlog.sdk;

import io.tierlog.core.TierlogException;

/**
 * A failure seen by the SDK itself rather than reported by the server: the connection failed, a record was not
 * acknowledged within its delivery timeout, the buffer was full, the client was closed. Exists so that callers can
 * tell "the server said no" ({@link TierlogServerException}) from "the request never got an answer". When
 * kafka-clients reported the failure, its exception is the cause.
 */
public class TierlogClientException extends TierlogException {
    public TierlogClientException(String message) {
        super(message);
    }

    public TierlogClientException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * The producer's buffer memory stayed full for longer than it was allowed to wait (or, when configured
     * to fail fast, was full at all). Exists so that callers can shed load instead of queueing without bound.
     */
    public static final class BufferExhausted extends TierlogClientException {
        public BufferExhausted(String message) {
            super(message);
        }

        public BufferExhausted(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
