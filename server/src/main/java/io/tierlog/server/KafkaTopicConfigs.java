package io.tierlog.server;

import io.tierlog.cold.housekeeping.Housekeeper;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tierlog.kafka.KafkaBackend.ConfigEntry;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A topic's settings under Kafka's config names (CreateTopics, DescribeConfigs), translated to and from Tierlog's
 * {@link TopicConfig} so that both doors validate them in one place. Names Tierlog honours: retention.ms,
 * retention.bytes, segment.bytes, segment.ms, cleanup.policy ({@code delete}, {@code compact} or both),
 * remote.storage.enable, local.retention.ms, local.retention.bytes, compression.type ({@link TopicCompression})
 * and Tierlog's own tierlog.schema. A few Kafka
 * names are accepted only at the value that describes what Tierlog does anyway (message.timestamp.type=CreateTime,
 * min.insync.replicas=1, min.compaction.lag.ms=0, delete.retention.ms=86400000, ...):
 * Kafka Streams and the tools send several of them. Anything else is refused by name, with the reason where
 * Tierlog knows the setting but does not implement it.
 */
final class KafkaTopicConfigs {
    static final String SCHEMA = "tierlog.schema";

    /** A Kafka name accepted only at the values that describe what Tierlog does, and why no other value is. */
    private record Fixed(Set<String> values, String why) {
    }

    private static final Map<String, Fixed> FIXED = Map.of(
            "message.timestamp.type", new Fixed(Set.of("CreateTime"), "Tierlog keeps the producer's timestamps"),
            "min.insync.replicas", new Fixed(Set.of("1"), "Tierlog is a single broker"),
            "unclean.leader.election.enable", new Fixed(Set.of("false", "true"), "Tierlog is a single broker"),
            "min.compaction.lag.ms", new Fixed(Set.of("0"),
                    "compaction takes every closed segment; a minimum lag is not implemented"),
            "delete.retention.ms", new Fixed(Set.of(Long.toString(Housekeeper.DELETE_RETENTION_MS)),
                    "compacted topics keep tombstones for Kafka's default of 24 hours"));

    /** Kafka names Tierlog refuses with a reason (any other unknown name is refused as unsupported). */
    private static final Map<String, String> REFUSED = Map.of(
            "max.message.bytes", "Tierlog limits record values server-wide (--max-record-value-bytes), not batches per topic",
            "message.timestamp.before.max.ms", "timestamps are checked server-wide",
            "message.timestamp.after.max.ms", "timestamps are checked server-wide",
            "max.compaction.lag.ms", "compaction runs on every closed segment; no maximum lag is implemented");

    private KafkaTopicConfigs() {
    }

    /**
     * Parses Kafka configs over Tierlog's defaults for a topic created through Kafka: schema {@code bytes} unless
     * {@code tierlog.schema} says otherwise (Kafka clients write arbitrary bytes). Throws {@link ApiException}
     * (400) naming the bad key.
     */
    static TopicConfig parse(Map<String, String> configs) {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("schema", "bytes");
        String localMs = null;
        String localBytes = null;
        for (Map.Entry<String, String> e : configs.entrySet()) {
            String k = e.getKey();
            String v = e.getValue() == null ? "" : e.getValue().trim();
            switch (k) {
                case SCHEMA -> n.put("schema", v);
                case "retention.ms" -> n.put("retentionMs", number(k, v));
                case "retention.bytes" -> n.put("retentionBytes", number(k, v));
                case "segment.bytes" -> n.put("segmentBytes", number(k, v));
                case "segment.ms" -> n.put("segmentMs", number(k, v));
                case "cleanup.policy" -> n.put("cleanupPolicy", CleanupPolicy.parse(v).orElseThrow(() ->
                        ApiException.badRequest("topic config 'cleanup.policy' must be one of " + CleanupPolicy.choices()
                                + " on Tierlog, was '" + v + "'")).configName);
                case "remote.storage.enable" -> n.put("remoteStorage", bool(k, v));
                case "compression.type" -> n.put("compressionType", TopicCompression.parse(v).orElseThrow(() ->
                        ApiException.badRequest("topic config 'compression.type' must be one of "
                                + TopicCompression.choices() + " (or 'uncompressed'), was '" + v + "'")).configName);
                case "local.retention.ms" -> localMs = v;
                case "local.retention.bytes" -> localBytes = v;
                default -> {
                    Fixed fixed = FIXED.get(k);
                    if (fixed == null) {
                        String why = REFUSED.get(k);
                        throw ApiException.badRequest("unsupported topic config '" + k + "'"
                                + (why == null ? "" : " (" + why + ")") + "; supported: " + String.join(", ", names()));
                    }
                    if (!fixed.values().contains(v)) {
                        throw ApiException.badRequest("topic config '" + k + "' must be "
                                + String.join(" or ", new java.util.TreeSet<>(fixed.values())) + " on Tierlog ("
                                + fixed.why() + "), was '" + v + "'");
                    }
                }
            }
        }
        // Kafka's -2 for the local retention means "the same as the total retention"
        if (localMs != null) {
            long ms = number("local.retention.ms", localMs);
            n.put("localRetentionMs", ms == -2 ? (n.has("retentionMs") ? n.get("retentionMs").asLong()
                    : TopicConfig.DEFAULTS.retentionMs()) : ms);
        }
        if (localBytes != null) {
            long b = number("local.retention.bytes", localBytes);
            n.put("localRetentionBytes", b == -2 ? (n.has("retentionBytes") ? n.get("retentionBytes").asLong()
                    : TopicConfig.DEFAULTS.retentionBytes()) : b);
        }
        return TopicConfig.parse(n);
    }

    /** The topic's configuration under Kafka's names; {@code isDefault} where the value equals the default. */
    static List<ConfigEntry> describe(TopicConfig c) {
        TopicConfig d = TopicConfig.DEFAULTS;
        Map<String, ConfigEntry> out = new LinkedHashMap<>();
        put(out, "cleanup.policy", c.cleanupPolicy(), d.cleanupPolicy());
        put(out, "retention.ms", c.retentionMs(), d.retentionMs());
        put(out, "retention.bytes", c.retentionBytes(), d.retentionBytes());
        put(out, "segment.bytes", c.segmentBytes(), d.segmentBytes());
        put(out, "segment.ms", c.segmentMs(), d.segmentMs());
        put(out, "remote.storage.enable", c.remoteStorage(), d.remoteStorage());
        put(out, "local.retention.ms", c.localRetentionMs(), d.localRetentionMs());
        put(out, "local.retention.bytes", c.localRetentionBytes(), d.localRetentionBytes());
        put(out, SCHEMA, c.schema(), "bytes");
        out.put("message.timestamp.type", new ConfigEntry("message.timestamp.type", "CreateTime", true, true, false));
        put(out, "compression.type", c.compressionType(), d.compressionType());
        out.put("min.insync.replicas", new ConfigEntry("min.insync.replicas", "1", true, true, false));
        if (c.cleanup().compacts()) {
            out.put("min.compaction.lag.ms", new ConfigEntry("min.compaction.lag.ms", "0", true, true, false));
            out.put("delete.retention.ms", new ConfigEntry("delete.retention.ms",
                    Long.toString(Housekeeper.DELETE_RETENTION_MS), true, true, false));
        }
        return new ArrayList<>(out.values());
    }

    private static List<String> names() {
        List<String> all = new ArrayList<>(List.of("cleanup.policy", "retention.ms", "retention.bytes", "segment.bytes",
                "segment.ms", "remote.storage.enable", "local.retention.ms", "local.retention.bytes", "compression.type",
                SCHEMA));
        all.addAll(new java.util.TreeSet<>(FIXED.keySet()));
        return all;
    }

    private static void put(Map<String, ConfigEntry> out, String name, Object value, Object def) {
        out.put(name, new ConfigEntry(name, String.valueOf(value), value.equals(def), false, false));
    }

    private static long number(String key, String v) {
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("topic config '" + key + "' must be a whole number, was '" + v + "'");
        }
    }

    private static boolean bool(String key, String v) {
        if (!v.equalsIgnoreCase("true") && !v.equalsIgnoreCase("false")) {
            throw ApiException.badRequest("topic config '" + key + "' must be true or false, was '" + v + "'");
        }
        return Boolean.parseBoolean(v);
    }
}
