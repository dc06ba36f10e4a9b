package io.tierlog.server;

import io.tierlog.cold.housekeeping.RetentionPolicy;

import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What housekeeping does with a topic's old data (Kafka's {@code cleanup.policy}): delete whole segments by time
 * and size, keep the latest record per key, or both (Kafka Streams' windowed changelogs are {@code compact,delete}:
 * compacted, and segments past the retention dropped). A compacting policy keeps the topic local: compaction
 * rewrites local segments, which the cold tier cannot follow.
 */
enum CleanupPolicy {
    DELETE("delete", RetentionPolicy.Cleanup.DELETE),
    COMPACT("compact", RetentionPolicy.Cleanup.COMPACT),
    COMPACT_DELETE("compact,delete", RetentionPolicy.Cleanup.COMPACT_DELETE);

    /** The name in topic configs (both doors, topic.json). */
    final String configName;
    /** The same policy as the housekeeper, which applies it, names it. */
    final RetentionPolicy.Cleanup housekeeping;

    CleanupPolicy(String configName, RetentionPolicy.Cleanup housekeeping) {
        this.configName = configName;
        this.housekeeping = housekeeping;
    }

    boolean compacts() {
        return housekeeping.compacts();
    }

    /** Whether time and size retention delete whole segments. */
    boolean deletes() {
        return housekeeping.deletes();
    }

    /**
     * Parses Kafka's list form: {@code delete}, {@code compact}, or both in either order ({@code compact,delete},
     * {@code delete,compact}, spaces allowed around the comma); empty for anything else.
     */
    static Optional<CleanupPolicy> parse(String value) {
        Set<String> parts = new TreeSet<>();
        for (String p : value.split(",", -1)) {
            parts.add(p.trim());
        }
        for (CleanupPolicy c : values()) {
            if (parts.equals(new TreeSet<>(Arrays.asList(c.configName.split(","))))) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    /** The accepted values, for error messages. */
    static String choices() {
        return String.join(", ", Arrays.stream(values()).map(c -> "'" + c.configName + "'").toList());
    }
}
