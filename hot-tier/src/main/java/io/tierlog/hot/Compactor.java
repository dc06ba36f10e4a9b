package io.tierlog.hot;

import io.tierlog.core.BatchBuilder;
import io.tierlog.core.Record;
import io.tierlog.core.RecordBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Log compaction of one {@link LocalPartitionLog} (Kafka's LogCleaner, for one partition): builds the latest offset
 * of every key, rewrites each closed segment that holds superseded records into {@code .cleaned} files and swaps
 * it in under the writer's lock. Runs beside the writer; runs on one log serialise on their own lock.
 */
final class Compactor {
    private static final Logger LOG = LoggerFactory.getLogger(Compactor.class);

    private final LocalPartitionLog log;
    /** Serialises compaction runs; held for a whole run, unlike the log's lock, which it takes only briefly. */
    private final ReentrantLock compactionLock = new ReentrantLock();

    Compactor(LocalPartitionLog log) {
        this.log = log;
    }

    /** One run of {@link PartitionLog#compact}; see there for the contract. */
    CompactionResult run(long nowMs, long deleteRetentionMs, long maxKeyMapBytes) {
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
            log.lock.lock();
            try {
                log.ensureOpen();
                act = log.active;
                // only acknowledged records that are on disk may supersede others: otherwise a crash could lose
                // the new record of a key after its old one was compacted away
                endOffset = log.highWatermark;
                if (log.flushedOffset < endOffset) {
                    log.flushLocked(log.clock.getAsLong());
                }
                activeSize = act.size;
                for (Segment s : log.segments.values()) {
                    if (s.retain()) {
                        pinned.add(s);
                    }
                }
            } finally {
                log.lock.unlock();
            }
            KeyOffsetMap map = new KeyOffsetMap(maxKeyMapBytes);
            long mapEnd = buildKeyMap(pinned, act, activeSize, endOffset, map);
            boolean full = mapEnd < endOffset;
            if (full) {
                LOG.warn("{}: compaction key map full at {} keys; compacting segments below offset {} only (log end {})",
                        log.tp, map.size(), mapEnd, endOffset);
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
            LOG.info("{}: compaction {}", log.tp, result);
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
            throw new LogIOException("compaction of " + log.tp + " stopped: batch at position " + pos + " of segment "
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
        Segment c = Segment.createCleaned(log.tp, log.dir, s.baseOffset, log.config.indexIntervalBytes(), s.createdMs);
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
        log.lock.lock();
        boolean interrupted = Thread.interrupted();
        try {
            if (log.closed || log.segments.get(old.baseOffset) != old) {
                if (cleaned != null) {
                    cleaned.closeQuietly();
                    cleaned.deleteCleanedFiles();
                }
                return false;
            }
            log.unflushedClosed.remove(old);
            if (cleaned == null) {
                // the start moves before the segment leaves the map, so that no reader finds neither
                if (old.baseOffset == log.logStartOffset) {
                    long newStart = log.segments.higherKey(old.baseOffset);
                    log.logStartOffset = newStart;
                    synchronized (log.hwLock) {
                        if (log.highWatermark < newStart) {
                            log.highWatermark = newStart;
                        }
                    }
                }
                log.segments.remove(old.baseOffset);
                old.markDeleted();
                LOG.info("{}: compaction removed every record of segment {}; deleted it", log.tp, Segment.fileName(old.baseOffset));
            } else {
                cleaned.commitCleaned();
                log.segments.put(old.baseOffset, cleaned);
                old.markReplaced();
                LOG.debug("{}: compacted segment {} from {} to {} bytes", log.tp, Segment.fileName(old.baseOffset), old.size, cleaned.size);
            }
            forceDirectory();
            return true;
        } finally {
            log.lock.unlock();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Makes renames durable (best effort: not every platform can fsync a directory). */
    private void forceDirectory() {
        try (FileChannel ch = FileChannel.open(log.dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            LOG.debug("{}: cannot fsync directory {}: {}", log.tp, log.dir, e.toString());
        }
    }
}
