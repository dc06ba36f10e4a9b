package io.tierlog.kafka;

import io.tierlog.auth.Authenticator;
import io.tierlog.auth.TlsFiles;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.MeterRegistry;

/**
 * Kafka's wire protocol on a Tierlog broker, in the broker's process: Kafka clients (Java, librdkafka) produce,
 * fetch, list offsets, manage topics and consume in groups (the classic protocol, coordinated here, committed
 * offsets through the backend) through it, and it turns their requests into {@link KafkaBackend} calls.
 * Requests are parsed and answers written with kafka-clients' own protocol classes; no Kafka type leaves this
 * module.
 *
 * <p>Each connection is served by its own virtual thread, one request at a time, answers in request order. A
 * client that breaks the protocol loses its connection, never the listener. Lifecycle: {@link #start()} once,
 * {@link #close()} once (idempotent); {@code close} stops accepting, closes every connection and waits (bounded)
 * until each released the fetch chunks it pinned, then stops the group coordinator's timers. Thread-safe.
 */
public final class KafkaListener implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KafkaListener.class);
    private static final long CLOSE_WAIT_MS = 5_000;

    private enum State { NEW, RUNNING, CLOSED }

    private final KafkaListenerConfig config;
    private final KafkaBackend backend;
    private final ListenerMetrics metrics;
    /**
     * Bytes of request frames all connections may hold at once (read, not yet handled): what bounds memory when many
     * clients send large requests, since one frame may be up to {@code maxRequestBytes}. A connection whose frame
     * does not fit waits (it stops reading: back-pressure), as with Kafka's {@code queued.max.request.bytes}.
     */
    private final RequestMemory requestMemory;
    private final Map<String, Connection> connections = new ConcurrentHashMap<>();
    private final AtomicLong connectionIds = new AtomicLong();
    private State state = State.NEW;
    private ServerSocketChannel server;
    private Thread acceptor;
    private GroupCoordinator groups;
    private int port;
    private final Authenticator authenticator;
    private final TlsFiles tls;

    public KafkaListener(KafkaListenerConfig config, KafkaBackend backend, MeterRegistry registry) {
        this(config, backend, registry, null);
    }

    /**
     * A listener that requires SASL (PLAIN, SCRAM-SHA-256/512) with the credentials of {@code authenticator} and
     * checks every request against the principal's grants; a null authenticator serves everyone as ANONYMOUS.
     */
    public KafkaListener(KafkaListenerConfig config, KafkaBackend backend, MeterRegistry registry,
                         Authenticator authenticator) {
        this(config, backend, registry, RequestMemory.defaultBudget(config.maxRequestBytes()), authenticator, null);
    }

    /**
     * As above, and with {@code tls} (null = plaintext) every connection speaks TLS (SASL_SSL, or SSL with a client
     * certificate that names a principal when the TLS files have a client CA).
     */
    public KafkaListener(KafkaListenerConfig config, KafkaBackend backend, MeterRegistry registry,
                         Authenticator authenticator, TlsFiles tls) {
        this(config, backend, registry, RequestMemory.defaultBudget(config.maxRequestBytes()), authenticator, tls);
    }

    /** With an explicit budget for request frames held at once (tests). */
    KafkaListener(KafkaListenerConfig config, KafkaBackend backend, MeterRegistry registry, int requestMemoryBudget) {
        this(config, backend, registry, requestMemoryBudget, null, null);
    }

    KafkaListener(KafkaListenerConfig config, KafkaBackend backend, MeterRegistry registry, int requestMemoryBudget,
                  Authenticator authenticator, TlsFiles tls) {
        this.authenticator = authenticator;
        this.tls = tls;
        if (requestMemoryBudget < config.maxRequestBytes()) {
            throw new IllegalArgumentException("the request memory budget " + requestMemoryBudget
                    + " must hold one frame of maxRequestBytes " + config.maxRequestBytes());
        }
        this.config = config;
        this.backend = backend;
        this.metrics = new ListenerMetrics(registry);
        this.requestMemory = new RequestMemory(requestMemoryBudget);
    }

    /** Bytes of the request-frame budget not held by any connection now (tests check nothing leaks). */
    int requestMemoryAvailable() {
        return requestMemory.available();
    }

    /** Binds and starts accepting. */
    public synchronized void start() throws IOException {
        if (state != State.NEW) {
            throw new IllegalStateException("the Kafka listener was already " + state.name().toLowerCase());
        }
        server = ServerSocketChannel.open();
        try {
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(new InetSocketAddress(config.bindHost(), config.port()), 128);
            port = ((InetSocketAddress) server.getLocalAddress()).getPort();
        } catch (IOException e) {
            server.close();
            throw e;
        }
        int advertisedPort = config.advertisedPort() == 0 ? port : config.advertisedPort();
        BrokerIdentity broker = new BrokerIdentity(config.nodeId(), config.advertisedHost(), advertisedPort);
        groups = new GroupCoordinator(backend, config.groups());
        RequestDispatcher dispatcher = new RequestDispatcher(backend, broker, new SupportedApis(authenticator != null), config.maxRequestBytes(),
                groups);
        acceptor = Thread.ofPlatform().name("kafka-acceptor-" + port).daemon().start(() -> accept(dispatcher));
        state = State.RUNNING;
        log.info("Kafka listener on {}:{}, advertised as {}:{}", config.bindHost(), port, broker.host(), broker.port());
    }

    /** The bound port (the ephemeral one when configured with 0). */
    public synchronized int port() {
        if (state == State.NEW) {
            throw new IllegalStateException("the Kafka listener is not started");
        }
        return port;
    }

    /**
     * The group as the coordinator holds it now: empty when it has neither members nor committed offsets, or before
     * {@link #start()}. For read-only views outside Kafka's protocol (the web console).
     */
    public Optional<GroupView> describeGroup(String groupId) {
        GroupCoordinator g;
        synchronized (this) {
            g = groups;
        }
        return g == null ? Optional.empty() : g.describe(groupId).map(GroupView::of);
    }

    /** Every group with members or committed offsets, by id (empty before {@link #start()}); for read-only views. */
    public List<String> groupIds() {
        GroupCoordinator g;
        synchronized (this) {
            g = groups;
        }
        return g == null ? List.of() : g.list().stream().map(GroupCoordinator.GroupListing::groupId).toList();
    }

    /** The group coordinator (for tests), once started. */
    synchronized GroupCoordinator groupCoordinator() {
        return groups;
    }

    private void accept(RequestDispatcher dispatcher) {
        while (true) {
            SocketChannel socket;
            try {
                socket = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (!server.isOpen()) {
                    return;
                }
                log.warn("accepting a Kafka connection failed", e);
                continue;
            }
            String id = "kafka-" + port + "-" + connectionIds.incrementAndGet();
            try {
                socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
            } catch (IOException e) {
                log.debug("TCP_NODELAY not set on {}", id, e);
            }
            Connection c = new Connection(id, socket, dispatcher, metrics, config.maxRequestBytes(), requestMemory,
                    authenticator == null ? null : new SaslSession(authenticator), tls,
                    () -> connections.remove(id));
            connections.put(id, c);
            c.start();
            if (!server.isOpen()) {
                c.close();
            }
        }
    }

    /** Stops accepting, closes every connection and waits (at most a few seconds) for their threads to end. */
    @Override
    public void close() {
        synchronized (this) {
            if (state != State.RUNNING) {
                state = State.CLOSED;
                return;
            }
            state = State.CLOSED;
        }
        try {
            server.close();
        } catch (IOException e) {
            log.warn("closing the Kafka listener's server socket failed", e);
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_WAIT_MS);
        try {
            acceptor.join(CLOSE_WAIT_MS);
            List<Connection> open = List.copyOf(connections.values());
            open.forEach(Connection::close);
            for (Connection c : open) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (!c.awaitEnd(Duration.ofMillis(Math.max(1, left)))) {
                    log.warn("Kafka connection {} did not end within {} ms", c.id(), CLOSE_WAIT_MS);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            groups.close();
        }
        log.info("Kafka listener on port {} closed", port);
    }
}
