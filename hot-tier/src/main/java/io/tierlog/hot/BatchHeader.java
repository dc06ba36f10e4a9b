package io.tierlog.hot;

/**
 * Field positions of core's batch header (see docs/format.md), read directly from file buffers so that the
 * hot paths never wrap or decode a batch. Kept in sync with {@code io.tierlog.core.RecordBatch}, whose
 * constants are package-private; the format golden test in core pins the layout.
 */
final class BatchHeader {
    static final int BASE_OFFSET = 0;
    static final int LENGTH = 8;
    static final int MAGIC = 12;
    static final int LAST_OFFSET_DELTA = 19;
    static final int MIN_TIMESTAMP = 23;
    static final int MAX_TIMESTAMP = 31;
    static final int RECORD_COUNT = 39;
    /** Smallest legal value of the length field (a header without records). */
    static final int MIN_LENGTH = io.tierlog.core.RecordBatch.HEADER_SIZE - io.tierlog.core.RecordBatch.LOG_OVERHEAD;

    private BatchHeader() {
    }
}
