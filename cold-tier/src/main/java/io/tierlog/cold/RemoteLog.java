package io.tierlog.cold;

import io.tierlog.core.TopicPartition;
import io.tierlog.hot.FetchData;

import java.util.List;

/**
 * The cold tier's read seam: what the query service needs to serve offsets and time ranges that are no
 * longer (or not only) on local disk. Only segments recorded in a partition's manifest are visible.
 */
public interface RemoteLog {

    /** Remote segments of the partition in offset order (empty when none). */
    List<RemoteSegmentInfo> segments(TopicPartition tp);

    /** First offset held remotely, or -1 when the partition has no remote data. */
    long remoteLogStartOffset(TopicPartition tp);

    /** One past the last offset held remotely; 0 when none. */
    long remoteEndOffset(TopicPartition tp);

    /**
     * Whole batches from the remote segment containing {@code offset}, up to about {@code maxBytes} (at least
     * one batch), fetched with ranged GETs. The result's {@code highWatermark} is {@link #remoteEndOffset};
     * it never spans two segments. Throws {@link io.tierlog.hot.OffsetOutOfRangeException} when no remote
     * segment holds {@code offset}.
     */
    FetchData read(TopicPartition tp, long offset, int maxBytes);

    /** First remote offset whose record timestamp is >= {@code timestamp}, or -1 when none. */
    long offsetForTimestamp(TopicPartition tp, long timestamp);
}
