package io.tierlog.hot;

import io.tierlog.core.TierlogException;

/** A read asked for an offset the log does not hold; carries the bounds so the edge can answer 416. */
public class OffsetOutOfRangeException extends TierlogException {
    private final long logStartOffset;
    private final long highWatermark;

    public OffsetOutOfRangeException(String message, long logStartOffset, long highWatermark) {
        super(message);
        this.logStartOffset = logStartOffset;
        this.highWatermark = highWatermark;
    }

    public long logStartOffset() {
        return logStartOffset;
    }

    public long highWatermark() {
        return highWatermark;
    }
}
