package io.tierlog.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A topic's description as the server reports it ({@code GET /v1/topics/{topic}}): what the producer needs to
 * partition, and what consumers need to start from the earliest or latest offset.
 */
public record TopicInfo(String name, Map<String, Object> config, List<PartitionInfo> partitions) {

    public TopicInfo {
        config = Map.copyOf(config);
        partitions = List.copyOf(partitions);
    }

    /** One partition's offsets and segment counts at the time of the call. */
    public record PartitionInfo(int partition, long logStartOffset, long localLogStartOffset, long highWatermark,
                                long remoteEndOffset, int hotSegments, int coldSegments) {
    }

    /** The topic's schema: {@code metrics} (the default) or {@code bytes}. */
    public String schema() {
        Object s = config.get("schema");
        return s == null ? "metrics" : s.toString();
    }

    public boolean isMetrics() {
        return "metrics".equals(schema());
    }

    public PartitionInfo partition(int p) {
        for (PartitionInfo i : partitions) {
            if (i.partition() == p) {
                return i;
            }
        }
        throw new IllegalArgumentException("topic " + name + " has no partition " + p);
    }

    static TopicInfo fromJson(JsonNode n) {
        Map<String, Object> config = new LinkedHashMap<>();
        n.path("config").properties().forEach(e -> {
            JsonNode v = e.getValue();
            if (!v.isNull()) {
                config.put(e.getKey(), v.isNumber() ? v.numberValue() : v.isBoolean() ? v.booleanValue() : v.asText());
            }
        });
        List<PartitionInfo> ps = new ArrayList<>();
        for (JsonNode p : n.path("partitions")) {
            ps.add(new PartitionInfo(p.path("partition").asInt(), p.path("logStartOffset").asLong(),
                    p.path("localLogStartOffset").asLong(), p.path("highWatermark").asLong(),
                    p.path("remoteEndOffset").asLong(), p.path("hotSegments").asInt(), p.path("coldSegments").asInt()));
        }
        return new TopicInfo(n.path("name").asText(), config, ps);
    }
}
