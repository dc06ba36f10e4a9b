package io.tierlog.hot;

import io.tierlog.core.CorruptBatchException;
import io.tierlog.core.Record;
import io.tierlog.core.RecordBatch;
import io.tierlog.core.StorageException;
import io.tierlog.core.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One segment of a partition log: the {@code .log} file of concatenated batches plus its two sparse indexes,
 * kept in memory for lookups and mirrored to {@code .index} / {@code .timeindex}. Mutated only by the log's
 * writer (under the log's lock); read by any thread between {@link #retain()} and {@link #release()}, so that a
 * deleted segment's channel closes only after its last reader is done.
 */
final class Segment {
    private static final Logger LOG = LoggerFactory.getLogger(Segment.class);
    static final String LOG_SUFFIX = ".log";
    static final String INDEX_SUFFIX = ".index";
    static final String TIME_INDEX_SUFFIX = ".timeindex";
    static final String DELETED_SUFFIX = ".deleted";
    static final String TMP_SUFFIX = ".tmp";
    /** Suffix of a segment rewritten by compaction before it is renamed over the original. */
    static final String CLEANED_SUFFIX = ".cleaned";

    final TopicPartition tp;
    final long baseOffset;
    final Path logPath;
    final Path indexPath;
    final Path timeIndexPath;
    /** Where the writer writes: the segment's own files, or their {@code .cleaned} siblings while compacting. */
    private Path logWritePath;
    private Path indexWritePath;
    private Path timeIndexWritePath;
    private final int indexIntervalBytes;

    final OffsetIndex offsetIndex = new OffsetIndex();
    final TimeIndex timeIndex = new TimeIndex();

    private volatile FileChannel readChannel;
    private volatile FileChannel writeChannel;
    private FileChannel indexChannel;
    private FileChannel timeIndexChannel;
    private final ByteBuffer indexEntry = ByteBuffer.allocate(OffsetIndex.ENTRY_SIZE);
    private final ByteBuffer timeIndexEntry = ByteBuffer.allocate(TimeIndex.ENTRY_SIZE);

    /** Bytes of complete batches; readers never look past it. */
    volatile int size;
    volatile long nextOffset;
    volatile long minTimestamp = Long.MAX_VALUE;
    volatile long maxTimestamp = Long.MIN_VALUE;
    private int relOfMax;
    private int bytesSinceIndex;
    private int bytesSinceTimeIndex;
    final long createdMs;
    volatile long closedAtMs = -1;
    private volatile boolean deleted;
    /** Replaced by a compacted copy: the files now belong to the copy, so nothing is deleted or reopened. */
    private volatile boolean replaced;
    private final AtomicInteger refs = new AtomicInteger(1);

    private Segment(TopicPartition tp, Path dir, long baseOffset, int indexIntervalBytes, long createdMs) {
        this.tp = tp;
        this.baseOffset = baseOffset;
        String name = fileName(baseOffset);
        this.logPath = dir.resolve(name + LOG_SUFFIX);
        this.indexPath = dir.resolve(name + INDEX_SUFFIX);
        this.timeIndexPath = dir.resolve(name + TIME_INDEX_SUFFIX);
        this.logWritePath = logPath;
        this.indexWritePath = indexPath;
        this.timeIndexWritePath = timeIndexPath;
        this.indexIntervalBytes = indexIntervalBytes;
        this.nextOffset = baseOffset;
        this.createdMs = createdMs;
    }

    static String fileName(long baseOffset) {
        return String.format("%020d", baseOffset);
    }

    /** A new, empty, writable segment (files created, truncating leftovers of an earlier life). */
    static Segment create(TopicPartition tp, Path dir, long baseOffset, int indexIntervalBytes, long nowMs) {
        Segment s = new Segment(tp, dir, baseOffset, indexIntervalBytes, nowMs);
        try {
            s.writeChannel = FileChannel.open(s.logPath, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
            s.readChannel = FileChannel.open(s.logPath, StandardOpenOption.READ);
            s.openIndexWriters(true);
        } catch (IOException e) {
            s.closeQuietly();
            throw new LogIOException("cannot create segment " + s.logPath + " of " + tp, e);
        }
        return s;
    }

    /**
     * A new segment that compaction fills to replace the closed segment at {@code baseOffset}: it writes to
     * {@code <base>.log.cleaned} (and the index siblings) until {@link #commitCleaned()} renames them over the
     * original's files. Its read channel follows the file through the rename.
     */
    static Segment createCleaned(TopicPartition tp, Path dir, long baseOffset, int indexIntervalBytes, long nowMs) {
        Segment s = new Segment(tp, dir, baseOffset, indexIntervalBytes, nowMs);
        s.logWritePath = cleanedPath(s.logPath);
        s.indexWritePath = cleanedPath(s.indexPath);
        s.timeIndexWritePath = cleanedPath(s.timeIndexPath);
        try {
            s.writeChannel = FileChannel.open(s.logWritePath, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
            s.readChannel = FileChannel.open(s.logWritePath, StandardOpenOption.READ);
            s.openIndexWriters(true);
        } catch (IOException e) {
            s.closeQuietly();
            s.deleteCleanedFiles();
            throw new LogIOException("cannot create compacted segment " + s.logWritePath + " of " + tp, e);
        }
        return s;
    }

    static Path cleanedPath(Path p) {
        return p.resolveSibling(p.getFileName() + CLEANED_SUFFIX);
    }

    /**
     * Renames the compacted files over the original segment's (log first; each rename is atomic). A crash
     * between renames leaves a log whose index files do not match it, which the next open detects and rebuilds.
     */
    void commitCleaned() {
        try {
            Files.move(logWritePath, logPath, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Files.move(indexWritePath, indexPath, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Files.move(timeIndexWritePath, timeIndexPath, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new LogIOException("cannot install compacted segment " + logPath + " of " + tp, e);
        }
        logWritePath = logPath;
        indexWritePath = indexPath;
        timeIndexWritePath = timeIndexPath;
    }

    /** Removes the {@code .cleaned} files of an abandoned compaction (best effort). */
    void deleteCleanedFiles() {
        for (Path p : new Path[]{cleanedPath(logPath), cleanedPath(indexPath), cleanedPath(timeIndexPath)}) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                LOG.warn("{}: cannot remove {}: {}", tp, p, e.toString());
            }
        }
    }

    /**
     * The log swapped in a compacted copy of this segment: drops the log's reference without touching the
     * files (they are the copy's now); readers holding a reference finish on the old, still open file.
     */
    void markReplaced() {
        replaced = true;
        release();
    }

    /** An existing segment, opened for reading; its state is filled by {@link #loadClosed} or {@link #recover}. */
    static Segment openExisting(TopicPartition tp, Path dir, long baseOffset, int indexIntervalBytes, long nowMs) {
        Segment s = new Segment(tp, dir, baseOffset, indexIntervalBytes, nowMs);
        try {
            s.readChannel = FileChannel.open(s.logPath, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new LogIOException("cannot open segment " + s.logPath + " of " + tp, e);
        }
        return s;
    }

    // ---------------------------------------------------------------- writer side

    /** Writes [start, end) of {@code src} at the end of the log file; the buffer's position is restored. */
    void write(ByteBuffer src, int start, int end) {
        int filePos = size;
        int savedPos = src.position();
        int savedLimit = src.limit();
        boolean interrupted = false;
        try {
            for (int attempt = 0; ; attempt++) {
                try {
                    src.limit(end).position(start);
                    long at = filePos;
                    while (src.hasRemaining()) {
                        at += writeChannel.write(src, at);
                    }
                    break;
                } catch (ClosedByInterruptException e) {
                    // positional writes are idempotent: reopen and write the same bytes again
                    if (attempt > 0) {
                        throw new LogIOException("write to " + logPath + " of " + tp + " interrupted twice", e);
                    }
                    interrupted |= Thread.interrupted();
                    writeChannel = FileChannel.open(logWritePath, StandardOpenOption.WRITE);
                }
            }
        } catch (IOException e) {
            throw new LogIOException("cannot append " + (end - start) + " bytes to " + logPath + " of " + tp
                    + " at position " + filePos, e);
        } finally {
            src.limit(savedLimit).position(savedPos);
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Records one appended (or recovered) batch in the indexes and the segment's bounds. */
    void indexBatch(int relativeOffset, int position, int batchSize, long batchMinTs, long batchMaxTs) {
        if (position > 0 && bytesSinceIndex >= indexIntervalBytes) {
            offsetIndex.add(relativeOffset, position);
            if (indexChannel != null) {
                indexEntry.clear();
                OffsetIndex.writeEntry(indexEntry, relativeOffset, position);
                indexChannel = writeIndexEntry(indexChannel, indexEntry, (long) (offsetIndex.size() - 1) * OffsetIndex.ENTRY_SIZE, indexWritePath);
            }
            bytesSinceIndex = 0;
        }
        bytesSinceIndex += batchSize;
        if (batchMinTs < minTimestamp) {
            minTimestamp = batchMinTs;
        }
        if (batchMaxTs > maxTimestamp) {
            relOfMax = relativeOffset;
            if (timeIndex.size() == 0 || bytesSinceTimeIndex >= indexIntervalBytes) {
                addTimeEntry(batchMaxTs, relativeOffset);
            }
            maxTimestamp = batchMaxTs;
        }
        bytesSinceTimeIndex += batchSize;
    }

    private void addTimeEntry(long ts, int rel) {
        timeIndex.add(ts, rel);
        bytesSinceTimeIndex = 0;
        if (timeIndexChannel != null) {
            timeIndexEntry.clear();
            TimeIndex.writeEntry(timeIndexEntry, ts, rel);
            timeIndexChannel = writeIndexEntry(timeIndexChannel, timeIndexEntry, (long) (timeIndex.size() - 1) * TimeIndex.ENTRY_SIZE, timeIndexWritePath);
        }
    }

    /** Writes one entry; returns the channel to use from now on (reopened if an interrupt closed it). */
    private FileChannel writeIndexEntry(FileChannel ch, ByteBuffer entry, long at, Path path) {
        entry.flip();
        boolean interrupted = false;
        try {
            for (int attempt = 0; ; attempt++) {
                try {
                    entry.rewind();
                    long pos = at;
                    while (entry.hasRemaining()) {
                        pos += ch.write(entry, pos);
                    }
                    return ch;
                } catch (ClosedByInterruptException e) {
                    if (attempt > 0) {
                        throw e;
                    }
                    interrupted |= Thread.interrupted();
                    ch = FileChannel.open(path, StandardOpenOption.WRITE);
                }
            }
        } catch (IOException e) {
            throw new LogIOException("cannot write index " + path + " of " + tp, e);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Done when the segment closes: makes the time index end with the segment's maximum timestamp, then writes the
     * segment's minimum timestamp after the entries (the trailer only closed segments carry). Kafka's batch header
     * has no minimum, so this trailer is what lets a restart load a closed segment without decoding its records.
     */
    void finalizeTimeIndex() {
        if (size > 0 && maxTimestamp > timeIndex.lastTimestamp()) {
            addTimeEntry(maxTimestamp, relOfMax);
        }
        if (timeIndexChannel != null) {
            ByteBuffer trailer = ByteBuffer.allocate(TimeIndex.TRAILER_SIZE).putLong(0, minTimestamp);
            timeIndexChannel = writeIndexEntry(timeIndexChannel, trailer.position(TimeIndex.TRAILER_SIZE),
                    (long) timeIndex.size() * TimeIndex.ENTRY_SIZE, timeIndexWritePath);
        }
    }

    /** The {@code .timeindex} file of a closed segment: the entries, then the minimum timestamp. */
    private byte[] closedTimeIndexBytes() {
        byte[] entries = timeIndex.toBytes();
        return ByteBuffer.allocate(entries.length + TimeIndex.TRAILER_SIZE).put(entries).putLong(minTimestamp).array();
    }

    /**
     * Forces the log file (and, with {@code withIndexes}, the index files) to disk. May run beside appends on
     * another thread (see LocalPartitionLog#flush): a write channel closed meanwhile by a roll is replaced by the
     * read channel, which forces the same file.
     */
    void force(boolean withIndexes) {
        try {
            FileChannel ch = writeChannel;
            try {
                (ch != null ? ch : readChannel).force(false);
            } catch (ClosedChannelException e) {
                readChannel.force(false);
            }
            if (withIndexes) {
                if (indexChannel != null) {
                    indexChannel.force(false);
                }
                if (timeIndexChannel != null) {
                    timeIndexChannel.force(false);
                }
            }
        } catch (IOException e) {
            throw new LogIOException("cannot fsync " + logPath + " of " + tp, e);
        }
    }

    /** The segment becomes immutable: writers' channels close, readers keep theirs. */
    void closeForWrites(long nowMs) {
        closeQuietly(writeChannel, indexChannel, timeIndexChannel);
        writeChannel = null;
        indexChannel = null;
        timeIndexChannel = null;
        if (closedAtMs < 0) {
            closedAtMs = nowMs;
        }
    }

    private void openIndexWriters(boolean truncate) throws IOException {
        var opts = truncate
                ? new StandardOpenOption[]{StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING}
                : new StandardOpenOption[]{StandardOpenOption.CREATE, StandardOpenOption.WRITE};
        indexChannel = FileChannel.open(indexWritePath, opts);
        timeIndexChannel = FileChannel.open(timeIndexWritePath, opts);
    }

    // ---------------------------------------------------------------- open and recovery

    /**
     * Loads a closed segment cheaply: walks the batch headers (no CRC) to find its bounds and rebuild the
     * indexes in memory, then checks that the index files hold exactly those entries. Returns false when the
     * header chain is broken, the file has a torn tail, or an index file is missing or differs: the caller then
     * runs the full {@link #recover} of this segment. Gaps between batches (left by compaction) are accepted
     * as long as base offsets increase and every offset stays below {@code offsetLimit}, the next segment's base.
     */
    boolean loadClosed(long offsetLimit) {
        ScanResult r = scan(false, true, offsetLimit);
        if (r.problem != null || r.validBytes != r.fileSize) {
            LOG.warn("{}: segment {} fails the header scan ({}); recovering it", tp, logPath.getFileName(),
                    r.problem != null ? r.problem : "torn tail");
            return false;
        }
        finalizeTimeIndex();
        byte[] timeFile = readFileOrNull(timeIndexPath);
        byte[] entries = timeIndex.toBytes();
        long storedMin = timeFile != null && timeFile.length == entries.length + TimeIndex.TRAILER_SIZE
                ? ByteBuffer.wrap(timeFile).getLong(entries.length) : Long.MIN_VALUE;
        if (!Arrays.equals(readFileOrNull(indexPath), offsetIndex.toBytes())
                || storedMin == Long.MIN_VALUE || storedMin > maxTimestamp
                || !Arrays.equals(timeFile, 0, entries.length, entries, 0, entries.length)) {
            LOG.warn("{}: index of segment {} is missing or corrupt; recovering the segment and rebuilding it",
                    tp, logPath.getFileName());
            return false;
        }
        minTimestamp = storedMin;
        closedAtMs = lastModified();
        return true;
    }

    /**
     * Full recovery: validates every batch (length, CRC, offset order), truncates the file after the last
     * valid batch and rewrites both index files. When {@code active} the segment stays open for appends,
     * otherwise its time index is finalised and it is closed for writes. Returns the bytes truncated.
     * With {@code allowGaps} (a segment that was closed, so compaction may have rewritten it) a batch may
     * start after the previous one's end, but below {@code offsetLimit}; otherwise offsets must be dense.
     */
    long recover(boolean active, long nowMs, boolean allowGaps, long offsetLimit) {
        ScanResult r = scan(true, allowGaps, offsetLimit);
        long truncated = r.fileSize - r.validBytes;
        try {
            if (truncated > 0) {
                LOG.warn("{}: truncating segment {} from {} to {} bytes ({})", tp, logPath.getFileName(), r.fileSize,
                        r.validBytes, r.problem != null ? r.problem : "torn tail");
                try (FileChannel ch = FileChannel.open(logPath, StandardOpenOption.WRITE)) {
                    // not forced: if the truncation is lost, recovery meets the same invalid tail again
                    ch.truncate(r.validBytes);
                }
            }
            if (!active) {
                finalizeTimeIndex();
            }
            writeFileAtomically(indexPath, offsetIndex.toBytes());
            writeFileAtomically(timeIndexPath, active ? timeIndex.toBytes() : closedTimeIndexBytes());
            if (active) {
                writeChannel = FileChannel.open(logPath, StandardOpenOption.WRITE);
                openIndexWriters(false);
            } else {
                closedAtMs = truncated > 0 ? nowMs : lastModified();
            }
        } catch (IOException e) {
            throw new LogIOException("cannot recover segment " + logPath + " of " + tp, e);
        }
        return truncated;
    }

    private long lastModified() {
        try {
            return Files.getLastModifiedTime(logPath).toMillis();
        } catch (IOException e) {
            return System.currentTimeMillis();
        }
    }

    private void writeFileAtomically(Path target, byte[] content) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + TMP_SUFFIX);
        Files.write(tmp, content);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static byte[] readFileOrNull(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            return null;
        }
    }

    private record ScanResult(long fileSize, int validBytes, String problem) {
    }

    /** Walks the batches from the start, (re)building the in-memory indexes and bounds of the valid prefix. */
    private ScanResult scan(boolean verifyCrc, boolean allowGaps, long offsetLimit) {
        offsetIndex.clear();
        timeIndex.clear();
        bytesSinceIndex = 0;
        bytesSinceTimeIndex = 0;
        minTimestamp = Long.MAX_VALUE;
        maxTimestamp = Long.MIN_VALUE;
        long fileSize;
        try {
            fileSize = readChannel.size();
        } catch (IOException e) {
            throw new LogIOException("cannot stat " + logPath + " of " + tp, e);
        }
        long limit = Math.min(fileSize, Integer.MAX_VALUE);
        Window w = new Window(verifyCrc ? 1 << 20 : 1 << 16, limit);
        int pos = 0;
        long expected = baseOffset;
        String problem = null;
        while (pos < limit) {
            if (!w.ensure(pos, RecordBatch.HEADER_SIZE)) {
                problem = "torn batch header at position " + pos;
                break;
            }
            ByteBuffer b = w.buf;
            int off = w.offsetOf(pos);
            int batchSize;
            try {
                batchSize = RecordBatch.declaredSizeAt(b, off);
            } catch (CorruptBatchException e) {
                problem = e.getMessage() + " (file position " + pos + ")";
                break;
            }
            if (pos + (long) batchSize > limit) {
                problem = "torn batch at position " + pos + " (" + batchSize + " bytes declared, " + (limit - pos) + " present)";
                break;
            }
            long base = RecordBatch.baseOffsetAt(b, off);
            int lastDelta = RecordBatch.lastOffsetDeltaAt(b, off);
            long maxTs = RecordBatch.maxTimestampAt(b, off);
            if (allowGaps ? base < expected || base - baseOffset > Integer.MAX_VALUE || base + lastDelta >= offsetLimit
                    : base != expected) {
                problem = "batch at position " + pos + " has base offset " + base + " where " + expected
                        + (allowGaps ? " or more (and an end below " + offsetLimit + ")" : "") + " was expected";
                break;
            }
            // every stored batch carries Tierlog's leader epoch: a different value is damage the CRC does not cover
            if (!RecordBatch.isPlausibleHeaderAt(b, off) || RecordBatch.partitionLeaderEpochAt(b, off) != RecordBatch.LEADER_EPOCH
                    || base + lastDelta - baseOffset > Integer.MAX_VALUE) {
                problem = "invalid batch header at position " + pos;
                break;
            }
            // the minimum timestamp is not in Kafka's header: full recovery decodes it, the header scan of a closed
            // segment takes the segment's minimum from its time index instead
            long minTs = Long.MAX_VALUE;
            if (verifyCrc) {
                if (!w.ensure(pos, batchSize)) {
                    problem = "torn batch at position " + pos;
                    break;
                }
                RecordBatch rb = RecordBatch.wrap(w.buf.slice(w.offsetOf(pos), batchSize));
                if (!rb.isValidHeaderAndCrc()) {
                    problem = "CRC mismatch in batch at position " + pos + " (offset " + base + ")";
                    break;
                }
                try {
                    minTs = rb.minTimestamp();
                } catch (CorruptBatchException e) {
                    problem = "batch at position " + pos + " (offset " + base + ") does not decode: " + e.getMessage();
                    break;
                }
            }
            indexBatch((int) (base - baseOffset), pos, batchSize, minTs, maxTs);
            expected = base + lastDelta + 1;
            pos += batchSize;
        }
        size = pos;
        nextOffset = expected;
        return new ScanResult(fileSize, pos, problem);
    }

    /** Receives one whole batch of a segment: a big-endian view valid only during the call. */
    interface BatchVisitor {
        void visit(ByteBuffer batch, int position);
    }

    /**
     * Calls {@code visitor} with each batch in file positions [0, endPos), in order. Used by compaction, which
     * reads published bytes only; a batch that does not fit the range is a corrupt segment.
     */
    void forEachBatch(int endPos, BatchVisitor visitor) {
        Window w = new Window(1 << 20, endPos);
        int pos = 0;
        while (pos < endPos) {
            if (!w.ensure(pos, RecordBatch.HEADER_SIZE)) {
                throw new LogIOException("segment " + logPath + " of " + tp + " has a torn batch header at position " + pos, null);
            }
            int batchSize;
            try {
                batchSize = RecordBatch.declaredSizeAt(w.buf, w.offsetOf(pos));
            } catch (CorruptBatchException e) {
                throw new LogIOException("segment " + logPath + " of " + tp + ": " + e.getMessage() + " at position " + pos, e);
            }
            if (!w.ensure(pos, batchSize)) {
                throw new LogIOException("segment " + logPath + " of " + tp + " has a torn batch at position " + pos, null);
            }
            visitor.visit(w.buf.slice(w.offsetOf(pos), batchSize).order(ByteOrder.BIG_ENDIAN), pos);
            pos += batchSize;
        }
    }

    /**
     * Calls {@code visitor} with the header of each batch in file positions [0, endPos), in order, reading only the
     * headers (one positional read each).
     */
    void forEachHeader(int endPos, PartitionLog.BatchHeaderVisitor visitor) {
        ByteBuffer hdr = ByteBuffer.allocate(RecordBatch.HEADER_SIZE);
        int pos = 0;
        while (pos < endPos) {
            int batchSize = readHeader(hdr, pos);
            visitor.visit(hdr, 0);
            pos += batchSize;
        }
    }

    /** A sliding read window over the log file for sequential scans. */
    private final class Window {
        private final int chunk;
        private final long limit;
        ByteBuffer buf = ByteBuffer.allocate(0);
        long start;

        Window(int chunk, long limit) {
            this.chunk = chunk;
            this.limit = limit;
        }

        int offsetOf(long pos) {
            return (int) (pos - start);
        }

        boolean ensure(long pos, int n) {
            if (pos >= start && pos + n <= start + buf.limit()) {
                return true;
            }
            if (pos + n > limit) {
                return false;
            }
            int len = (int) Math.min(Math.max(chunk, n), limit - pos);
            if (buf.capacity() < len) {
                buf = ByteBuffer.allocate(Math.max(len, chunk)).order(ByteOrder.BIG_ENDIAN);
            }
            buf.clear().limit(len);
            readFully(buf, pos);
            buf.flip();
            start = pos;
            return true;
        }
    }

    // ---------------------------------------------------------------- reader side

    /** Takes a reference for reading; false when the segment is being deleted or the log is closed. */
    boolean retain() {
        while (true) {
            int c = refs.get();
            if (c <= 0) {
                return false;
            }
            if (refs.compareAndSet(c, c + 1)) {
                return true;
            }
        }
    }

    void release() {
        if (refs.decrementAndGet() == 0) {
            closeQuietly();
            if (deleted) {
                for (Path p : new Path[]{logPath, indexPath, timeIndexPath}) {
                    try {
                        Files.deleteIfExists(p.resolveSibling(p.getFileName() + DELETED_SUFFIX));
                    } catch (IOException e) {
                        LOG.warn("{}: cannot remove {}: {}", tp, p, e.toString());
                    }
                }
            }
        }
    }

    /**
     * Renames the files to {@code .deleted} (a crash from here on leaves only stray files that the next open
     * removes) and drops the log's reference; the files are unlinked when the last reader releases.
     */
    void markDeleted() {
        deleted = true;
        for (Path p : new Path[]{logPath, indexPath, timeIndexPath}) {
            try {
                if (Files.exists(p)) {
                    Files.move(p, p.resolveSibling(p.getFileName() + DELETED_SUFFIX), StandardCopyOption.ATOMIC_MOVE);
                }
            } catch (IOException e) {
                throw new LogIOException("cannot delete segment file " + p + " of " + tp, e);
            }
        }
        release();
    }

    /** Reads into {@code dst} from file position {@code pos} until dst is full; fails on EOF. */
    void readFully(ByteBuffer dst, long pos) {
        boolean interrupted = false;
        try {
            for (int attempt = 0; ; attempt++) {
                FileChannel ch = readChannel;
                try {
                    long at = pos + dst.position();
                    while (dst.hasRemaining()) {
                        int n = ch.read(dst, at);
                        if (n < 0) {
                            throw new LogIOException("unexpected end of " + logPath + " of " + tp + " at position " + at, null);
                        }
                        at += n;
                    }
                    return;
                } catch (ClosedChannelException e) {
                    // an interrupted reader closes the shared channel: reopen it unless the segment is gone
                    if (attempt > 2 || refs.get() <= 0) {
                        throw new LogIOException("segment " + logPath + " of " + tp + " was closed during a read", e);
                    }
                    interrupted |= Thread.interrupted();
                    if (replaced) {
                        throw new LogIOException("segment " + logPath + " of " + tp + " was compacted during a read", e);
                    }
                    reopenReadChannel(ch);
                }
            }
        } catch (IOException e) {
            throw new LogIOException("cannot read " + logPath + " of " + tp + " at position " + pos, e);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private synchronized void reopenReadChannel(FileChannel broken) throws IOException {
        if (readChannel == broken) {
            Path p = deleted ? logPath.resolveSibling(logPath.getFileName() + DELETED_SUFFIX) : logPath;
            readChannel = FileChannel.open(p, StandardOpenOption.READ);
        }
    }

    /** A byte range of whole batches of the log file. */
    record Range(int position, int size) {
    }

    /**
     * Where a read of {@code offset} reads: the whole batches from the first one that ends at or after
     * {@code offset} (it contains {@code offset}, or starts after it when {@code offset} falls into a gap left by
     * compaction), up to about {@code maxBytes} (at least one batch), none at or beyond {@code highWatermark}. An empty range when
     * that batch is at or beyond the high watermark, null when no batch of this segment ends at or after
     * {@code offset}. Reads only batch headers.
     */
    Range locate(long offset, int maxBytes, long highWatermark) {
        int limit = size;
        int pos = offsetIndex.lookup((int) Math.min(Integer.MAX_VALUE, offset - baseOffset));
        ByteBuffer hdr = ByteBuffer.allocate(RecordBatch.HEADER_SIZE);
        int start;
        while (true) {
            if (pos >= limit) {
                return null;
            }
            int batchSize = readHeader(hdr, pos);
            if (RecordBatch.nextOffsetAt(hdr, 0) > offset) {
                if (RecordBatch.baseOffsetAt(hdr, 0) >= highWatermark) {
                    return new Range(pos, 0);
                }
                start = pos;
                pos += batchSize;
                break;
            }
            pos += batchSize;
        }
        long want = (long) start + maxBytes;
        while (pos < limit && pos < want) {
            int batchSize = readHeader(hdr, pos);
            if (pos + (long) batchSize > want || RecordBatch.baseOffsetAt(hdr, 0) >= highWatermark) {
                break;
            }
            pos += batchSize;
        }
        return new Range(start, pos - start);
    }

    /** Reads the batch header at {@code pos} into {@code hdr} and returns the batch's size. */
    private int readHeader(ByteBuffer hdr, int pos) {
        hdr.clear();
        readFully(hdr, pos);
        try {
            return RecordBatch.declaredSizeAt(hdr, 0);
        } catch (CorruptBatchException e) {
            throw new StorageException("segment " + logPath + " of " + tp + ": " + e.getMessage() + " at file position " + pos, e);
        }
    }

    /** The channel readers share; read it only with positional calls, between {@link #retain()} and {@link #release()}. */
    FileChannel readChannel() {
        return readChannel;
    }

    /**
     * First offset below {@code highWatermark} whose record timestamp is >= {@code timestamp}; -1 when the
     * first such record is at or beyond the high watermark; -2 when this segment has none (try the next).
     */
    long offsetForTimestamp(long timestamp, long highWatermark) {
        int limit = size;
        int pos = offsetIndex.lookup(timeIndex.lastRelativeOffsetBelow(timestamp));
        ByteBuffer hdr = ByteBuffer.allocate(RecordBatch.HEADER_SIZE);
        while (pos < limit) {
            int batchSize = readHeader(hdr, pos);
            if (RecordBatch.maxTimestampAt(hdr, 0) >= timestamp) {
                if (RecordBatch.baseOffsetAt(hdr, 0) >= highWatermark) {
                    return -1;
                }
                ByteBuffer batch = ByteBuffer.allocate(batchSize);
                readFully(batch, pos);
                batch.flip();
                List<Record> records;
                try {
                    records = RecordBatch.wrap(batch).records();
                } catch (CorruptBatchException e) {
                    throw new StorageException("segment " + logPath + " of " + tp + ": batch at file position " + pos
                            + " does not decode: " + e.getMessage(), e);
                }
                for (Record r : records) {
                    if (r.offset() >= highWatermark) {
                        return -1;
                    }
                    if (r.timestamp() >= timestamp) {
                        return r.offset();
                    }
                }
                return -1;
            }
            pos += batchSize;
        }
        return -2;
    }

    SegmentInfo info() {
        return new SegmentInfo(tp, baseOffset, nextOffset, minTimestamp, maxTimestamp, size, closedAtMs,
                logPath, indexPath, timeIndexPath);
    }

    /** Drops the owner's reference (log close): channels close once readers are done. */
    void closeQuietly() {
        closeQuietly(writeChannel, indexChannel, timeIndexChannel, readChannel);
    }

    private void closeQuietly(FileChannel... chans) {
        for (FileChannel c : chans) {
            if (c != null) {
                try {
                    c.close();
                } catch (IOException e) {
                    LOG.debug("{}: close of {} failed: {}", tp, logPath, e.toString());
                }
            }
        }
    }

    @Override
    public String toString() {
        return "Segment[" + tp + "@" + baseOffset + ", size=" + size + ", next=" + nextOffset + "]";
    }
}
