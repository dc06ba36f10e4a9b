package io.tierlog.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The SDK's entry point for one Tierlog server: producers and consumers (kafka-clients over the server's Kafka
 * listener), the query client and topic administration (its HTTP API). Create one per application and share it;
 * closing it closes every producer and consumer made from it. Thread-safe.
 *
 * <p>{@link #create(URI)} needs only the HTTP address: the Kafka bootstrap address is asked from the server
 * ({@code GET /v1/cluster}) when the first producer or consumer is made. Behind a proxy or NAT that changes
 * addresses, name both with {@link #create(URI, String)}.
 *
 * <pre>{@code
 * try (TierlogClient client = TierlogClient.create(URI.create("http://127.0.0.1:7070"))) {
 *     client.createTopic("cpu", 4, Map.of());
 *     try (TierlogProducer producer = client.producer(ProducerConfig.defaults())) {
 *         producer.send("cpu", new MetricEvent("cpu.usage", Map.of("host", "a"), System.currentTimeMillis(), 0.42));
 *     }
 * }
 * }</pre>
 */
public final class TierlogClient implements AutoCloseable {
    private final Http http;
    private final TierlogQuery query;
    private final List<AutoCloseable> children = new CopyOnWriteArrayList<>();
    private volatile String kafkaBootstrapServers;
    private final Credentials credentials;

    private TierlogClient(URI baseUri, String kafkaBootstrapServers, Duration connectTimeout, Duration requestTimeout,
                          Credentials credentials) {
        if (!"http".equals(baseUri.getScheme()) && !"https".equals(baseUri.getScheme())) {
            throw new IllegalArgumentException("Tierlog URI must be http or https, was " + baseUri);
        }
        HttpClient httpClient = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout)
                .build();
        this.credentials = credentials;
        this.http = new Http(httpClient, baseUri, requestTimeout, credentials == null ? null : "Bearer " + credentials.token());
        this.query = new TierlogQuery(http, requestTimeout);
        this.kafkaBootstrapServers = kafkaBootstrapServers;
    }

    /**
     * A client of the server at {@code baseUri} (HTTP), with a 5 s connect timeout and a 30 s request timeout for
     * HTTP calls. Does no I/O; the Kafka address is discovered when first needed.
     */
    public static TierlogClient create(URI baseUri) {
        return create(baseUri, Duration.ofSeconds(5), Duration.ofSeconds(30));
    }

    /** As {@link #create(URI)}, with explicit HTTP timeouts. */
    public static TierlogClient create(URI baseUri, Duration connectTimeout, Duration requestTimeout) {
        return new TierlogClient(baseUri, null, connectTimeout, requestTimeout, null);
    }

    /**
     * A client that produces and consumes through {@code kafkaBootstrapServers} ({@code host:port[,host:port]}, as
     * kafka-clients' {@code bootstrap.servers}) and uses {@code baseUri} for queries and administration.
     */
    public static TierlogClient create(URI baseUri, String kafkaBootstrapServers) {
        if (kafkaBootstrapServers == null || kafkaBootstrapServers.isBlank()) {
            throw new IllegalArgumentException("kafkaBootstrapServers must name host:port");
        }
        return new TierlogClient(baseUri, kafkaBootstrapServers, Duration.ofSeconds(5), Duration.ofSeconds(30), null);
    }

    /**
     * A client of a server that authenticates: {@code credentials} go with every HTTP call (bearer token) and every
     * Kafka connection (SASL/PLAIN, {@code SASL_SSL} when {@code baseUri} is https). {@code kafkaBootstrapServers} may
     * be null (then discovered with {@code GET /v1/cluster}, which needs the token too).
     */
    public static TierlogClient create(URI baseUri, String kafkaBootstrapServers, Credentials credentials) {
        if (credentials == null) {
            throw new IllegalArgumentException("credentials must not be null (use create(URI) for an open server)");
        }
        return new TierlogClient(baseUri, kafkaBootstrapServers, Duration.ofSeconds(5), Duration.ofSeconds(30), credentials);
    }

    /** kafka-clients settings this client adds to its producers' and consumers' (SASL when it has credentials). */
    Map<String, Object> kafkaSecurity() {
        return credentials == null ? Map.of() : credentials.kafkaProperties("https".equals(http.base().getScheme()));
    }

    public URI baseUri() {
        return http.base();
    }

    /**
     * The Kafka bootstrap address producers and consumers use: the one given to {@link #create(URI, String)}, else
     * the server's answer to {@code GET /v1/cluster} (asked once).
     *
     * @throws TierlogClientException when the server has no Kafka listener or cannot be reached
     */
    public String kafkaBootstrapServers() {
        String b = kafkaBootstrapServers;
        if (b == null) {
            JsonNode n = http.getJson("/v1/cluster").path("kafkaBootstrapServers");
            if (!n.isTextual() || n.asText().isBlank()) {
                throw new TierlogClientException("the server at " + http.base() + " has no Kafka listener (started with"
                        + " --kafka-port -1); the SDK's producers and consumers need it");
            }
            b = n.asText();
            kafkaBootstrapServers = b;
        }
        return b;
    }

    /** A new producer; close it (or this client) to deliver what it still buffers. */
    public TierlogProducer producer(ProducerConfig config) {
        TierlogProducer p = new TierlogProducer(this, kafkaBootstrapServers(), config);
        children.add(p);
        return p;
    }

    /** A new consumer; call {@code subscribe} or {@code assign} on it before polling. */
    public TierlogConsumer consumer(ConsumerConfig config) {
        TierlogConsumer c = new TierlogConsumer(this, kafkaBootstrapServers(), config);
        children.add(c);
        return c;
    }

    /** The (stateless, shared) query client. */
    public TierlogQuery query() {
        return query;
    }

    /** True when {@code GET /v1/health} answers 200. */
    public boolean isHealthy() {
        try {
            return "ok".equals(http.getJson("/v1/health").path("status").asText());
        } catch (TierlogClientException e) {
            return false;
        }
    }

    /**
     * Creates a topic. {@code config} holds the optional keys of the HTTP API (schema, segmentBytes, retentionMs,
     * localRetentionBytes, ...). Throws {@link TierlogServerException.Conflict} when it exists.
     */
    public TopicInfo createTopic(String name, int partitions, Map<String, ?> config) {
        io.tierlog.core.Validation.topicName(name);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", name);
        body.put("partitions", partitions);
        body.put("config", config == null ? Map.of() : config);
        return TopicInfo.fromJson(http.sendJson("POST", "/v1/topics", body));
    }

    /** Describes a topic; throws {@link TierlogServerException.NotFound} when it does not exist. */
    public TopicInfo describeTopic(String name) {
        io.tierlog.core.Validation.topicName(name);
        return TopicInfo.fromJson(http.getJson("/v1/topics/" + Http.enc(name)));
    }

    public List<TopicInfo> listTopics() {
        List<TopicInfo> out = new ArrayList<>();
        for (JsonNode t : http.getJson("/v1/topics").path("topics")) {
            out.add(TopicInfo.fromJson(t));
        }
        return out;
    }

    /** Deletes a topic with its local and remote data. */
    public void deleteTopic(String name) {
        io.tierlog.core.Validation.topicName(name);
        http.delete("/v1/topics/" + Http.enc(name));
    }

    /** Called by a producer or consumer when it is closed, so the client does not keep it alive. */
    void forget(AutoCloseable child) {
        children.remove(child);
    }

    /** Closes every producer (delivering what they buffer) and consumer made from this client. */
    @Override
    public void close() {
        RuntimeException first = null;
        for (AutoCloseable c : List.copyOf(children)) {
            try {
                c.close();
            } catch (Exception e) {
                if (first == null) {
                    first = e instanceof RuntimeException re ? re : new TierlogClientException("close failed", e);
                }
            }
        }
        children.clear();
        http.client().close();
        if (first != null) {
            throw first;
        }
    }
}
