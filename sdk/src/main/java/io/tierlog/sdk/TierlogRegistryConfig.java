package io.tierlog.sdk;

import io.micrometer.core.instrument.push.PushRegistryConfig;

/**
 * Configuration of {@link TierlogMeterRegistry}, in Micrometer's style: every property is read through
 * {@link #get(String)} under the prefix {@code tierlog} (e.g. {@code tierlog.uri}, {@code tierlog.topic},
 * {@code tierlog.step}), so Spring Boot properties or a plain lambda can supply it.
 */
public interface TierlogRegistryConfig extends PushRegistryConfig {

    /** Every property at its default. */
    TierlogRegistryConfig DEFAULT = k -> null;

    @Override
    default String prefix() {
        return "tierlog";
    }

    /** Base URI of the Tierlog server. */
    default String uri() {
        String v = get(prefix() + ".uri");
        return v == null ? "http://127.0.0.1:7070" : v;
    }

    /**
     * The Kafka bootstrap address ({@code host:port}); null (the default) asks the server at {@link #uri()}
     * ({@code GET /v1/cluster}).
     */
    default String bootstrapServers() {
        return get(prefix() + ".bootstrapServers");
    }

    /** The metrics topic the meters are written to. */
    default String topic() {
        String v = get(prefix() + ".topic");
        return v == null ? "metrics" : v;
    }

    /** Whether the registry creates the topic (schema {@code metrics}) when it does not exist. */
    default boolean createTopic() {
        String v = get(prefix() + ".createTopic");
        return v == null || Boolean.parseBoolean(v);
    }

    /** Partitions of the topic when the registry creates it. */
    default int topicPartitions() {
        String v = get(prefix() + ".topicPartitions");
        return v == null ? 1 : Integer.parseInt(v);
    }
}
