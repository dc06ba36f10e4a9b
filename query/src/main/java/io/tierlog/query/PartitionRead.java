package io.tierlog.query;

import io.tierlog.core.Record;

import java.util.List;

/**
 * One page of a partition read, in offset order. It exists so that the edge can answer with the records,
 * where to continue ({@code nextOffset}), the partition's high watermark and how many records each tier
 * served (the {@code tiers} field of the HTTP answer).
 */
public record PartitionRead(List<Record> records, long nextOffset, long highWatermark, int hotCount, int coldCount) {
    public PartitionRead {
        records = List.copyOf(records);
    }

    /** An empty page that continues at {@code nextOffset}. */
    static PartitionRead empty(long nextOffset, long highWatermark) {
        return new PartitionRead(List.of(), nextOffset, highWatermark, 0, 0);
    }
}
