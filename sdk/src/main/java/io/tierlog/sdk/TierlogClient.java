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
 * The SDK's entry point: one connection pool to one Tierlog server, from which producers, consumers and the
 * query client are made, plus the topic administration calls. Create one per application and share it;
 * closing it closes every producer and consumer made from it.
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
    private final Duration requestTimeout;
    private final TierlogQuery query;
    private final List<AutoCloseable> children = new CopyOnWriteArrayList<>();

    private TierlogClient(URI baseUri, Duration connectTimeout, Duration requestTimeout) {
        HttpClient httpClient = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout)
                .build();
        this.http = new Http(httpClient, baseUri, requestTimeout);
        this.requestTimeout = requestTimeout;
        this.query = new TierlogQuery(http, requestTimeout);
    }

    /** A client with a 5 s connect timeout and a 30 s request timeout (long polls add their own wait). */
    public static TierlogClient create(URI baseUri) {
        return create(baseUri, Duration.ofSeconds(5), Duration.ofSeconds(30));
    }

    public static TierlogClient create(URI baseUri, Duration connectTimeout, Duration requestTimeout) {
        if (!"http".equals(baseUri.getScheme()) && !"https".equals(baseUri.getScheme())) {
            throw new IllegalArgumentException("Tierlog URI must be http or https, was " + baseUri);
        }
        return new TierlogClient(baseUri, connectTimeout, requestTimeout);
    }

    public URI baseUri() {
        return http.base();
    }

    /** A new producer; close it (or this client) to deliver what it still buffers. */
    public TierlogProducer producer(ProducerConfig config) {
        TierlogProducer p = new TierlogProducer(this, http, config, requestTimeout);
        children.add(p);
        return p;
    }

    /** A new consumer; call {@code subscribe} or {@code assign} on it before polling. */
    public TierlogConsumer consumer(ConsumerConfig config) {
        TierlogConsumer c = new TierlogConsumer(this, http, config, requestTimeout);
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
     * Creates a topic. {@code config} holds the optional keys of API.md (schema, segmentBytes, retentionMs,
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
