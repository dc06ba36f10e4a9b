package io.tierlog.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/** Starts a whole server in-process (random ports, embedded S3, a temp data dir) and talks HTTP to it. */
final class ServerHarness implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    final Path dataDir;
    final TierlogServer server;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    final String base;

    ServerHarness(Path dataDir) {
        this(dataDir, Map.of());
    }

    ServerHarness(Path dataDir, Map<String, String> flags) {
        this.dataDir = dataDir;
        java.util.HashMap<String, String> f = new java.util.HashMap<>(Map.of("port", "0", "kafka.port", "0",
                "data.dir", dataDir.toString(), "retention.check.interval.ms", "100"));
        f.putAll(flags);
        this.server = TierlogServer.start(ServerConfig.load(null, Map.of(), f));
        this.base = "http://127.0.0.1:" + server.port();
    }

    /** A status, the body text and its JSON (null when the body is not JSON). */
    record Resp(int status, String body, JsonNode json, HttpResponse<byte[]> raw) {
        String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }
    }

    Resp get(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
    }

    Resp get(String path, String accept) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Accept", accept).GET());
    }

    Resp delete(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).DELETE());
    }

    Resp post(String path, String json) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    Resp put(String path, String json) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(json)));
    }

    Resp post(String path, String contentType, byte[] body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return send(b.POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    Resp send(HttpRequest.Builder b) {
        try {
            HttpResponse<byte[]> r = http.send(b.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofByteArray());
            String text = new String(r.body(), java.nio.charset.StandardCharsets.UTF_8);
            JsonNode n = null;
            String ct = r.headers().firstValue("Content-Type").orElse("");
            if (ct.startsWith("application/json")) {
                n = JSON.readTree(text);
            }
            return new Resp(r.statusCode(), text, n, r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Flags for a server whose Kafka groups rebalance at once (no initial delay waiting for more members). */
    static final Map<String, String> QUICK_GROUPS = Map.of("kafka.group.initial.rebalance.delay.ms", "0");

    /** A kafka-clients consumer of this server's Kafka listener in {@code group}, committing nothing by itself. */
    org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]> kafkaConsumer(String group, String clientId) {
        java.util.Properties p = new java.util.Properties();
        p.put("bootstrap.servers", "127.0.0.1:" + server.kafkaPort());
        p.put("group.id", group);
        p.put("client.id", clientId);
        p.put("enable.auto.commit", "false");
        var bytes = new org.apache.kafka.common.serialization.ByteArrayDeserializer();
        return new org.apache.kafka.clients.consumer.KafkaConsumer<>(p, bytes, bytes);
    }

    /** Creates a topic and checks the 201. */
    JsonNode createTopic(String name, int partitions, String configJson) {
        Resp r = post("/v1/topics", "{\"name\":\"" + name + "\",\"partitions\":" + partitions
                + (configJson == null ? "" : ",\"config\":" + configJson) + "}");
        if (r.status() != 201) {
            throw new AssertionError("create topic " + name + " -> " + r.status() + " " + r.body());
        }
        return r.json();
    }

    @Override
    public void close() {
        server.close();
    }
}
