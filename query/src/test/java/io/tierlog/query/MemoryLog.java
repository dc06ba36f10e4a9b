package io.tierlog.query;

import io.tierlog.core.Record;
import io.tierlog.core.RecordBatch;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.AppendInfo;
import io.tierlog.hot.FetchData;
import io.tierlog.hot.LogConfig;
import io.tierlog.hot.OffsetOutOfRangeException;
import io.tierlog.hot.PartitionLog;
import io.tierlog.hot.SegmentInfo;
import io.tierlog.hot.SegmentListener;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * An in-memory {@link PartitionLog} holding real encoded batches with the hot tier's read contract (whole
 * batches from the one holding the offset, at least one, none at or past the high watermark), so that the
 * query service's boundary logic runs on real data without depending on the hot-tier implementation.
 */
final class MemoryLog implements PartitionLog {
    static final class Seg {
        final long base;
        long next;
        final List<ByteBuffer> batches = new ArrayList<>();
        long minTs = Long.MAX_VALUE;
        long maxTs = Long.MIN_VALUE;
        long bytes;
        boolean closed;

        Seg(long base) {
            this.base = base;
            this.next = base;
        }
    }

    private final TopicPartition tp;
    private final long segmentBytes;
    private final List<Seg> segments = new ArrayList<>();
    private final List<SegmentListener> listeners = new CopyOnWriteArrayList<>();
    private long logEnd;
    private volatile long hw;
    private long deletedBefore;
    /** Test hook: how many reads were served (to prove a tier was or was not used). */
    int reads;

    MemoryLog(TopicPartition tp, long startOffset, long segmentBytes) {
        this.tp = tp;
        this.segmentBytes = segmentBytes;
        this.logEnd = startOffset;
        this.hw = startOffset;
        segments.add(new Seg(startOffset));
    }

    /** Appends and advances the high watermark at once (what the ingest writer does after acks). */
    AppendInfo appendCommitted(RecordBatch batch) {
        AppendInfo info = append(batch.buffer());
        advanceHighWatermark(info.nextOffset());
        return info;
    }

    synchronized List<ByteBuffer> batchesOf(long segmentBase) {
        for (Seg s : segments) {
            if (s.base == segmentBase) {
                List<ByteBuffer> copies = new ArrayList<>();
                for (ByteBuffer b : s.batches) {
                    ByteBuffer c = ByteBuffer.allocate(b.remaining());
                    c.put(b.duplicate()).flip();
                    copies.add(c);
                }
                return copies;
            }
        }
        throw new IllegalArgumentException("no segment at " + segmentBase);
    }

    @Override
    public TopicPartition topicPartition() {
        return tp;
    }

    @Override
    public synchronized AppendInfo append(ByteBuffer batches, long minTimestamp) {
        long base = logEnd;
        int count = 0;
        long maxTs = -1;
        int size = 0;
        for (RecordBatch b : RecordBatch.parseAll(batches.duplicate())) {
            Seg active = segments.get(segments.size() - 1);
            if (active.bytes > 0 && active.bytes + b.sizeInBytes() > segmentBytes) {
                rollLocked();
                active = segments.get(segments.size() - 1);
            }
            ByteBuffer copy = ByteBuffer.allocate(b.sizeInBytes());
            copy.put(b.buffer()).flip();
            RecordBatch stored = RecordBatch.wrap(copy);
            stored.setBaseOffset(logEnd);
            active.batches.add(copy);
            active.bytes += stored.sizeInBytes();
            active.minTs = Math.min(active.minTs, stored.minTimestamp());
            active.maxTs = Math.max(active.maxTs, stored.maxTimestamp());
            logEnd = stored.nextOffset();
            active.next = logEnd;
            count += stored.recordCount();
            maxTs = Math.max(maxTs, stored.maxTimestamp());
            size += stored.sizeInBytes();
        }
        return new AppendInfo(base, logEnd - 1, count, maxTs, size);
    }

    @Override
    public synchronized long logStartOffset() {
        return segments.get(0).base;
    }

    @Override
    public synchronized long logEndOffset() {
        return logEnd;
    }

    @Override
    public long highWatermark() {
        return hw;
    }

    @Override
    public synchronized long deletedBefore() {
        return deletedBefore;
    }

    @Override
    public synchronized long deleteRecordsBefore(long offset) {
        if (offset > hw) {
            throw new OffsetOutOfRangeException("offset " + offset + " above the high watermark " + hw, deletedBefore, hw);
        }
        deletedBefore = Math.max(deletedBefore, offset);
        return deletedBefore;
    }

    @Override
    public synchronized void advanceHighWatermark(long offset) {
        hw = Math.max(hw, Math.min(offset, logEnd));
    }

    @Override
    public long flushedOffset() {
        return logEnd;
    }

    @Override
    public void flush() {
    }

    @Override
    public boolean maybeFlush(long nowMs) {
        return false;
    }

    @Override
    public synchronized FetchData read(long offset, int maxBytes) {
        reads++;
        long start = logStartOffset();
        if (offset < start || offset > hw) {
            throw new OffsetOutOfRangeException("offset " + offset + " outside [" + start + ", " + hw + "]", start, hw);
        }
        List<ByteBuffer> out = new ArrayList<>();
        int bytes = 0;
        outer:
        for (Seg s : segments) {
            for (ByteBuffer b : s.batches) {
                RecordBatch rb = RecordBatch.wrap(b.duplicate());
                if (rb.nextOffset() <= offset) {
                    continue;
                }
                if (rb.baseOffset() >= hw || (!out.isEmpty() && bytes + rb.sizeInBytes() > maxBytes)) {
                    break outer;
                }
                out.add(b.duplicate());
                bytes += rb.sizeInBytes();
            }
        }
        ByteBuffer all = ByteBuffer.allocate(bytes);
        out.forEach(all::put);
        return new FetchData(offset, all.flip(), hw, start);
    }

    @Override
    public synchronized long offsetForTimestamp(long timestamp) {
        for (Seg s : segments) {
            for (ByteBuffer b : s.batches) {
                RecordBatch rb = RecordBatch.wrap(b.duplicate());
                if (rb.maxTimestamp() < timestamp) {
                    continue;
                }
                for (Record r : rb.records()) {
                    if (r.timestamp() >= timestamp) {
                        return r.offset();
                    }
                }
            }
        }
        return -1;
    }

    @Override
    public synchronized void roll() {
        rollLocked();
    }

    private void rollLocked() {
        Seg active = segments.get(segments.size() - 1);
        if (active.bytes == 0) {
            return;
        }
        active.closed = true;
        segments.add(new Seg(logEnd));
        SegmentInfo info = info(active);
        listeners.forEach(l -> l.onSegmentClosed(info));
    }

    private SegmentInfo info(Seg s) {
        return new SegmentInfo(tp, s.base, s.next, s.minTs, s.maxTs, s.bytes, 0L, null, null, null);
    }

    @Override
    public boolean maybeRoll(long nowMs) {
        return false;
    }

    @Override
    public synchronized List<SegmentInfo> closedSegments() {
        List<SegmentInfo> out = new ArrayList<>();
        for (Seg s : segments) {
            if (s.closed) {
                out.add(info(s));
            }
        }
        return out;
    }

    @Override
    public void addSegmentListener(SegmentListener listener) {
        listeners.add(listener);
    }

    @Override
    public synchronized int deleteOldestSegmentsWhile(Predicate<SegmentInfo> predicate) {
        int n = 0;
        while (segments.size() > 1 && segments.get(0).closed && predicate.test(info(segments.get(0)))) {
            segments.remove(0);
            n++;
        }
        return n;
    }

    @Override
    public synchronized long sizeInBytes() {
        return segments.stream().mapToLong(s -> s.bytes).sum();
    }

    @Override
    public LogConfig config() {
        return LogConfig.DEFAULTS;
    }

    @Override
    public void close() {
    }
}
