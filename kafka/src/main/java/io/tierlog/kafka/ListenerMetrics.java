package io.tierlog.kafka;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** The listener's Micrometer meters. Thread-safe. */
final class ListenerMetrics {

    private final MeterRegistry registry;
    private final AtomicInteger openConnections;
    private final Counter bytesIn;
    private final Counter bytesOut;
    private final Counter sendfileBytes;
    private final Counter sendfileFallbackBytes;

    ListenerMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.openConnections = registry.gauge("tierlog.kafka.connections.open", new AtomicInteger());
        this.bytesIn = Counter.builder("tierlog.kafka.bytes.in").baseUnit("bytes")
                .description("request bytes read, size prefixes included").register(registry);
        this.bytesOut = Counter.builder("tierlog.kafka.bytes.out").baseUnit("bytes")
                .description("response bytes written, size prefixes included").register(registry);
        this.sendfileBytes = Counter.builder("tierlog.kafka.fetch.sendfile.bytes").baseUnit("bytes")
                .description("fetched file-region bytes sent with sendfile (zero copy)").register(registry);
        this.sendfileFallbackBytes = Counter.builder("tierlog.kafka.fetch.copied.bytes").baseUnit("bytes")
                .description("fetched file-region bytes copied through the heap because the client's socket was full")
                .register(registry);
    }

    void sendfileBytes(long n) {
        sendfileBytes.increment(n);
    }

    /** sendfile found the client's socket full; the next bytes go through the heap with a blocking write. */
    void socketFull() {
        registry.counter("tierlog.kafka.fetch.socket.full").increment();
    }

    void sendfileFallbackBytes(long n) {
        sendfileFallbackBytes.increment(n);
    }

    void connectionOpened() {
        openConnections.incrementAndGet();
    }

    void connectionClosed() {
        openConnections.decrementAndGet();
    }

    void bytesIn(long n) {
        bytesIn.increment(n);
    }

    void bytesOut(long n) {
        bytesOut.increment(n);
    }

    void request(ApiKeys api) {
        registry.counter("tierlog.kafka.requests", "api", api.name).increment();
    }

    /** Counts every error code a response carries (top level and per partition), as Kafka's own metrics do. */
    void errors(Map<Errors, Integer> counts) {
        counts.forEach((error, n) -> {
            if (error != Errors.NONE && n > 0) {
                registry.counter("tierlog.kafka.errors", "code", error.name()).increment(n);
            }
        });
    }

    /** A connection closed for breaking the protocol (frame size, malformed request, unknown api or version). */
    void rejected(String reason) {
        registry.counter("tierlog.kafka.connections.rejected", "reason", reason).increment();
    }
}
