package io.tierlog.kafka;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.apache.kafka.common.network.ClientInformation;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.network.Send;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.RequestContext;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection, served by one thread with blocking I/O: read a frame, handle it, write its answer, read
 * the next. Requests are thus handled and answered strictly in order (Kafka's muted channel does the same). A
 * frame outside [0, maxRequestBytes], a malformed or truncated request, an unknown api key or a version that is not
 * served closes this connection only. Every pinned fetch chunk is released once its response was written or failed.
 */
final class Connection implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(Connection.class);
    private static final ListenerName LISTENER_NAME = ListenerName.forSecurityProtocol(SecurityProtocol.PLAINTEXT);

    /** The client broke the protocol; the connection is closed and the reason counted. */
    private static final class ProtocolViolation extends Exception {
        final String reason;

        ProtocolViolation(String reason, String message, Throwable cause) {
            super(message, cause);
            this.reason = reason;
        }
    }

    private final String id;
    private final SocketChannel socket;
    private final SocketTransport transport;
    private final RequestDispatcher dispatcher;
    private final ListenerMetrics metrics;
    private final int maxRequestBytes;
    private final RequestMemory requestMemory;
    private final Runnable onClose;
    private final FetchSessions fetchSessions = new FetchSessions();
    private final ByteBuffer sizeBuffer = ByteBuffer.allocate(4);
    private volatile Thread thread;

    Connection(String id, SocketChannel socket, RequestDispatcher dispatcher, ListenerMetrics metrics,
               int maxRequestBytes, RequestMemory requestMemory, Runnable onClose) {
        this.id = id;
        this.socket = socket;
        this.transport = new SocketTransport(socket, metrics);
        this.dispatcher = dispatcher;
        this.metrics = metrics;
        this.maxRequestBytes = maxRequestBytes;
        this.requestMemory = requestMemory;
        this.onClose = onClose;
    }

    String id() {
        return id;
    }

    /** Starts serving on a new virtual thread. */
    void start() {
        Thread t = Thread.ofVirtual().name(id).unstarted(this);
        thread = t;
        t.start();
    }

    /** Waits until the serving thread ended (it released everything it pinned); false on timeout. */
    boolean awaitEnd(Duration timeout) throws InterruptedException {
        Thread t = thread;
        return t == null || t.join(timeout);
    }

    /** Closes the socket and interrupts a long poll; the serving thread then releases what it holds and ends. */
    void close() {
        closeSocket();
        Thread t = thread;
        if (t != null) {
            t.interrupt();
        }
    }

    @Override
    public void run() {
        metrics.connectionOpened();
        try {
            serve();
        } catch (ProtocolViolation e) {
            metrics.rejected(e.reason);
            log.info("closing Kafka connection {}: {}", id, e.getMessage());
            log.debug("Kafka connection {} broke the protocol", id, e);
        } catch (IOException e) {
            log.debug("Kafka connection {} ended: {}", id, e.toString());
        } catch (InterruptedException e) {
            log.debug("Kafka connection {} interrupted (listener closing)", id);
        } catch (Throwable t) {
            // top of the connection loop: log, close this connection, keep the listener serving the others
            log.error("Kafka connection {} failed", id, t);
        } finally {
            closeSocket();
            metrics.connectionClosed();
            onClose.run();
        }
    }

    private void serve() throws IOException, ProtocolViolation, InterruptedException {
        InetSocketAddress remote = (InetSocketAddress) socket.getRemoteAddress();
        while (true) {
            ByteBuffer frame = readFrame();
            if (frame == null) {
                return;
            }
            try {
                if (!handle(frame, remote)) {
                    return;
                }
            } finally {
                requestMemory.release(frame.capacity()); // handled: nothing refers to the frame any more
            }
        }
    }

    /** The next request frame, or null when the client closed the connection between frames. */
    private ByteBuffer readFrame() throws IOException, ProtocolViolation, InterruptedException {
        sizeBuffer.clear();
        if (!readFully(sizeBuffer, true)) {
            return null;
        }
        int size = sizeBuffer.getInt(0);
        // checked before allocating anything: a hostile size must not cost memory
        if (size < 0 || size > maxRequestBytes) {
            throw new ProtocolViolation("frame_size",
                    "request frame of " + size + " bytes is outside [0, " + maxRequestBytes + "]", null);
        }
        requestMemory.acquire(size);
        ByteBuffer frame;
        try {
            frame = ByteBuffer.allocate(size);
            readFully(frame, false);
        } catch (IOException | ProtocolViolation | RuntimeException e) {
            requestMemory.release(size);
            throw e;
        }
        metrics.bytesIn(4L + size);
        return frame.flip();
    }

    /** Fills {@code buf}; false on end of stream before the first byte when {@code eofAllowed}. */
    private boolean readFully(ByteBuffer buf, boolean eofAllowed) throws IOException, ProtocolViolation {
        while (buf.hasRemaining()) {
            int n = socket.read(buf);
            if (n < 0) {
                if (eofAllowed && buf.position() == 0) {
                    return false;
                }
                throw new ProtocolViolation("truncated",
                        "connection closed inside a frame (" + buf.position() + " of " + buf.capacity() + " bytes)", null);
            }
        }
        return true;
    }

    /** Handles one request; false when the connection must close afterwards. */
    private boolean handle(ByteBuffer frame, InetSocketAddress remote) throws IOException, ProtocolViolation,
            InterruptedException {
        if (frame.remaining() >= 2 && !ApiKeys.hasId(frame.getShort(frame.position()))) {
            throw new ProtocolViolation("unknown_api", "unknown api key " + frame.getShort(frame.position()), null);
        }
        RequestHeader header;
        try {
            header = RequestHeader.parse(frame);
        } catch (RuntimeException e) {
            throw new ProtocolViolation("malformed", "unreadable request header", e);
        }
        if (!dispatcher.apis().serves(header.apiKey(), header.apiVersion())) {
            throw new ProtocolViolation("unsupported_version",
                    header.apiKey() + " v" + header.apiVersion() + " is not served (client " + header.clientId() + ")", null);
        }
        RequestContext ctx = new RequestContext(header, id, remote.getAddress(), Optional.of(remote.getPort()),
                KafkaPrincipal.ANONYMOUS, LISTENER_NAME, SecurityProtocol.PLAINTEXT, ClientInformation.EMPTY, false);
        AbstractRequest request;
        try {
            request = ctx.parseRequest(frame).request;
        } catch (RuntimeException e) {
            throw new ProtocolViolation("malformed", "unreadable " + header.apiKey() + " v" + header.apiVersion()
                    + " request (client " + header.clientId() + ")", e);
        }
        metrics.request(header.apiKey());
        log.debug("{} v{} from {} on {}", header.apiKey(), header.apiVersion(), header.clientId(), id);
        Reply reply;
        try {
            reply = dispatcher.dispatch(request, ctx, fetchSessions);
        } catch (RuntimeException e) {
            log.warn("{} v{} from {} failed; answering UNKNOWN_SERVER_ERROR", header.apiKey(), header.apiVersion(),
                    header.clientId(), e);
            // a client that sent acks=0 reads no answer: close instead, as Kafka does
            reply = request instanceof ProduceRequest p && p.acks() == 0
                    ? new Reply.Close("a produce with acks=0 failed")
                    : new Reply.Respond(request.getErrorResponse(0, e));
        }
        return switch (reply) {
            case Reply.Silent s -> true;
            case Reply.Close c -> {
                log.debug("closing Kafka connection {}: {}", id, c.why());
                yield false;
            }
            case Reply.Respond r -> write(ctx, r.response(), r.pinned());
        };
    }

    private boolean write(RequestContext ctx, AbstractResponse response, List<FetchChunk> pinned) throws IOException {
        try {
            Send send;
            try {
                // built before any byte is written, so a serialisation failure can still close cleanly
                send = ctx.buildResponseSend(response);
            } catch (RuntimeException e) {
                log.warn("could not serialise {} v{} response; closing connection {}", ctx.header.apiKey(),
                        ctx.apiVersion(), id, e);
                return false;
            }
            metrics.errors(response.errorCounts());
            while (!send.completed()) {
                send.writeTo(transport);
            }
            metrics.bytesOut(send.size());
            return true;
        } finally {
            pinned.forEach(FetchChunk::release);
        }
    }

    private void closeSocket() {
        try {
            socket.close();
        } catch (IOException e) {
            log.debug("closing Kafka connection {} failed", id, e);
        }
    }
}
