package io.tierlog.query;

/**
 * Where a partition's data lives across both tiers, for the topic description of the HTTP API. Offsets are
 * [logStartOffset, highWatermark) overall; the hot tier holds [localLogStartOffset, highWatermark) and the cold
 * tier ends at {@code remoteEndOffset} (0 when it holds nothing).
 */
public record PartitionState(long logStartOffset, long localLogStartOffset, long highWatermark,
                             long remoteEndOffset, int hotSegments, int coldSegments) {
}
