package io.tierlog.sdk;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * How a {@link TierlogConsumer} fetches and which group it belongs to. Each option is one kafka-clients consumer
 * property (the consumer is kafka-clients' {@code KafkaConsumer} underneath); anything else kafka-clients
 * understands goes in {@link #kafkaProperties()}. Immutable.
 *
 * @param group           {@code group.id}: the consumer group for {@code subscribe} (partitions shared among the
 *                        group's members), commits and {@link StartPosition#committed}; null for none
 * @param maxRecords      {@code max.poll.records}: most records one {@code poll} returns
 * @param maxWait         {@code fetch.max.wait.ms}: how long the server holds a fetch that has nothing new (long
 *                        poll)
 * @param outOfRangeReset {@code auto.offset.reset}: what to do when a position lies outside the log (retention
 *                        deleted it, or it is past the end): {@code EARLIEST} jumps to the log start, {@code LATEST}
 *                        to the end, {@code NONE} throws {@link TierlogServerException.OffsetOutOfRange} from poll
 * @param kafkaProperties further kafka-clients consumer properties (e.g. {@code client.id},
 *                        {@code session.timeout.ms}, {@code partition.assignment.strategy}); a key set by one of the
 *                        options above or by the consumer itself is refused
 */
public record ConsumerConfig(String group, int maxRecords, Duration maxWait, Reset outOfRangeReset,
                             Map<String, Object> kafkaProperties) {

    /** Policy applied when a consumer's position falls outside the partition's offsets. */
    public enum Reset { EARLIEST, LATEST, NONE }

    /** The kafka-clients keys set from the options above or by the consumer, with what sets each. */
    static final Map<String, String> OWNED_KEYS = Map.of(
            "bootstrap.servers", "the TierlogClient (GET /v1/cluster or TierlogClient.create(uri, bootstrapServers))",
            "key.deserializer", "the consumer (records are bytes; metric samples are decoded by the SDK)",
            "value.deserializer", "the consumer (records are bytes; metric samples are decoded by the SDK)",
            "group.id", "group",
            "max.poll.records", "maxRecords",
            "fetch.max.wait.ms", "maxWait",
            "auto.offset.reset", "outOfRangeReset (start positions are StartPosition)",
            "enable.auto.commit", "nothing: the consumer commits only in commitSync");

    public ConsumerConfig {
        if (group != null) {
            io.tierlog.core.Validation.groupName(group);
        }
        if (maxRecords <= 0) {
            throw new IllegalArgumentException("maxRecords must be > 0, was " + maxRecords);
        }
        if (maxWait.isNegative() || maxWait.toMillis() > 30_000) {
            throw new IllegalArgumentException("maxWait must be 0..30s, was " + maxWait);
        }
        if (outOfRangeReset == null) {
            throw new IllegalArgumentException("outOfRangeReset must not be null");
        }
        kafkaProperties = KafkaProperties.checked(kafkaProperties, OWNED_KEYS);
    }

    /** No group, 1000 records per poll, 500 ms long poll, reset to earliest. */
    public static ConsumerConfig defaults() {
        return new ConsumerConfig(null, 1000, Duration.ofMillis(500), Reset.EARLIEST, Map.of());
    }

    public static ConsumerConfig group(String group) {
        return defaults().withGroup(group);
    }

    public ConsumerConfig withGroup(String g) {
        return new ConsumerConfig(g, maxRecords, maxWait, outOfRangeReset, kafkaProperties);
    }

    public ConsumerConfig withMaxRecords(int n) {
        return new ConsumerConfig(group, n, maxWait, outOfRangeReset, kafkaProperties);
    }

    public ConsumerConfig withMaxWait(Duration d) {
        return new ConsumerConfig(group, maxRecords, d, outOfRangeReset, kafkaProperties);
    }

    public ConsumerConfig withOutOfRangeReset(Reset r) {
        return new ConsumerConfig(group, maxRecords, maxWait, r, kafkaProperties);
    }

    /** This config plus one further kafka-clients consumer property. */
    public ConsumerConfig withKafkaProperty(String key, Object value) {
        Map<String, Object> m = new LinkedHashMap<>(kafkaProperties);
        m.put(key, value);
        return new ConsumerConfig(group, maxRecords, maxWait, outOfRangeReset, m);
    }

    /** The kafka-clients properties of this config for a server at {@code bootstrapServers}. */
    Map<String, Object> toKafka(String bootstrapServers) {
        Map<String, Object> p = new java.util.HashMap<>(kafkaProperties);
        p.put("bootstrap.servers", bootstrapServers);
        if (group != null) {
            p.put("group.id", group);
        }
        p.put("max.poll.records", String.valueOf(maxRecords));
        p.put("fetch.max.wait.ms", String.valueOf(maxWait.toMillis()));
        p.put("auto.offset.reset", outOfRangeReset.name().toLowerCase(Locale.ROOT));
        p.put("enable.auto.commit", "false");
        return p;
    }
}
