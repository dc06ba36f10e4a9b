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
    private static final Pattern SEGMENT_FILE = Pattern.compile("(\\d{20})\\.(log|index|timeindex)");
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
    private static final int MAX_READ_RETRIES = 100;

    private final TopicPartition tp;
    private final Path dir;
    private final LogConfig config;
    private final LongSupplier clock;
    private final ConcurrentSkipListMap<Long, Segment> segments = new ConcurrentSkipListMap<>();
    private final List<SegmentListener> listeners = new CopyOnWriteArrayList<>();
    private final List<Segment> unflushedClosed = new ArrayList<>();
    private final ReentrantLock lock = new ReentrantLock();
    /** Serialises compaction runs; held for a whole run, unlike {@link #lock}, which it takes only briefly. */
    private final ReentrantLock compactionLock = new ReentrantLock();
    private final Object hwLock = new Object();

    private volatile Segment active;
    private volatile long logStartOffset;
    private volatile long logEndOffset;
    private volatile long highWatermark;
    private volatile long flushedOffset;
    private long lastFlushMs;
    private volatile boolean closed;

    private LocalPartitionLog(TopicPartition tp, Path dir, LogConfig config, LongSupplier clock) {
        this.tp = tp;
        this.dir = dir;
        this.config = config;
        this.clock = clock;
    }

    /** Opens (creating if needed) and recovers the log in {@code dir}. */
    static LocalPartitionLog open(Path dir, TopicPartition tp, LogConfig config, LongSupplier clock) {
        LocalPartitionLog log = new LocalPartitionLog(tp, dir, config, clock);
        log.load();
        return log;
    }

    private void load() {
        long now = clock.getAsLong();
        TreeSet<Long> bases = new TreeSet<>();
        List<Path> indexFiles = new ArrayList<>();
        try {
            Files.createDirectories(dir);
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
                for (Path p : ds) {
                    String name = p.getFileName().toString();
                    if (name.endsWith(Segment.DELETED_SUFFIX) || name.endsWith(Segment.TMP_SUFFIX)
                            || name.endsWith(Segment.CLEANED_SUFFIX)) {
                        LOG.info("{}: removing stray file {}", tp, name);
                        Files.deleteIfExists(p);
                        continue;
                    }
                    Matcher m = SEGMENT_FILE.matcher(name);
                    if (!m.matches()) {
                        LOG.warn("{}: ignoring unknown file {} in {}", tp, name, dir);
                    } else if (m.group(2).equals("log")) {
                        bases.add(Long.parseLong(m.group(1)));
                    } else {
                        indexFiles.add(p);
                    }
                }
            }
            for (Path p : indexFiles) {
                long base = Long.parseLong(p.getFileName().toString().substring(0, 20));
                if (!bases.contains(base)) {
                    LOG.info("{}: removing index {} without a segment", tp, p.getFileName());
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            throw new LogIOException("cannot list log directory " + dir + " of " + tp, e);
        }

        List<Long> ordered = new ArrayList<>(bases);
        long expected = -1;
        for (int i = 0; i < ordered.size(); i++) {
            long base = ordered.get(i);
            // compaction leaves gaps between segments (a segment whose records all went is deleted), so a later
            // segment may start after the previous one's end, never before it
            if (expected >= 0 && base < expected) {
                LOG.error("{}: segment {} starts at {} but the previous one ends at {}; deleting it and all later segments",
                        tp, Segment.fileName(base), base, expected);
                deleteSegmentFiles(ordered.subList(i, ordered.size()));
                break;
            }
            boolean last = i == ordered.size() - 1;
            // a closed segment's offsets end below the next segment's base (compaction keeps offsets); the
            // newest segment is the active one, never compacted, so its offsets must stay dense
            long offsetLimit = last ? Long.MAX_VALUE : ordered.get(i + 1);
            Segment s = Segment.openExisting(tp, dir, base, config.indexIntervalBytes(), now);
            if (!last && s.loadClosed(offsetLimit)) {
                segments.put(base, s);
                expected = s.nextOffset;
                continue;
            }
            long truncated = s.recover(last, now, !last, offsetLimit);
            if (!last && truncated > 0) {
                LOG.error("{}: closed segment {} had a corrupt tail; it becomes the active segment and the {} later "
                        + "segment(s) are deleted", tp, Segment.fileName(base), ordered.size() - i - 1);
                s.closeQuietly();
                s = Segment.openExisting(tp, dir, base, config.indexIntervalBytes(), now);
                s.recover(true, now, true, offsetLimit);
                deleteSegmentFiles(ordered.subList(i + 1, ordered.size()));
                last = true;
            }
            if (!last && s.size == 0) {
                LOG.warn("{}: closed segment {} is empty; removing it", tp, Segment.fileName(base));
                s.closeQuietly();
                deleteSegmentFiles(List.of(base));
                continue;
            }
            segments.put(base, s);
            expected = s.nextOffset;
            if (last) {
                active = s;
                break;
            }
        }
        if (active == null) {
            long base = segments.isEmpty() ? 0 : segments.lastEntry().getValue().nextOffset;
            active = Segment.create(tp, dir, base, config.indexIntervalBytes(), now);
            segments.put(base, active);
        }
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
        active.markUnflushed();
        flushedOffset = logStartOffset;
        lastFlushMs = now;
        LOG.info("{}: opened with {} segment(s), offsets [{}, {}), {} bytes", tp, segments.size(), logStartOffset,
                logEndOffset, sizeInBytes());
    }

    private void deleteSegmentFiles(List<Long> bases) {
        for (long b : bases) {
            String n = Segment.fileName(b);
            for (String suffix : new String[]{Segment.LOG_SUFFIX, Segment.INDEX_SUFFIX, Segment.TIME_INDEX_SUFFIX}) {
                try {
                    Files.deleteIfExists(dir.resolve(n + suffix));
                } catch (IOException e) {
                    throw new LogIOException("cannot delete " + n + suffix + " of " + tp, e);
                }
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

    @Override
    public void flush() {
        lock.lock();
        boolean interrupted = Thread.interrupted(); // an interrupt must not close the log's shared channels
        try {
            ensureOpen();
            flushLocked(clock.getAsLong());
        } finally {
            lock.unlock();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void flushLocked(long now) {
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
        if (!active.isFlushed()) {
            active.force(false);
        }
        flushedOffset = leo;
        lastFlushMs = now;
    }

    @Override
    public boolean maybeFlush(long nowMs) {
        if (config.fsyncPolicy().mode() != FsyncPolicy.Mode.INTERVAL) {
            return false;
        }
        lock.lock();
        boolean interrupted = Thread.interrupted(); // an interrupt must not close the log's shared channels
        try {
            ensureOpen();
            if (nowMs - lastFlushMs < config.fsyncPolicy().intervalMs()) {
                return false;
            }
            if (flushedOffset == logEndOffset && unflushedClosed.isEmpty()) {
                lastFlushMs = nowMs;
                return false;
            }
            flushLocked(nowMs);
            return true;
        } finally {
            lock.unlock();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public FetchData read(long offset, int maxBytes) {
        ensureOpen();
        for (int attempt = 0; attempt < MAX_READ_RETRIES; attempt++) {
            long hw = highWatermark;
            long lso = logStartOffset;
            if (offset < lso || offset > hw) {
                throw new OffsetOutOfRangeException("offset " + offset + " of " + tp + " is outside the local log ["
                        + lso + ", " + hw + "]", lso, hw);
            }
            if (offset == hw) {
                return new FetchData(offset, EMPTY.duplicate(), hw, lso);
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
                try {
                    ByteBuffer data = s.read(offset, maxBytes, hw);
                    if (data != null) {
                        return new FetchData(offset, data, hw, lso);
                    }
                } finally {
                    s.release();
                }
                e = segments.higherEntry(e.getKey());
            }
            if (!raced) {
                // every offset from here to the high watermark was removed by compaction (possible only while the
                // active segment is empty): nothing to return yet, as at the high watermark
                return new FetchData(offset, EMPTY.duplicate(), hw, lso);
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
        ensureOpen();
        for (int attempt = 0; attempt < MAX_READ_RETRIES; attempt++) {
            long hw = highWatermark;
            long lso = logStartOffset;
            if (offset < lso || offset > hw) {
                throw new OffsetOutOfRangeException("offset " + offset + " of " + tp + " is outside the local log ["
                        + lso + ", " + hw + "]", lso, hw);
            }
            if (offset == hw) {
                return Optional.of(new FileSlice(null, 0, 0, offset, hw, lso, () -> { }));
            }
            Map.Entry<Long, Segment> e = segments.floorEntry(offset);
            boolean raced = e == null;
            while (e != null) {
                Segment s = e.getValue();
                if (!s.retain()) {
                    ensureOpen();
                    raced = true;
                    break;
                }
                boolean handedOut = false;
                try {
                    Segment.Range r = s.locate(offset, maxBytes, hw);
                    if (r != null) {
                        if (r.size() == 0) {
                            return Optional.of(new FileSlice(null, 0, 0, offset, hw, lso, () -> { }));
                        }
                        handedOut = true;
                        return Optional.of(new FileSlice(s.readChannel(), r.position(), r.size(), offset, hw, lso, s::release));
                    }
                } finally {
                    if (!handedOut) {
                        s.release();
                    }
                }
                e = segments.higherEntry(e.getKey());
            }
            if (!raced) {
                return Optional.of(new FileSlice(null, 0, 0, offset, hw, lso, () -> { }));
            }
        }
        throw new LogIOException("read of offset " + offset + " of " + tp + " kept racing with segment changes", null);
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
        lock.lock();
        boolean interrupted = Thread.interrupted(); // an interrupt must not close the log's shared channels
        try {
            ensureOpen();
            if (active.size > 0) {
                rollLocked(clock.getAsLong());
            }
        } finally {
            lock.unlock();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public boolean maybeRoll(long nowMs) {
        lock.lock();
        boolean interrupted = Thread.interrupted(); // an interrupt must not close the log's shared channels
        try {
            ensureOpen();
            if (active.size > 0 && nowMs - active.createdMs >= config.segmentMs()) {
                rollLocked(nowMs);
                return true;
            }
            return false;
        } finally {
            lock.unlock();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
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
    public int deleteOldestSegmentsWhile(Predicate<SegmentInfo> predicate) {
        lock.lock();
        boolean interrupted = Thread.interrupted(); // an interrupt must not close the log's shared channels
        try {
            ensureOpen();
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
        } finally {
            lock.unlock();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public CompactionResult compact(long nowMs, long deleteRetentionMs, long maxKeyMapBytes) {
        if (deleteRetentionMs < 0) {
            throw new IllegalArgumentException("deleteRetentionMs must be >= 0, was " + deleteRetentionMs);
        }
        if (maxKeyMapBytes < KeyOffsetMap.BYTES_PER_SLOT) {
            throw new IllegalArgumentException("maxKeyMapBytes must be >= " + KeyOffsetMap.BYTES_PER_SLOT + ", was " + maxKeyMapBytes);
        }
        compactionLock.lock();
        boolean interrupted = Thread.interrupted(); // an interrupt must not close the segments' shared channels
        List<Segment> pinned = new ArrayList<>();
        try {
            Segment act;
            long endOffset;
            int activeSize;
            lock.lock();
            try {
                ensureOpen();
                act = active;
                // only acknowledged records that are on disk may supersede others: otherwise a crash could lose
                // the new record of a key after its old one was compacted away
                endOffset = highWatermark;
                if (flushedOffset < endOffset) {
                    flushLocked(clock.getAsLong());
                }
                activeSize = act.size;
                for (Segment s : segments.values()) {
                    if (s.retain()) {
                        pinned.add(s);
                    }
                }
            } finally {
                lock.unlock();
            }
            KeyOffsetMap map = new KeyOffsetMap(maxKeyMapBytes);
            long mapEnd = buildKeyMap(pinned, act, activeSize, endOffset, map);
            boolean full = mapEnd < endOffset;
            if (full) {
                LOG.warn("{}: compaction key map full at {} keys; compacting segments below offset {} only (log end {})",
                        tp, map.size(), mapEnd, endOffset);
            }
            long tombstoneCutoff = nowMs - deleteRetentionMs;
            int examined = 0;
            int rewritten = 0;
            int deleted = 0;
            long removed = 0;
            long before = 0;
            long after = 0;
            for (Segment s : pinned) {
                // only whole closed segments the key map covers (a prefix of the log)
                if (s == act || s.nextOffset > mapEnd || s.baseOffset >= act.baseOffset) {
                    break;
                }
                examined++;
                before += s.size;
                long removable = countRemovable(s, map, tombstoneCutoff);
                if (removable == 0) {
                    after += s.size;
                    continue;
                }
                Segment cleaned = writeCleaned(s, map, tombstoneCutoff);
                if (swapIn(s, cleaned)) {
                    removed += removable;
                    if (cleaned == null) {
                        deleted++;
                    } else {
                        rewritten++;
                        after += cleaned.size;
                    }
                } else {
                    after += s.size;
                }
            }
            CompactionResult result = new CompactionResult(examined, rewritten, deleted, removed, before, after,
                    map.size(), full, mapEnd);
            LOG.info("{}: compaction {}", tp, result);
            return result;
        } finally {
            for (Segment s : pinned) {
                s.release();
            }
            compactionLock.unlock();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Fills {@code map} with the latest offset of every key below {@code endOffset}, oldest segment first.
     * Returns the exclusive end of the offsets covered: {@code endOffset}, or the offset of the first record
     * whose key no longer fit.
     */
    private long buildKeyMap(List<Segment> pinned, Segment act, int activeSize, long endOffset, KeyOffsetMap map) {
        long[] stop = {endOffset};
        for (Segment s : pinned) {
            if (s.baseOffset >= endOffset || stop[0] < endOffset) {
                break;
            }
            s.forEachBatch(s == act ? activeSize : s.size, (batch, pos) -> {
                if (stop[0] < endOffset) {
                    return;
                }
                RecordBatch rb = checkedBatch(s, batch, pos);
                if (rb.baseOffset() >= endOffset) {
                    return;
                }
                for (Record r : rb.records()) {
                    if (r.offset() >= endOffset) {
                        break;
                    }
                    if (r.key() != null && !map.put(r.key(), r.offset())) {
                        stop[0] = r.offset();
                        return;
                    }
                }
            });
        }
        return stop[0];
    }

    private RecordBatch checkedBatch(Segment s, ByteBuffer batch, int pos) {
        RecordBatch rb = RecordBatch.wrap(batch);
        if (!rb.isValidHeaderAndCrc()) {
            throw new LogIOException("compaction of " + tp + " stopped: batch at position " + pos + " of segment "
                    + s.logPath.getFileName() + " fails its CRC; the segment is left as it is", null);
        }
        return rb;
    }

    /** The compaction rule for one record of a closed segment (see {@link PartitionLog#compact}). */
    private static boolean keep(Record r, KeyOffsetMap map, long tombstoneCutoff) {
        if (r.key() == null) {
            return false;
        }
        long latest = map.get(r.key());
        if (latest > r.offset()) {
            return false;
        }
        // not superseded (latest == offset), or beyond what a capped map covers (latest < offset): kept, except
        // a tombstone that is the latest of its key and older than the retention
        return !(r.value() == null && latest == r.offset() && r.timestamp() <= tombstoneCutoff);
    }

    private long countRemovable(Segment s, KeyOffsetMap map, long tombstoneCutoff) {
        long[] n = {0};
        s.forEachBatch(s.size, (batch, pos) -> {
            for (Record r : checkedBatch(s, batch, pos).records()) {
                if (!keep(r, map, tombstoneCutoff)) {
                    n[0]++;
                }
            }
        });
        return n[0];
    }

    /**
     * Writes the survivors of {@code s} to {@code .cleaned} files, forced to disk; returns null (and no files)
     * when nothing survives. Batches kept whole are copied byte for byte; others are re-encoded per run of
     * consecutive surviving offsets with the source batch's compression.
     */
    private Segment writeCleaned(Segment s, KeyOffsetMap map, long tombstoneCutoff) {
        Segment c = Segment.createCleaned(tp, dir, s.baseOffset, config.indexIntervalBytes(), s.createdMs);
        try {
            s.forEachBatch(s.size, (batch, pos) -> {
                RecordBatch rb = checkedBatch(s, batch, pos);
                List<Record> records = rb.records();
                List<Record> survivors = new ArrayList<>(records.size());
                for (Record r : records) {
                    if (keep(r, map, tombstoneCutoff)) {
                        survivors.add(r);
                    }
                }
                if (survivors.size() == records.size()) {
                    appendCleaned(c, rb, minTimestamp(records));
                    return;
                }
                BatchBuilder builder = new BatchBuilder(rb.compression());
                long first = -1;
                long prev = -1;
                for (Record r : survivors) {
                    if (!builder.isEmpty() && r.offset() != prev + 1) {
                        RecordBatch built = builder.build(first);
                        appendCleaned(c, built, built.minTimestamp());
                        builder.reset();
                    }
                    if (builder.isEmpty()) {
                        first = r.offset();
                    }
                    builder.add(r.timestamp(), r.key(), r.value(), r.headers());
                    prev = r.offset();
                }
                if (!builder.isEmpty()) {
                    RecordBatch built = builder.build(first);
                    appendCleaned(c, built, built.minTimestamp());
                }
            });
            if (c.size == 0) {
                c.closeQuietly();
                c.deleteCleanedFiles();
                return null;
            }
            c.finalizeTimeIndex();
            c.force(true);
            c.closeForWrites(s.closedAtMs);
            return c;
        } catch (RuntimeException e) {
            c.closeQuietly();
            c.deleteCleanedFiles();
            throw e;
        }
    }

    private static long minTimestamp(List<Record> records) {
        long min = Long.MAX_VALUE;
        for (Record r : records) {
            min = Math.min(min, r.timestamp());
        }
        return min;
    }

    private static void appendCleaned(Segment c, RecordBatch rb, long minTimestamp) {
        ByteBuffer b = rb.buffer();
        int filePos = c.size;
        c.write(b, 0, b.limit());
        c.indexBatch((int) (rb.baseOffset() - c.baseOffset), filePos, b.limit(), minTimestamp, rb.maxTimestamp());
        c.size = filePos + b.limit();
        c.nextOffset = rb.nextOffset();
    }

    /**
     * Under the writer's lock: replaces {@code old} by {@code cleaned} (renaming the files over the original's),
     * or deletes it when {@code cleaned} is null. Returns false, leaving everything as it was, when the segment
     * went away meanwhile (retention, close).
     */
    private boolean swapIn(Segment old, Segment cleaned) {
        lock.lock();
        boolean interrupted = Thread.interrupted();
        try {
            if (closed || segments.get(old.baseOffset) != old) {
                if (cleaned != null) {
                    cleaned.closeQuietly();
                    cleaned.deleteCleanedFiles();
                }
                return false;
            }
            unflushedClosed.remove(old);
            if (cleaned == null) {
                // the start moves before the segment leaves the map, so that no reader finds neither
                if (old.baseOffset == logStartOffset) {
                    long newStart = segments.higherKey(old.baseOffset);
                    logStartOffset = newStart;
                    synchronized (hwLock) {
                        if (highWatermark < newStart) {
                            highWatermark = newStart;
                        }
                    }
                }
                segments.remove(old.baseOffset);
                old.markDeleted();
                LOG.info("{}: compaction removed every record of segment {}; deleted it", tp, Segment.fileName(old.baseOffset));
            } else {
                cleaned.commitCleaned();
                segments.put(old.baseOffset, cleaned);
                old.markReplaced();
                LOG.debug("{}: compacted segment {} from {} to {} bytes", tp, Segment.fileName(old.baseOffset), old.size, cleaned.size);
            }
            forceDirectory();
            return true;
        } finally {
            lock.unlock();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Makes renames durable (best effort: not every platform can fsync a directory). */
    private void forceDirectory() {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            LOG.debug("{}: cannot fsync directory {}: {}", tp, dir, e.toString());
        }
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

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("partition log " + tp + " is closed");
        }
    }

    @Override
    public String toString() {
        return "LocalPartitionLog[" + tp + ", [" + logStartOffset + ", " + logEndOffset + "), hw=" + highWatermark + "]";
    }
}
