package io.tierlog.hot;

import java.nio.ByteBuffer;

/**
 * Whole batches read from a log: the first batch contains {@code fetchOffset} (it may start before it, the
 * caller skips earlier records) or, when {@code fetchOffset} falls into a gap left by compaction, is the first
 * batch after it; no batch at or beyond the high watermark is included. {@code batches} is
 * empty when {@code fetchOffset} equals the high watermark.
 */
public record FetchData(long fetchOffset, ByteBuffer batches, long highWatermark, long logStartOffset) {
    public boolean isEmpty() {
        return !batches.hasRemaining();
    }
}
