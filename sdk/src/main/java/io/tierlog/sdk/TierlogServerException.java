package io.tierlog.sdk;

import java.time.Duration;

/**
 * An error answered by the server as {@code {"error": code, "message": text}} (docs/api-notes.md, "Errors"), turned into
 * one typed exception per error code so that callers catch what they can handle (a missing topic, an offset
 * out of range, overload) without parsing strings.
 */
public class TierlogServerException extends TierlogClientException {
    private final int status;
    private final String code;

    public TierlogServerException(int status, String code, String message) {
        super(message == null || message.isEmpty() ? "HTTP " + status + " " + code : code + ": " + message);
        this.status = status;
        this.code = code;
    }

    /** The HTTP status code. */
    public int status() {
        return status;
    }

    /** The error code of the body ({@code invalid_request}, {@code not_found}, ...). */
    public String code() {
        return code;
    }

    /** 400 {@code invalid_request}: the request broke a rule; the message names it. */
    public static final class InvalidRequest extends TierlogServerException {
        public InvalidRequest(String message) {
            super(400, "invalid_request", message);
        }
    }

    /** 401 {@code unauthorized}. */
    public static final class Unauthorized extends TierlogServerException {
        public Unauthorized(String message) {
            super(401, "unauthorized", message);
        }
    }

    /** 404 {@code not_found}: the topic (or group, or path) does not exist. */
    public static final class NotFound extends TierlogServerException {
        public NotFound(String message) {
            super(404, "not_found", message);
        }
    }

    /** 409 {@code conflict}: e.g. the topic exists already. */
    public static final class Conflict extends TierlogServerException {
        public Conflict(String message) {
            super(409, "conflict", message);
        }
    }

    /** 413 {@code payload_too_large}: the request body or a record exceeds the server's limits. */
    public static final class PayloadTooLarge extends TierlogServerException {
        public PayloadTooLarge(String message) {
            super(413, "payload_too_large", message);
        }
    }

    /** 415 {@code unsupported_media_type}. */
    public static final class UnsupportedMediaType extends TierlogServerException {
        public UnsupportedMediaType(String message) {
            super(415, "unsupported_media_type", message);
        }
    }

    /** 416 {@code offset_out_of_range}, with the partition's valid range at the time of the answer. */
    public static final class OffsetOutOfRange extends TierlogServerException {
        private final long logStartOffset;
        private final long highWatermark;

        public OffsetOutOfRange(String message, long logStartOffset, long highWatermark) {
            super(416, "offset_out_of_range", message);
            this.logStartOffset = logStartOffset;
            this.highWatermark = highWatermark;
        }

        /** First offset still held (-1 when the server did not say). */
        public long logStartOffset() {
            return logStartOffset;
        }

        /** Next offset to be written (-1 when the server did not say). */
        public long highWatermark() {
            return highWatermark;
        }
    }

    /** 503 {@code overloaded}: retry later; {@link #retryAfter()} is the server's hint. */
    public static final class Overloaded extends TierlogServerException {
        private final Duration retryAfter;

        public Overloaded(String message, Duration retryAfter) {
            super(503, "overloaded", message);
            this.retryAfter = retryAfter;
        }

        /** The {@code Retry-After} the server sent, or {@link Duration#ZERO} when none. */
        public Duration retryAfter() {
            return retryAfter;
        }
    }
}
