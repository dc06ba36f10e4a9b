package io.tierlog.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The SDK's one HTTP seam (queries, administration, Kafka address discovery): request building, JSON, and the mapping
 * of error bodies to typed exceptions.
 */
final class Http {
    static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient client;
    private final URI base;
    private final Duration requestTimeout;
    /** The Authorization header of every request (null: none). */
    private final String authorization;

    Http(HttpClient client, URI base, Duration requestTimeout, String authorization) {
        this.authorization = authorization;
        this.client = client;
        String s = base.toString();
        this.base = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
        this.requestTimeout = requestTimeout;
    }

    URI base() {
        return base;
    }

    HttpClient client() {
        return client;
    }

    HttpRequest.Builder request(String pathAndQuery) {
        return request(pathAndQuery, requestTimeout);
    }

    HttpRequest.Builder request(String pathAndQuery, Duration timeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + pathAndQuery)).timeout(timeout);
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return b;
    }

    /** Sends and waits; connection errors become {@link TierlogClientException}s, error bodies typed ones. */
    HttpResponse<byte[]> send(HttpRequest request) {
        HttpResponse<byte[]> r;
        try {
            r = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new TierlogClientException(request.method() + " " + request.uri() + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TierlogClientException("interrupted during " + request.method() + " " + request.uri(), e);
        }
        if (r.statusCode() >= 300) {
            throw error(r);
        }
        return r;
    }

    JsonNode getJson(String pathAndQuery) {
        return parse(send(request(pathAndQuery).header("Accept", "application/json").GET().build()));
    }

    JsonNode sendJson(String method, String pathAndQuery, Object body) {
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new TierlogClientException("cannot encode request body: " + e.getMessage(), e);
        }
        HttpResponse<byte[]> r = send(request(pathAndQuery).header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofByteArray(bytes)).build());
        return r.body().length == 0 ? JSON.missingNode() : parse(r);
    }

    void delete(String pathAndQuery) {
        send(request(pathAndQuery).DELETE().build());
    }

    static JsonNode parse(HttpResponse<byte[]> r) {
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new TierlogClientException("unreadable JSON from " + r.request().uri() + ": " + e.getMessage(), e);
        }
    }

    /** Maps an error response (status >= 300) to the typed exception of its error code. */
    static TierlogServerException error(HttpResponse<byte[]> r) {
        String code = "";
        String message = "";
        long logStart = -1;
        long hw = -1;
        try {
            JsonNode n = JSON.readTree(r.body());
            if (n != null && n.isObject()) {
                code = n.path("error").asText("");
                message = n.path("message").asText("");
                logStart = n.path("logStartOffset").asLong(-1);
                hw = n.path("highWatermark").asLong(-1);
            }
        } catch (IOException | RuntimeException e) {
            message = new String(r.body(), 0, Math.min(r.body().length, 200), StandardCharsets.UTF_8);
        }
        if (message.isEmpty()) {
            message = r.request().method() + " " + r.request().uri().getRawPath() + " answered " + r.statusCode();
        }
        return switch (r.statusCode()) {
            case 400 -> new TierlogServerException.InvalidRequest(message);
            case 401 -> new TierlogServerException.Unauthorized(message);
            case 404 -> new TierlogServerException.NotFound(message);
            case 409 -> new TierlogServerException.Conflict(message);
            case 413 -> new TierlogServerException.PayloadTooLarge(message);
            case 415 -> new TierlogServerException.UnsupportedMediaType(message);
            case 416 -> new TierlogServerException.OffsetOutOfRange(message, logStart, hw);
            case 503 -> new TierlogServerException.Overloaded(message, retryAfter(r));
            default -> new TierlogServerException(r.statusCode(), code.isEmpty() ? "http_" + r.statusCode() : code, message);
        };
    }

    /** The {@code Retry-After} header in seconds (or ZERO when absent or an HTTP date we do not parse). */
    static Duration retryAfter(HttpResponse<?> r) {
        return r.headers().firstValue("Retry-After").map(v -> {
            try {
                return Duration.ofMillis((long) (Double.parseDouble(v.trim()) * 1000));
            } catch (NumberFormatException e) {
                return Duration.ZERO;
            }
        }).orElse(Duration.ZERO);
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
