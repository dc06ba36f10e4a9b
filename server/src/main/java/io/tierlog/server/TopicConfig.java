package io.tierlog.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tierlog.cold.housekeeping.RetentionPolicy;

import java.util.Iterator;
import java.util.Set;

/**
 * A topic's settings as the API names them ({@code config} of POST /v1/topics). Byte and time limits use -1
 * for "unlimited". It exists as its own value so that parsing is strict in one place: unknown keys, wrong
 * types and out-of-range values are rejected with a message naming the key.
 */
record TopicConfig(String schema, long segmentBytes, long segmentMs, long retentionMs, long retentionBytes,
                   long localRetentionMs, long localRetentionBytes, String cleanupPolicy, boolean remoteStorage,
                   String compressionType) {

    static final TopicConfig DEFAULTS = new TopicConfig("metrics", 128L * 1024 * 1024, 60L * 60 * 1000,
            7L * 24 * 60 * 60 * 1000, -1, 24L * 60 * 60 * 1000, -1, "delete", true, "producer");

    private static final Set<String> KEYS = Set.of("schema", "segmentBytes", "segmentMs", "retentionMs",
            "retentionBytes", "localRetentionMs", "localRetentionBytes", "cleanupPolicy", "remoteStorage",
            "compressionType");

    boolean metrics() {
        return schema.equals("metrics");
    }

    CleanupPolicy cleanup() {
        return CleanupPolicy.parse(cleanupPolicy)
                .orElseThrow(() -> new IllegalStateException("unchecked cleanup policy '" + cleanupPolicy + "'"));
    }

    TopicCompression compression() {
        return TopicCompression.parse(compressionType)
                .orElseThrow(() -> new IllegalStateException("unchecked compression type '" + compressionType + "'"));
    }

    /** The housekeeper's view of these settings (the tiers' own terms). */
    RetentionPolicy retentionPolicy() {
        return new RetentionPolicy(remoteStorage ? RetentionPolicy.Storage.TIERED : RetentionPolicy.Storage.LOCAL,
                cleanup().housekeeping, new RetentionPolicy.Limits(retentionMs, retentionBytes),
                new RetentionPolicy.Limits(localRetentionMs, localRetentionBytes));
    }

    /** Parses the JSON {@code config} object over the defaults; null or missing = all defaults. */
    static TopicConfig parse(JsonNode node) {
        if (node == null || node.isNull()) {
            return DEFAULTS;
        }
        if (!node.isObject()) {
            throw ApiException.badRequest("config must be a JSON object");
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!KEYS.contains(k)) {
                throw ApiException.badRequest("unknown config key '" + k + "'; known keys: " + String.join(", ",
                        new java.util.TreeSet<>(KEYS)));
            }
        }
        TopicConfig d = DEFAULTS;
        String schema = text(node, "schema", d.schema);
        if (!schema.equals("metrics") && !schema.equals("bytes")) {
            throw ApiException.badRequest("config.schema must be 'metrics' or 'bytes', was '" + schema + "'");
        }
        String cleanupText = text(node, "cleanupPolicy", d.cleanupPolicy);
        CleanupPolicy policy = CleanupPolicy.parse(cleanupText).orElseThrow(() -> ApiException.badRequest(
                "config.cleanupPolicy must be one of " + CleanupPolicy.choices() + ", was '" + cleanupText + "'"));
        String cleanup = policy.configName;
        String compressionText = text(node, "compressionType", d.compressionType);
        String compression = TopicCompression.parse(compressionText).orElseThrow(() -> ApiException.badRequest(
                "config.compressionType must be one of " + TopicCompression.choices() + ", was '" + compressionText + "'"))
                .configName;
        long segmentBytes = number(node, "segmentBytes", d.segmentBytes);
        if (segmentBytes < 1024 || segmentBytes > Integer.MAX_VALUE) {
            throw ApiException.badRequest("config.segmentBytes must be in 1024.." + Integer.MAX_VALUE + ", was " + segmentBytes);
        }
        long segmentMs = number(node, "segmentMs", d.segmentMs);
        if (segmentMs <= 0) {
            throw ApiException.badRequest("config.segmentMs must be > 0, was " + segmentMs);
        }
        long retentionMs = limit(node, "retentionMs", d.retentionMs, false);
        long retentionBytes = limit(node, "retentionBytes", d.retentionBytes, false);
        long localRetentionMs = limit(node, "localRetentionMs", d.localRetentionMs, true);
        long localRetentionBytes = limit(node, "localRetentionBytes", d.localRetentionBytes, true);
        // compaction rewrites local segments, which the cold tier cannot follow: compacted topics stay local
        boolean compact = policy.compacts();
        boolean remote = !compact && d.remoteStorage;
        JsonNode r = node.get("remoteStorage");
        if (r != null && !r.isNull()) {
            if (!r.isBoolean()) {
                throw ApiException.badRequest("config.remoteStorage must be true or false");
            }
            remote = r.booleanValue();
            if (remote && compact) {
                throw ApiException.badRequest("config.cleanupPolicy '" + cleanup + "' needs remoteStorage false"
                        + " (compacted topics are not offloaded to the cold tier)");
            }
        }
        return new TopicConfig(schema, segmentBytes, segmentMs, retentionMs, retentionBytes, localRetentionMs,
                localRetentionBytes, cleanup, remote, compression);
    }

    void writeTo(ObjectNode out) {
        out.put("schema", schema);
        out.put("segmentBytes", segmentBytes);
        out.put("segmentMs", segmentMs);
        out.put("retentionMs", retentionMs);
        out.put("retentionBytes", retentionBytes);
        out.put("localRetentionMs", localRetentionMs);
        out.put("localRetentionBytes", localRetentionBytes);
        out.put("cleanupPolicy", cleanupPolicy);
        out.put("remoteStorage", remoteStorage);
        out.put("compressionType", compressionType);
    }

    private static String text(JsonNode node, String key, String def) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return def;
        }
        if (!v.isTextual()) {
            throw ApiException.badRequest("config." + key + " must be a string");
        }
        return v.textValue();
    }

    private static long number(JsonNode node, String key, long def) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return def;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw ApiException.badRequest("config." + key + " must be a whole number");
        }
        return v.longValue();
    }

    private static long limit(JsonNode node, String key, long def, boolean zeroAllowed) {
        long v = number(node, key, def);
        if (v < -1 || (v == 0 && !zeroAllowed)) {
            throw ApiException.badRequest("config." + key + " must be " + (zeroAllowed ? ">= 0" : "> 0")
                    + " or -1 (unlimited), was " + v);
        }
        return v;
    }
}
