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
    private final long samplesRefused;

    public ReceiverException(Reason reason, String message) {
        this(reason, message, null, -1);
    }

    public ReceiverException(Reason reason, String message, Throwable cause) {
        this(reason, message, cause, -1);
    }

    private ReceiverException(Reason reason, String message, Throwable cause, long samplesRefused) {
        super(message, cause);
        this.reason = reason;
        this.samplesRefused = samplesRefused;
    }

    public Reason reason() {
        return reason;
    }

    /** How many samples the refused request held, or -1 when it did not decode far enough to tell. */
    public long samplesRefused() {
        return samplesRefused;
    }

    /** This refusal, knowing how many samples the request held. */
    ReceiverException withSamplesRefused(long samples) {
        return new ReceiverException(reason, getMessage(), getCause(), samples);
    }

    static ReceiverException malformed(String message) {
        return new ReceiverException(Reason.MALFORMED, message);
    }
}
