package io.tierlog.core;

/**
 * Bounds on every input, enforced at the edge (docs/api-notes.md, "Limits"). One value object so that the server's
 * configuration, the SDK and validation agree on the same numbers.
 */
public record Limits(int maxRequestBytes, int maxRecordValueBytes, int maxTags, int maxNameLength,
                     int maxTagValueLength, long maxWaitMs, int maxRecordsPerResponse) {

    public static final Limits DEFAULTS = new Limits(16 * 1024 * 1024, 1024 * 1024, 32, 256, 256, 30_000, 10_000);

    public Limits {
        if (maxRequestBytes <= 0 || maxRecordValueBytes <= 0 || maxTags < 0 || maxNameLength <= 0
                || maxTagValueLength <= 0 || maxWaitMs < 0 || maxRecordsPerResponse <= 0) {
            throw new IllegalArgumentException("limits must be positive");
        }
    }
}
