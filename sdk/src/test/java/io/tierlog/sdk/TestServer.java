package io.tierlog.sdk;

import io.tierlog.server.ServerConfig;
import io.tierlog.server.TierlogServer;
import java.net.URI;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A whole Tierlog server in this JVM (embedded S3, HTTP and Kafka on free ports) that can be stopped and started
 * again on the same ports and data, so that clients see the same server come back.
 */
final class TestServer implements AutoCloseable {
    private final Map<String, String> flags;
    private TierlogServer server;

    private TestServer(Map<String, String> flags) {
        this.flags = flags;
        start();
    }

    /** Starts a server on {@code dataDir}; {@code extra} flags override the defaults (free ports, fast retention). */
    static TestServer start(Path dataDir, Map<String, String> extra) {
        Map<String, String> f = new HashMap<>(Map.of("port", "0", "kafka.port", "0", "data.dir", dataDir.toString(),
                "retention.check.interval.ms", "100", "kafka.group.initial.rebalance.delay.ms", "0"));
        f.putAll(extra);
        return new TestServer(f);
    }

    /** Starts again after {@link #stop()}, on the ports of the first start. */
    synchronized void start() {
        if (server != null) {
            throw new IllegalStateException("already running");
        }
        server = TierlogServer.start(ServerConfig.load(null, Map.of(), flags));
        flags.put("port", String.valueOf(server.port()));
        if (!"-1".equals(flags.get("kafka.port"))) {
            flags.put("kafka.port", String.valueOf(server.kafkaPort()));
        }
    }

    /** A graceful stop: what was acknowledged stays; connections are closed. */
    synchronized void stop() {
        if (server != null) {
            server.close();
            server = null;
        }
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + flags.get("port"));
    }

    /** The port the Kafka listener is bound to (clients may be told another one: kafka.advertised.port). */
    int kafkaPort() {
        return Integer.parseInt(flags.get("kafka.port"));
    }

    @Override
    public void close() {
        stop();
    }
}
