package io.tierlog.hot;

import io.tierlog.core.BatchBuilder;
import io.tierlog.core.CorruptBatchException;
import io.tierlog.core.InvalidInputException;
import io.tierlog.core.Record;
import io.tierlog.core.RecordBatch;
import io.tierlog.core.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The file-backed {@link PartitionLog}: a directory of segments named by base offset. Mutations (append, roll,
 * flush, delete, close) run under one lock, normally taken only by the writer thread; reads take no lock and
 * pin the segment they read with a reference count. Compaction may run on another thread: it holds its own
 * lock for a run and the writer's lock only to snapshot the segments and to swap each rewritten one in.
 */
final class LocalPartitionLog implements PartitionLog {
    private static final Logger LOG = LoggerFactory.getLogger(LocalPartitionLog.class);
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
    private static final int MAX_READ_RETRIES = 100;

    // package-private: the Compactor works on these under the same rules (see its class comment)
    final TopicPartition tp;
    final Path dir;
    final LogConfig config;
    final LongSupplier clock;
    final ConcurrentSkipListMap<Long, Segment> segments;
    private final List<SegmentListener> listeners = new CopyOnWriteArrayList<>();
    final List<Segment> unflushedClosed = new ArrayList<>();
    final ReentrantLock lock = new ReentrantLock();
    final Object hwLock = new Object();
    /** Serialises flushes (taken before, never while holding, {@link #lock}). */
    private final Object flushLock = new Object();
    private final Compactor compactor = new Compactor(this);

    volatile Segment active;
    volatile long logStartOffset;
    /** Records below this were deleted on request ({@link LogStartOffsetFile}). */
    private volatile long deletedBefore;
    private volatile long logEndOffset;
    volatile long highWatermark;
    volatile long flushedOffset;
    private volatile long lastFlushMs;
    volatile boolean closed;

    private LocalPartitionLog(TopicPartition tp, Path dir, LogConfig config, LongSupplier clock, LogLoader.Loaded loaded) {
        this.tp = tp;
        this.dir = dir;
        this.config = config;
        this.clock = clock;
        this.segments = loaded.segments();
        this.active = loaded.active();
    }

    /** Opens (creating if needed) and recovers the log in {@code dir}. */
    static LocalPartitionLog open(Path dir, TopicPartition tp, LogConfig config, LongSupplier clock) {
        long now = clock.getAsLong();
        LocalPartitionLog log = new LocalPartitionLog(tp, dir, config, clock, new LogLoader(tp, dir, config).load(now));
        log.initState(now);
        return log;
    }

    private void initState(long now) {
        logStartOffset = segments.firstKey();
        logEndOffset = active.nextOffset;
        highWatermark = logEndOffset;
        // what a previous run left may still sit in the page cache only: nothing counts as flushed until
        // the next flush forces every segment once (kept lazy so that opening many partitions stays cheap)
        for (Segment s : segments.values()) {
            if (s != active) {
                unflushedClosed.add(s);
            }
        }
        flushedOffset = logStartOffset;
        lastFlushMs = now;
        long deleted = LogStartOffsetFile.read(dir, tp);
        if (deleted > logEndOffset) {
            // records acknowledged before an unclean stop and deleted after it, but lost with the page cache: the
            // offsets from the log end on will be given to new records, which must be readable
            LOG.warn("{}: records were deleted below {} but the log ends at {} after recovery; deleting below {}",
                    tp, deleted, logEndOffset, logEndOffset);
            deleted = logEndOffset;
            LogStartOffsetFile.write(dir, tp, deleted);
        }
        deletedBefore = deleted;
        LOG.info("{}: opened with {} segment(s), offsets [{}, {}), {} bytes", tp, segments.size(), logStartOffset,
                logEndOffset, sizeInBytes());
    }


    /** Runs {@code body} under the writer's lock on an open log, keeping an interrupt from closing shared channels. */
    private <T> T locked(java.util.function.Supplier<T> body) {
        lock.lock();
        boolean interrupted = Thread.interrupted(); // an interrupt must not close the log's shared channels
        try {
            ensureOpen();
            return body.get();
        } finally {
            lock.unlock();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public TopicPartition topicPartition() {
        return tp;
    }

    @Override
    public AppendInfo append(ByteBuffer batches, long minTimestamp) {
        ByteBuffer b = batches.order() == ByteOrder.BIG_ENDIAN ? batches : batches.duplicate().order(ByteOrder.BIG_ENDIAN);
        int start = b.position();
        int end = b.limit();
        if (start == end) {
            throw new InvalidInputException("append of " + tp + " holds no batch");
        }
        // check the framing of every batch before anything is written: bad input never reaches the file
        long records = 0;
        long maxTs = Long.MIN_VALUE;
        int pos = start;
        int n = 0;
        while (pos < end) {
            int size;
            try {
                size = RecordBatch.sizeAt(b, pos);
            } catch (CorruptBatchException e) {
                throw new CorruptBatchException("append to " + tp + ": batch " + n + ": " + e.getMessage());
            }
            if (size < 0) {
                throw new CorruptBatchException("append to " + tp + ": batch " + n + " is truncated (" + (end - pos)
                        + " bytes remain)");
            }
            if (!RecordBatch.isPlausibleHeaderAt(b, pos)) {
                throw new CorruptBatchException("append to " + tp + ": batch " + n + " has an invalid header (magic "
                        + RecordBatch.magicAt(b, pos) + ", record count " + RecordBatch.recordCountAt(b, pos) + ")");
            }
            records += RecordBatch.recordCountAt(b, pos);
            maxTs = Math.max(maxTs, RecordBatch.maxTimestampAt(b, pos));
            pos += size;
            n++;
        }
        int total = end - start;
        lock.lock();
        boolean interrupted = Thread.interrupted(); // an interrupt must not close the log's shared channels
        try {
            ensureOpen();
            long now = clock.getAsLong();
            Segment seg = active;
            if (seg.size > 0 && (seg.size + (long) total > config.segmentBytes()
                    || now - seg.createdMs >= config.segmentMs()
                    || logEndOffset + records - 1 - seg.baseOffset > Integer.MAX_VALUE)) {
                seg = rollLocked(now);
            }
            if (seg.size + (long) total > Integer.MAX_VALUE) {
                throw new InvalidInputException("append of " + total + " bytes to " + tp + " exceeds the segment size limit");
            }
            long baseOffset = logEndOffset;
            long next = baseOffset;
            for (pos = start; pos < end; pos += RecordBatch.sizeAt(b, pos)) {
                RecordBatch.setBaseOffsetAt(b, pos, next);
                RecordBatch.setPartitionLeaderEpochAt(b, pos, RecordBatch.LEADER_EPOCH);
                next = RecordBatch.nextOffsetAt(b, pos);
            }
            int filePos = seg.size;
            seg.write(b, start, end);
            for (pos = start; pos < end; ) {
                int size = RecordBatch.sizeAt(b, pos);
                // the caller knows the minimum of the whole append, not of each batch: a lower bound for each is exact enough
                seg.indexBatch((int) (RecordBatch.baseOffsetAt(b, pos) - seg.baseOffset), filePos + pos - start,
                        size, minTimestamp, RecordBatch.maxTimestampAt(b, pos));
                pos += size;
            }
            seg.nextOffset = next;
            seg.size = filePos + total;
            logEndOffset = next;
            if (config.fsyncPolicy().mode() == FsyncPolicy.Mode.ALWAYS) {
                seg.force(false);
                flushedOffset = next;
                lastFlushMs = now;
            }
            return new AppendInfo(baseOffset, next - 1, (int) records, maxTs, total);
        } finally {
            lock.unlock();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private Segment rollLocked(long now) {
        Segment old = active;
        old.finalizeTimeIndex();
        if (config.fsyncPolicy().mode() != FsyncPolicy.Mode.NEVER) {
            old.force(true);
        } else {
            unflushedClosed.add(old);
        }
        old.closeForWrites(now);
        Segment fresh = Segment.create(tp, dir, logEndOffset, config.indexIntervalBytes(), now);
        segments.put(fresh.baseOffset, fresh);
        active = fresh;
        SegmentInfo info = old.info();
        LOG.debug("{}: rolled segment {} -> new segment at {}", tp, info, fresh.baseOffset);
        for (SegmentListener l : listeners) {
            try {
                l.onSegmentClosed(info);
            } catch (RuntimeException e) {
                LOG.error("{}: segment listener {} failed for segment {}", tp, l, info.baseOffset(), e);
            }
        }
        return fresh;
    }

    @Override
    public long logStartOffset() {
        return logStartOffset;
    }

    @Override
    public long logEndOffset() {
        return logEndOffset;
    }

    @Override
    public long highWatermark() {
        return highWatermark;
    }

    @Override
    public void advanceHighWatermark(long offset) {
        synchronized (hwLock) {
            long leo = logEndOffset;
            if (offset > leo) {
                throw new IllegalArgumentException("high watermark " + offset + " of " + tp
                        + " would pass the log end offset " + leo);
            }
            if (offset > highWatermark) {
                highWatermark = offset;
            }
        }
    }

    @Override
    public long flushedOffset() {
        return flushedOffset;
    }

    /**
     * Forces everything appended before the call to disk. The fsync itself runs outside the writer's lock: the
     * segments to force and the log end offset they cover are taken under the lock, then forced while appends go
     * on (a force flushes what was written before it started, and those writes finished under the lock); flushes
     * of one log serialise among themselves. This is what lets the writer append while another thread fsyncs.
     */
    @Override
    public void flush() {
        synchronized (flushLock) {
            long now = clock.getAsLong();
            List<Segment> toForce = new ArrayList<>();
            long target = locked(() -> {
                for (Segment s : unflushedClosed) {
                    if (s.retain()) {
                        toForce.add(s);
                    }
                }
                unflushedClosed.clear();
                if (active.retain()) {
                    toForce.add(active);
                }
                return logEndOffset;
            });
            try {
                for (Segment s : toForce) {
                    s.force(false);
                }
            } finally {
                toForce.forEach(Segment::release);
            }
            advanceFlushed(target, now);
        }
    }

    /** Under the writer's lock (compaction, close): forces what is unflushed without letting appends in. */
    void flushLocked(long now) {
        long leo = logEndOffset;
        for (Segment s : unflushedClosed) {
            if (s.retain()) {
                try {
                    s.force(false);
                } finally {
                    s.release();
                }
            }
        }
        unflushedClosed.clear();
        active.force(false);
        advanceFlushed(leo, now);
    }

    private void advanceFlushed(long offset, long now) {
        synchronized (hwLock) {
            if (offset > flushedOffset) {
                flushedOffset = offset;
            }
            lastFlushMs = now;
        }
    }

    @Override
    public boolean maybeFlush(long nowMs) {
        if (config.fsyncPolicy().mode() != FsyncPolicy.Mode.INTERVAL) {
            return false;
        }
        boolean due = locked(() -> {
            if (nowMs - lastFlushMs < config.fsyncPolicy().intervalMs()) {
                return false;
            }
            if (flushedOffset == logEndOffset && unflushedClosed.isEmpty()) {
                lastFlushMs = nowMs;
                return false;
            }
            return true;
        });
        if (due) {
            flush();
        }
        return due;
    }

    @Override
    public FetchData read(long offset, int maxBytes) {
        Located l = locate(offset, maxBytes);
        if (l.segment() == null) {
            return new FetchData(offset, EMPTY.duplicate(), l.highWatermark(), l.logStartOffset());
        }
        try {
            ByteBuffer out = ByteBuffer.allocate(l.range().size());
            l.segment().readFully(out, l.range().position());
            return new FetchData(offset, out.flip(), l.highWatermark(), l.logStartOffset());
        } finally {
            l.segment().release();
        }
    }

    /**
     * Where the batches a read of {@code offset} returns lie: a segment, pinned for the caller to release, and a
     * range of whole batches in it; or no segment when nothing is readable there yet (the offset is the high
     * watermark, or compaction emptied everything up to it).
     */
    private record Located(Segment segment, Segment.Range range, long highWatermark, long logStartOffset) {
    }

    private Located locate(long offset, int maxBytes) {
        ensureOpen();
        for (int attempt = 0; attempt < MAX_READ_RETRIES; attempt++) {
            long hw = highWatermark;
            long lso = logStartOffset;
            if (offset < lso || offset > hw) {
                throw new OffsetOutOfRangeException("offset " + offset + " of " + tp + " is outside the local log ["
                        + lso + ", " + hw + "]", lso, hw);
            }
            if (offset == hw) {
                return new Located(null, null, hw, lso);
            }
            Map.Entry<Long, Segment> e = segments.floorEntry(offset);
            // an offset past the last batch of its segment fell into a gap left by compaction: the answer is the
            // first batch of a later segment
            boolean raced = e == null;
            while (e != null) {
                Segment s = e.getValue();
                if (!s.retain()) {
                    ensureOpen();
                    raced = true; // deleted or replaced meanwhile: look it up again
                    break;
                }
                boolean handedOut = false;
                try {
                    Segment.Range r = s.locate(offset, maxBytes, hw);
                    if (r != null) {
                        if (r.size() == 0) {
                            return new Located(null, null, hw, lso);
                        }
                        handedOut = true;
                        return new Located(s, r, hw, lso);
                    }
                } finally {
                    if (!handedOut) {
                        s.release();
                    }
                }
                e = segments.higherEntry(e.getKey());
            }
            if (!raced) {
                // every offset from here to the high watermark was removed by compaction (possible only while the
                // active segment is empty): nothing to return yet, as at the high watermark
                return new Located(null, null, hw, lso);
            }
        }
        throw new LogIOException("read of offset " + offset + " of " + tp + " kept racing with segment changes", null);
    }

    @Override
    public void forEachRecentBatchHeader(long sinceMs, BatchHeaderVisitor visitor) {
        ensureOpen();
        Segment act = active;
        for (Segment s : segments.values()) {
            if (s != act && s.closedAtMs >= 0 && s.closedAtMs < sinceMs) {
                continue;
            }
            if (!s.retain()) {
                continue; // deleted meanwhile: its producers' batches are gone with it
            }
            try {
                s.forEachHeader(s.size, visitor);
            } finally {
                s.release();
            }
        }
    }

    @Override
    public Optional<FileSlice> readSlice(long offset, int maxBytes) {
        Located l = locate(offset, maxBytes);
        if (l.segment() == null) {
            return Optional.of(new FileSlice(null, 0, 0, offset, l.highWatermark(), l.logStartOffset(), () -> { }));
        }
        Segment s = l.segment();
        return Optional.of(new FileSlice(s.readChannel(), l.range().position(), l.range().size(), offset,
                l.highWatermark(), l.logStartOffset(), s::release));
    }

    @Override
    public long offsetForTimestamp(long timestamp) {
        ensureOpen();
        long hw = highWatermark;
        for (Segment seg : segments.values()) {
            Segment s = seg;
            if (s.baseOffset >= hw) {
                return -1;
            }
            if (s.maxTimestamp < timestamp) {
                continue;
            }
            if (!s.retain()) {
                // deleted, or replaced by its compacted copy meanwhile: use the copy if there is one
                s = segments.get(seg.baseOffset);
                if (s == null || s == seg || !s.retain()) {
                    continue;
                }
            }
            try {
                long r = s.offsetForTimestamp(timestamp, hw);
                if (r != -2) {
                    return r;
                }
            } finally {
                s.release();
            }
        }
        return -1;
    }

    @Override
    public void roll() {
        locked(() -> {
            if (active.size > 0) {
                rollLocked(clock.getAsLong());
            }
            return null;
        });
    }

    @Override
    public boolean maybeRoll(long nowMs) {
        return locked(() -> {
            if (active.size > 0 && nowMs - active.createdMs >= config.segmentMs()) {
                rollLocked(nowMs);
                return true;
            }
            return false;
        });
    }

    @Override
    public List<SegmentInfo> closedSegments() {
        Segment act = active;
        List<SegmentInfo> out = new ArrayList<>();
        for (Segment s : segments.values()) {
            if (s != act && s.baseOffset < act.baseOffset) {
                out.add(s.info());
            }
        }
        return out;
    }

    @Override
    public void addSegmentListener(SegmentListener listener) {
        listeners.add(listener);
    }

    @Override
    public long deletedBefore() {
        return deletedBefore;
    }

    @Override
    public long deleteRecordsBefore(long offset) {
        return locked(() -> {
            long hw = highWatermark;
            if (offset > hw || offset < 0) {
                throw new OffsetOutOfRangeException("cannot delete the records of " + tp + " below " + offset
                        + ": the partition ends at " + hw, Math.max(logStartOffset, deletedBefore), hw);
            }
            if (offset > deletedBefore) {
                LogStartOffsetFile.write(dir, tp, offset);
                deletedBefore = offset;
                LOG.info("{}: records below {} deleted on request", tp, offset);
            }
            return deletedBefore;
        });
    }

    @Override
    public int deleteOldestSegmentsWhile(Predicate<SegmentInfo> predicate) {
        return locked(() -> {
            int deleted = 0;
            while (true) {
                Map.Entry<Long, Segment> first = segments.firstEntry();
                Segment s = first.getValue();
                if (s == active || !predicate.test(s.info())) {
                    return deleted;
                }
                long newStart = segments.higherKey(s.baseOffset);
                logStartOffset = newStart;
                synchronized (hwLock) {
                    if (highWatermark < newStart) {
                        highWatermark = newStart;
                    }
                }
                segments.remove(s.baseOffset);
                unflushedClosed.remove(s);
                s.markDeleted();
                LOG.info("{}: deleted segment {} (offsets [{}, {}))", tp, Segment.fileName(s.baseOffset), s.baseOffset, s.nextOffset);
                deleted++;
            }
        });
    }

    @Override
    public CompactionResult compact(long nowMs, long deleteRetentionMs, long maxKeyMapBytes) {
        return compactor.run(nowMs, deleteRetentionMs, maxKeyMapBytes);
    }

    @Override
    public long sizeInBytes() {
        long total = 0;
        for (Segment s : segments.values()) {
            total += s.size;
        }
        return total;
    }

    @Override
    public LogConfig config() {
        return config;
    }

    @Override
    public void close() {
        lock.lock();
        boolean interrupted = Thread.interrupted(); // an interrupt must not close the log's shared channels
        try {
            if (closed) {
                return;
            }
            if (config.fsyncPolicy().mode() != FsyncPolicy.Mode.NEVER) {
                flushLocked(clock.getAsLong());
            }
            closed = true;
            active.closeForWrites(clock.getAsLong());
            for (Segment s : segments.values()) {
                s.release();
            }
            LOG.info("{}: closed at log end offset {}", tp, logEndOffset);
        } finally {
            lock.unlock();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("partition log " + tp + " is closed");
        }
    }

    @Override
    public String toString() {
        return "LocalPartitionLog[" + tp + ", [" + logStartOffset + ", " + logEndOffset + "), hw=" + highWatermark + "]";
    }
}
