package io.tierlog.receivers;

import io.tierlog.core.InvalidInputException;

/**
 * A request refused by a receiver before anything of it was stored. The {@link Reason} tells the HTTP door which
 * 4xx status to answer, so that senders drop what retrying cannot fix (remote_write and OTLP retry only 5xx/429).
 */
public final class ReceiverException extends InvalidInputException {
    /** Why, as the HTTP status the door answers. */
    public enum Reason {
        /** The body does not decode or breaks a rule (names, labels, order): 400. */
        MALFORMED(400),
        /** Content-Type or Content-Encoding the receiver does not speak: 415. */
        UNSUPPORTED_MEDIA_TYPE(415),
        /** The body, or what it declares it decompresses to, exceeds the configured limit: 413. */
        TOO_LARGE(413);

        private final int httpStatus;

        Reason(int httpStatus) {
            this.httpStatus = httpStatus;
        }

        public int httpStatus() {
            return httpStatus;
        }
    }

    private final Reason reason;

    public ReceiverException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public ReceiverException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    static ReceiverException malformed(String message) {
        return new ReceiverException(Reason.MALFORMED, message);
    }
}
