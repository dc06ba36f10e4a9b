package io.tierlog.hot;

import io.tierlog.core.TopicPartition;

import java.io.Closeable;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Predicate;

/**
 * The hot tier's seam: one partition's local, append-only log of segments. One writer thread appends;
 * any number of threads read concurrently with appends, rolls and deletions.
 *
 * <p>Offsets are dense: an append assigns {@code [logEndOffset, logEndOffset + records)} by rewriting the base
 * offsets of the given batches. Reads see only offsets below the {@link #highWatermark()}, which the writer
 * advances after it acknowledged the data; after recovery the high watermark equals the log end offset.
 */
public interface PartitionLog extends Closeable {

    TopicPartition topicPartition();

    /**
     * Appends one or more complete, already-validated batches (concatenated in {@code batches}, position to
     * limit). Assigns their offsets in place, writes them to the active segment (rolling first when it is
     * full or too old) and fsyncs per policy ({@link FsyncPolicy.Mode#ALWAYS}). Writer thread only.
     */
    AppendInfo append(ByteBuffer batches);

    /** First offset still held locally. */
    long logStartOffset();

    /** Next offset to be assigned. */
    long logEndOffset();

    /** Readers see offsets below this. */
    long highWatermark();

    /** Moves the high watermark forward (never backward, never past the log end offset). */
    void advanceHighWatermark(long offset);

    /** Offset below which every byte is known to be forced to disk. */
    long flushedOffset();

    /** Forces everything appended so far to disk. */
    void flush();

    /** Flushes when the policy's interval has passed since the last flush; returns whether it flushed. */
    boolean maybeFlush(long nowMs);

    /**
     * Whole batches from the one containing {@code offset}, up to about {@code maxBytes} (always at least one
     * batch when any is available). Throws {@link OffsetOutOfRangeException} when {@code offset} is below
     * {@link #logStartOffset()} or above {@link #highWatermark()}.
     */
    FetchData read(long offset, int maxBytes);

    /** First offset whose record timestamp is >= {@code timestamp}, or -1 when no local record has one. */
    long offsetForTimestamp(long timestamp);

    /** Closes the active segment and opens a new one at the log end offset (no-op when it is empty). */
    void roll();

    /** Rolls when the active segment is non-empty and older than {@code segmentMs}; returns whether it rolled. */
    boolean maybeRoll(long nowMs);

    /** Closed segments, oldest first. */
    List<SegmentInfo> closedSegments();

    void addSegmentListener(SegmentListener listener);

    /**
     * Deletes closed segments from the oldest while {@code predicate} holds; never the active segment.
     * Returns how many were deleted. Concurrent readers of a deleted segment get an out-of-range error.
     */
    int deleteOldestSegmentsWhile(Predicate<SegmentInfo> predicate);

    /** Bytes of all local segments. */
    long sizeInBytes();

    LogConfig config();

    @Override
    void close();
}
