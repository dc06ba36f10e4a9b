package io.tierlog.server;

import java.util.Map;

/**
 * An error answer of the HTTP API: the status, the contract's error code and a message for humans, plus
 * any extra fields the contract adds (416 carries logStartOffset and highWatermark).
 */
final class ApiException extends RuntimeException {
    final int status;
    final String code;
    final Map<String, Object> extra;

    ApiException(int status, String code, String message, Map<String, Object> extra) {
        super(message);
        this.status = status;
        this.code = code;
        this.extra = extra;
    }

    ApiException(int status, String code, String message) {
        this(status, code, message, Map.of());
    }

    static ApiException badRequest(String message) {
        return new ApiException(400, "invalid_request", message);
    }

    static ApiException notFound(String message) {
        return new ApiException(404, "not_found", message);
    }

    static ApiException conflict(String message) {
        return new ApiException(409, "conflict", message);
    }

    static ApiException tooLarge(String message) {
        return new ApiException(413, "payload_too_large", message);
    }

    static ApiException unsupportedMediaType(String message) {
        return new ApiException(415, "unsupported_media_type", message);
    }

    static ApiException outOfRange(String message, long logStartOffset, long highWatermark) {
        return new ApiException(416, "offset_out_of_range", message,
                Map.of("logStartOffset", logStartOffset, "highWatermark", highWatermark));
    }

    /** The object store (cold tier) cannot be reached now: the client retries after Retry-After. */
    static ApiException coldTierUnavailable(String message) {
        return new ApiException(503, "cold_tier_unavailable", message);
    }

    static ApiException overloaded(String message) {
        return new ApiException(503, "overloaded", message);
    }
}
