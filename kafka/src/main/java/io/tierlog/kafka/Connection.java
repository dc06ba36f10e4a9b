package io.tierlog.kafka;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.network.Send;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.SaslAuthenticateRequest;
import org.apache.kafka.common.requests.SaslHandshakeRequest;
import io.tierlog.auth.Principal;
import io.tierlog.auth.TlsFiles;
import org.apache.kafka.common.requests.RequestContext;
import org.apache.kafka.common.requests.RequestHeader;
import io.tierlog.kafka.RequestDecoder.ProtocolViolation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection with blocking I/O on two virtual threads: a reader that reads frames and hands requests to
 * their handlers, and a writer that writes the answers strictly in request order. Produce requests are pipelined:
 * the reader hands the next one to the ingest ring while earlier ones still wait for their acknowledgement (up to
 * {@value #MAX_IN_FLIGHT}, the Java producer's default in-flight limit), so one fsync covers the durable produces
 * of several requests. Every other request waits until all earlier ones are answered and is then handled alone,
 * as Kafka's muted channel handles every request. A frame outside [0, maxRequestBytes], a malformed or truncated
 * request, an unknown api key or a version that is not served closes this connection only. Every pinned fetch
 * chunk is released once its response was written or abandoned.
 */
final class Connection implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(Connection.class);
    /** Produce requests of one connection appended but not yet answered, at most. */
    static final int MAX_IN_FLIGHT = 5;

    private final String id;
    private final SocketChannel socket;
    private final org.apache.kafka.common.network.TransferableChannel transport;
    /** Where request bytes come from: the socket, or the TLS channel over it. */
    private final java.nio.channels.ByteChannel in;
    /** The TLS channel when the listener speaks TLS, else null. */
    private final tlschannel.TlsChannel tls;
    private final RequestDispatcher dispatcher;
    private final ListenerMetrics metrics;
    private final int maxRequestBytes;
    private final RequestMemory requestMemory;
    private final Runnable onClose;
    private final FetchSessions fetchSessions = new FetchSessions();
    private final ByteBuffer sizeBuffer = ByteBuffer.allocate(4);
    /** Requests read and not yet answered, in order; the writer answers them one by one. */
    private final ArrayBlockingQueue<Pending> pending = new ArrayBlockingQueue<>(MAX_IN_FLIGHT + 1);
    private volatile Thread thread;
    private volatile Thread writerThread;
    /** Set once an answer could not be written or a reply closes the connection: later answers are dropped. */
    private volatile boolean broken;

    /** A request being handled: its answer (when done), the frame bytes it holds and when it was written. */
    private record Pending(RequestContext ctx, CompletableFuture<Reply> reply, int frameBytes,
                           CompletableFuture<Void> written) {
        static final Pending END = new Pending(null, null, 0, null);
    }

    /** Null when the listener has no authentication; else this connection's SASL exchange. */
    private final SaslSession sasl;
    /** Who this connection acts for: ANONYMOUS without authentication, null until SASL succeeded. Reader thread only. */
    private Principal principal;

    Connection(String id, SocketChannel socket, RequestDispatcher dispatcher, ListenerMetrics metrics,
               int maxRequestBytes, RequestMemory requestMemory, SaslSession sasl, TlsFiles tlsFiles, Runnable onClose) {
        this.id = id;
        if (tlsFiles != null) {
            // the handshake runs on the first read, on the reader's thread
            this.tls = tlschannel.ServerTlsChannel.newBuilder(socket, tlsFiles.context()).withEngineFactory(ctx -> {
                javax.net.ssl.SSLEngine e = ctx.createSSLEngine();
                e.setUseClientMode(false);
                e.setWantClientAuth(tlsFiles.clientCertificates());
                return e;
            }).build();
            this.in = tls;
            this.transport = new TlsTransport(tls, metrics);
        } else {
            this.tls = null;
            this.in = socket;
            this.transport = new SocketTransport(socket, metrics);
        }
        this.sasl = sasl;
        this.principal = sasl == null ? Principal.ANONYMOUS : null;
        this.socket = socket;
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

    /** The writer: answers the pending requests in order; after a failure it only releases what they hold. */
    private void writeAnswers() {
        while (true) {
            Pending p;
            try {
                p = pending.take();
            } catch (InterruptedException e) {
                // closing: the reader puts END after its last request, and releases anything left (see serve)
                Thread.currentThread().interrupt();
                return;
            }
            if (p == Pending.END) {
                return;
            }
            Reply reply = null;
            try {
                reply = p.reply().join();
                if (!broken) {
                    switch (reply) {
                        case Reply.Silent s -> { }
                        case Reply.Close c -> {
                            log.debug("closing Kafka connection {}: {}", id, c.why());
                            broken = true;
                            closeSocket();
                        }
                        case Reply.Final f -> {
                            write(p.ctx(), f.response());
                            log.info("closing Kafka connection {}: {}", id, f.why());
                            broken = true;
                            closeSocket();
                        }
                        case Reply.Respond r -> {
                            if (!write(p.ctx(), r.response())) {
                                broken = true;
                                closeSocket();
                            }
                        }
                    }
                }
            } catch (IOException e) {
                log.debug("Kafka connection {}: writing an answer failed: {}", id, e.toString());
                broken = true;
                closeSocket();
            } catch (RuntimeException e) {
                log.error("Kafka connection {}: an answer failed; closing", id, e);
                broken = true;
                closeSocket();
            } finally {
                if (reply instanceof Reply.Respond r) {
                    r.pinned().forEach(FetchChunk::release);
                }
                requestMemory.release(p.frameBytes()); // answered: nothing refers to the frame any more
                p.written().complete(null);
            }
        }
    }

    /** Closes the socket and interrupts a long poll; the serving thread then releases what it holds and ends. */
    void close() {
        closeSocket();
        for (Thread t : new Thread[]{thread, writerThread}) {
            if (t != null) {
                t.interrupt();
            }
        }
    }

    @Override
    public void run() {
        metrics.connectionOpened();
        Thread writer = Thread.ofVirtual().name(id + "-writer").unstarted(this::writeAnswers);
        writerThread = writer;
        writer.start();
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
            endWriter(writer);
            closeSocket();
            metrics.connectionClosed();
            onClose.run();
        }
    }

    /** Lets the writer answer what was read (unless the connection broke), then makes sure it ended. */
    private void endWriter(Thread writer) {
        boolean interrupted = Thread.interrupted();
        try {
            while (!pending.offer(Pending.END, 100, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                broken = true; // the queue is full and we are leaving: drop the answers, release what they hold
                if (!writer.isAlive()) {
                    break;
                }
            }
            writer.join(Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            interrupted = true;
        } finally {
            if (writer.isAlive()) {
                writer.interrupt();
            }
            // anything the writer never reached (it was interrupted): release it here
            for (Pending p; (p = pending.poll()) != null; ) {
                if (p != Pending.END) {
                    abandon(p);
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void serve() throws IOException, ProtocolViolation, InterruptedException {
        InetSocketAddress remote = (InetSocketAddress) socket.getRemoteAddress();
        Pending last = null;
        while (!broken) {
            ByteBuffer frame = readFrame();
            if (frame == null) {
                return;
            }
            Pending p;
            try {
                p = handle(frame, remote, last);
            } catch (ProtocolViolation | InterruptedException | RuntimeException e) {
                requestMemory.release(frame.capacity());
                throw e;
            }
            try {
                pending.put(p); // waits while MAX_IN_FLIGHT requests are unanswered
            } catch (InterruptedException e) {
                abandon(p);
                throw e;
            }
            last = p;
        }
    }

    /** Releases what a request that will not be answered holds (its frame now, its fetched chunks once known). */
    private void abandon(Pending p) {
        p.reply().thenAccept(r -> {
            if (r instanceof Reply.Respond respond) {
                respond.pinned().forEach(FetchChunk::release);
            }
        });
        requestMemory.release(p.frameBytes());
        p.written().complete(null);
    }

    /** The next request frame, or null when the client closed the connection between frames. */
    private ByteBuffer readFrame() throws IOException, ProtocolViolation, InterruptedException {
        sizeBuffer.clear();
        if (!readFully(sizeBuffer, true)) {
            return null;
        }
        // checked before allocating anything: a hostile size must not cost memory
        int size = RequestDecoder.checkFrameSize(sizeBuffer.getInt(0), maxRequestBytes);
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
            int n = in.read(buf);
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

    /**
     * Parses one request and starts handling it: a Produce is handed to the ring at once and answered when its
     * appends complete; any other request first waits until every earlier one was answered ({@code last}), then is
     * handled here, alone.
     */
    private Pending handle(ByteBuffer frame, InetSocketAddress remote, Pending last) throws ProtocolViolation,
            InterruptedException {
        RequestHeader header = RequestDecoder.header(frame, dispatcher.apis());
        ApiKeys key = header.apiKey();
        if (principal == null && tls != null && sasl != null) {
            principal = certificatePrincipal(); // a client certificate from the client CA stands for SASL
        }
        if (principal == null && key != ApiKeys.API_VERSIONS && key != ApiKeys.SASL_HANDSHAKE
                && key != ApiKeys.SASL_AUTHENTICATE) {
            // as Kafka: nothing but the SASL exchange (and ApiVersions) before authentication
            throw new ProtocolViolation("unauthenticated", key + " before SASL authentication (client "
                    + header.clientId() + ")", null);
        }
        RequestContext ctx = RequestDecoder.context(header, id, remote);
        AbstractRequest request = RequestDecoder.body(ctx, frame);
        metrics.request(header.apiKey());
        log.debug("{} v{} from {} on {}", header.apiKey(), header.apiVersion(), header.clientId(), id);
        CompletableFuture<Reply> reply;
        if (request instanceof ProduceRequest produce) {
            Principal who = principal;
            reply = failSafe(request, () -> dispatcher.produce(produce, who));
        } else {
            if (last != null) {
                try {
                    last.written().get(); // every earlier request answered: handled alone, as by Kafka
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new IllegalStateException("the writer failed an answer", e);
                }
            }
            Reply r;
            try {
                r = switch (request) {
                    case SaslHandshakeRequest h when sasl != null && principal == null -> saslStep(sasl.handshake(h));
                    case SaslAuthenticateRequest a when sasl != null && principal == null -> saslStep(sasl.authenticate(a));
                    case SaslHandshakeRequest h -> new Reply.Close("SaslHandshake after authentication (re-authentication is not served)");
                    case SaslAuthenticateRequest a -> new Reply.Close("SaslAuthenticate after authentication");
                    default -> dispatcher.dispatch(request, ctx, fetchSessions, principal);
                };
            } catch (RuntimeException e) {
                r = onFailure(request, e);
            }
            reply = CompletableFuture.completedFuture(r);
        }
        return new Pending(ctx, reply, frame.capacity(), new CompletableFuture<>());
    }

    /** The principal a TLS client certificate names (subject CN), or null without one. */
    private Principal certificatePrincipal() {
        try {
            java.security.cert.Certificate[] chain = tls.getSslEngine().getSession().getPeerCertificates();
            if (chain.length > 0 && chain[0] instanceof java.security.cert.X509Certificate x) {
                return TlsFiles.principalName(x).flatMap(sasl::principal).orElse(null);
            }
        } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
            return null; // no client certificate: SASL it is
        }
        return null;
    }

    /** Applies a SASL step's outcome to this connection and returns its answer. */
    private Reply saslStep(SaslSession.Step step) {
        if (step.failed()) {
            metrics.rejected("sasl_failed");
        }
        step.authenticated().ifPresent(p -> {
            principal = p;
            log.debug("Kafka connection {} authenticated as {}", id, p.name());
        });
        return step.reply();
    }

    /** A produce's asynchronous reply; a handler failure becomes the error answer instead of an exception. */
    private CompletableFuture<Reply> failSafe(AbstractRequest request, java.util.function.Supplier<CompletableFuture<Reply>> start) {
        CompletableFuture<Reply> started;
        try {
            started = start.get();
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(onFailure(request, e));
        }
        return started.exceptionally(e -> onFailure(request, e instanceof java.util.concurrent.CompletionException
                && e.getCause() != null ? e.getCause() : e));
    }

    private Reply onFailure(AbstractRequest request, Throwable e) {
        log.warn("{} v{} on {} failed; answering UNKNOWN_SERVER_ERROR", request.apiKey(), request.version(), id, e);
        // a client that sent acks=0 reads no answer: close instead, as Kafka does
        return request instanceof ProduceRequest p && p.acks() == 0
                ? new Reply.Close("a produce with acks=0 failed")
                : new Reply.Respond(request.getErrorResponse(0, e));
    }

    /** Writes one answer; false when it could not be serialised (the connection then closes). */
    private boolean write(RequestContext ctx, AbstractResponse response) throws IOException {
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
    }

    private void closeSocket() {
        try {
            socket.close();
        } catch (IOException e) {
            log.debug("closing Kafka connection {} failed", id, e);
        }
    }
}
