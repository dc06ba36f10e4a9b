package io.tierlog.ingest;

/**
 * When a publish is acknowledged, so that a producer can trade latency for durability per request:
 * {@code LEADER} once the append reached the OS (survives a process crash), {@code DURABLE} once an fsync
 * covering it returned (survives a power loss).
 */
public enum Acks {
    LEADER,
    DURABLE;

    /** Parses the HTTP form ({@code leader} or {@code durable}), case-insensitively. */
    public static Acks parse(String text) {
        if (text != null) {
            for (Acks a : values()) {
                if (a.name().equalsIgnoreCase(text.trim())) {
                    return a;
                }
            }
        }
        throw new io.tierlog.core.InvalidInputException("unknown acks '" + text + "' (expected leader or durable)");
    }
}
