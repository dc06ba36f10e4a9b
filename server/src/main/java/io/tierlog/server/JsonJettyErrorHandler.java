package io.tierlog.server;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Renders the errors Jetty produces itself, before any route runs (ambiguous or malformed URIs such as
 * {@code %2e%2e} or an encoded slash, oversized headers), in the API's {@code {"error", "message"}} shape
 * instead of an HTML page.
 */
final class JsonJettyErrorHandler extends ErrorHandler {

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                    Callback callback) {
        String errorCode = switch (code) {
            case 404 -> "not_found";
            case 413 -> "payload_too_large";
            case 415 -> "unsupported_media_type";
            case 431 -> "invalid_request";
            default -> code >= 500 ? "internal_error" : "invalid_request";
        };
        String text = message == null || message.isBlank() ? "request rejected" : message;
        String body = "{\"error\":\"" + errorCode + "\",\"message\":\"" + io.tierlog.core.JsonStrings.escape(text) + "\"}";
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, org.eclipse.jetty.http.HttpFields.Mutable fields) {
        fields.put(HttpHeader.CONTENT_TYPE, "application/json");
        String body = "{\"error\":\"" + (status == 413 || status == 431 ? "payload_too_large" : "invalid_request")
                + "\",\"message\":\"" + io.tierlog.core.JsonStrings.escape(reason == null ? "bad request" : reason) + "\"}";
        return ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8));
    }
}
