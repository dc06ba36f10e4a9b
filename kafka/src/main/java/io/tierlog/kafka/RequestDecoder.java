package io.tierlog.kafka;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Optional;

import org.apache.kafka.common.network.ClientInformation;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.RequestContext;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.SecurityProtocol;

/**
 * Turns the bytes a client sends into requests, on kafka-clients' own parsers, with the listener's rules: a frame
 * size outside [0, maxRequestBytes] is refused before anything is allocated, and an unknown api key, an unreadable
 * header, a version that is not served or an unreadable body is a {@link ProtocolViolation} (the connection closes).
 * Whatever a parser throws on hostile bytes becomes that one checked type. Stateless; the steps are separate so that
 * the connection can check authentication between the header and the body.
 */
final class RequestDecoder {
    private static final ListenerName LISTENER_NAME = ListenerName.forSecurityProtocol(SecurityProtocol.PLAINTEXT);

    /** The client broke the protocol; its connection is closed and the reason counted. */
    static final class ProtocolViolation extends Exception {
        final String reason;

        ProtocolViolation(String reason, String message, Throwable cause) {
            super(message, cause);
            this.reason = reason;
        }
    }

    private RequestDecoder() {
    }

    /** Checks a frame's declared size (its 4-byte prefix) before its bytes are allocated. */
    static int checkFrameSize(int size, int maxRequestBytes) throws ProtocolViolation {
        if (size < 0 || size > maxRequestBytes) {
            throw new ProtocolViolation("frame_size",
                    "request frame of " + size + " bytes is outside [0, " + maxRequestBytes + "]", null);
        }
        return size;
    }

    /** Reads the request header at the frame's position (moving it past the header) and checks it is served. */
    static RequestHeader header(ByteBuffer frame, SupportedApis apis) throws ProtocolViolation {
        if (frame.remaining() >= 2 && !ApiKeys.hasId(frame.getShort(frame.position()))) {
            throw new ProtocolViolation("unknown_api", "unknown api key " + frame.getShort(frame.position()), null);
        }
        RequestHeader header;
        try {
            header = RequestHeader.parse(frame);
        } catch (RuntimeException e) {
            throw new ProtocolViolation("malformed", "unreadable request header", e);
        }
        if (!apis.serves(header.apiKey(), header.apiVersion())) {
            throw new ProtocolViolation("unsupported_version",
                    header.apiKey() + " v" + header.apiVersion() + " is not served (client " + header.clientId() + ")", null);
        }
        return header;
    }

    /** The context kafka-clients' parsers and response builders need for one request of a connection. */
    static RequestContext context(RequestHeader header, String connectionId, InetSocketAddress remote) {
        return new RequestContext(header, connectionId, remote.getAddress(), Optional.of(remote.getPort()),
                KafkaPrincipal.ANONYMOUS, LISTENER_NAME, SecurityProtocol.PLAINTEXT, ClientInformation.EMPTY, false);
    }

    /** Parses the request body that follows the header. */
    static AbstractRequest body(RequestContext ctx, ByteBuffer frame) throws ProtocolViolation {
        try {
            return ctx.parseRequest(frame).request;
        } catch (RuntimeException e) {
            throw new ProtocolViolation("malformed", "unreadable " + ctx.header.apiKey() + " v" + ctx.header.apiVersion()
                    + " request (client " + ctx.header.clientId() + ")", e);
        }
    }
}
