package io.tierlog.hot;

import io.tierlog.core.RecordBatch;
import io.tierlog.core.TopicPartition;

import java.io.Closeable;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Predicate;

/**
 * The hot tier's seam: one partition's local, append-only log of segments. One writer thread appends;
 * any number of threads read concurrently with appends, rolls and deletions.
 *
 * <p>Offsets are assigned densely: an append assigns {@code [logEndOffset, logEndOffset + records)} by rewriting the base
 * offsets of the given batches. Reads see only offsets below the {@link #highWatermark()}, which the writer
 * advances after it acknowledged the data; after recovery the high watermark equals the log end offset.
 * Compaction ({@link #compact}) removes records from closed segments without renumbering the others, so a
 * compacted log has gaps between batches and between segments.
 */
public interface PartitionLog extends Closeable {

    TopicPartition topicPartition();

    /**
     * Appends one or more complete, already-validated batches (concatenated in {@code batches}, position to
     * limit). Assigns their offsets in place (base offset and partition leader epoch, both outside the CRC), writes
     * them to the active segment (rolling first when it is full or too old) and fsyncs per policy
     * ({@link FsyncPolicy.Mode#ALWAYS}). {@code minTimestamp} is the smallest record timestamp of the batches (the
     * validation that decoded them knows it; Kafka's header does not hold it): the time bounds of segments come
     * from it. Writer thread only.
     */
    AppendInfo append(ByteBuffer batches, long minTimestamp);

    /** {@link #append(ByteBuffer, long)} for callers that did not decode the batches: decodes them for the minimum. */
    default AppendInfo append(ByteBuffer batches) {
        long min = Long.MAX_VALUE;
        for (RecordBatch b : RecordBatch.iterate(batches)) {
            min = Math.min(min, b.minTimestamp());
        }
        return append(batches, min);
    }

    /** First offset still held locally. */
    long logStartOffset();

    /**
     * The offset below which records were deleted on request (Kafka's DeleteRecords), 0 when none were. Readers
     * must see none of them, whichever tier still holds them; the whole segments below it go at the next retention
     * pass. Durable: it survives restarts and goes with the partition.
     */
    long deletedBefore();

    /**
     * Moves {@link #deletedBefore()} up to {@code offset}, durably before it returns, and returns the new value (a
     * lower offset changes nothing). Nothing is deleted here: retention drops the segments below it. Throws
     * {@link OffsetOutOfRangeException} when {@code offset} is above the high watermark.
     */
    long deleteRecordsBefore(long offset);

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

    /**
     * The batches {@link #read} would return, as a pinned region of the segment file instead of a copy (for
     * zero-copy sends). The caller must close the slice. Empty when this log keeps no files (test doubles): use
     * {@link #read} then. Same range errors as {@link #read}.
     */
    default java.util.Optional<FileSlice> readSlice(long offset, int maxBytes) {
        return java.util.Optional.empty();
    }

    /** Receives the header of one stored batch (at least {@link RecordBatch#HEADER_SIZE} bytes from {@code pos}), valid only during the call. */
    @FunctionalInterface
    interface BatchHeaderVisitor {
        void visit(ByteBuffer header, int pos);
    }

    /**
     * Visits, in offset order, the headers of the batches of the active segment and of the closed segments closed at
     * or after {@code sinceMs}, without decoding records: how the idempotent-producer state is rebuilt after a
     * restart. Runs on the writer thread before it appends. The default visits nothing (logs without files).
     */
    default void forEachRecentBatchHeader(long sinceMs, BatchHeaderVisitor visitor) {
        // test doubles hold no stored producer state
    }

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

    /** Memory budget of {@link #compact(long, long)}'s key map: 64 MiB, about 3.1 million distinct keys. */
    long DEFAULT_COMPACTION_MAP_BYTES = 64L * 1024 * 1024;

    /**
     * Log compaction for topics with {@code cleanupPolicy=compact} (and remote storage disabled, which the server
     * enforces): keeps, in the closed segments, only the latest record of every key. The latest offset per key
     * is taken over the whole log (closed segments and the active one) up to the high watermark read when the
     * run starts (the log is flushed up to there first, so that no record is removed in favour of one a crash
     * could still lose). In closed segments a record is removed when a later record has the same key, when it has no
     * key, or when it is a tombstone (null value) whose timestamp is at or before
     * {@code nowMs - deleteRetentionMs}. Offsets never change: survivors keep theirs, so batches and segments
     * get gaps, and a read of an offset inside a gap returns the next batch after it. The active segment is
     * never rewritten. A closed segment left without records is deleted; when it was the first one the log
     * start offset moves to the next segment's base offset (as with retention).
     *
     * <p>Thread-safety: may run on a background thread concurrently with appends, rolls and reads. It reads
     * and rewrites closed segments without the writer's lock, which it takes only briefly to snapshot the
     * segment list and to swap each compacted segment in; runs of {@code compact} on the same log serialise.
     * Each segment is rewritten to {@code .cleaned} files, forced, then renamed over the original, so a crash
     * leaves either the old or the new segment. Readers holding the old segment finish reading it.
     *
     * @param nowMs             the current time, for the tombstone rule
     * @param deleteRetentionMs how long a tombstone stays, by its record timestamp (Kafka's delete.retention.ms)
     * @param maxKeyMapBytes    memory cap of the key map (16 bytes per slot, filled to 75 %); when it fills up,
     *                          only the segments before that point are compacted in this run
     * <p>The default implementation compacts nothing; it exists for logs that hold no local closed segments.
     */
    default CompactionResult compact(long nowMs, long deleteRetentionMs, long maxKeyMapBytes) {
        // for logs without local closed segments (in-memory doubles in other modules' tests): nothing to do
        return new CompactionResult(0, 0, 0, 0, 0, 0, 0, false, logStartOffset());
    }

    /** {@link #compact(long, long, long)} with the {@link #DEFAULT_COMPACTION_MAP_BYTES} key map budget. */
    default CompactionResult compact(long nowMs, long deleteRetentionMs) {
        return compact(nowMs, deleteRetentionMs, DEFAULT_COMPACTION_MAP_BYTES);
    }

    /** Bytes of all local segments. */
    long sizeInBytes();

    LogConfig config();

    @Override
    void close();
}
