package io.tierlog.query;

import io.tierlog.cold.RemoteLog;
import io.tierlog.cold.RemoteSegmentInfo;
import io.tierlog.core.CorruptBatchException;
import io.tierlog.core.RecordBatch;
import io.tierlog.core.StorageException;
import io.tierlog.core.TierlogException;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.FetchData;
import io.tierlog.hot.OffsetOutOfRangeException;
import io.tierlog.hot.PartitionLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * Walks one partition's stored batches in offset order across both tiers: the hot tier serves every offset
 * at or above its log start, the cold tier everything below it. This single rule is what makes reads free of
 * gaps and duplicates at the boundary, whether the tiers overlap (segments uploaded but still local) or are
 * adjacent; concurrent local retention (a segment deleted under a reader) falls back to the cold tier, which
 * held the segment before it could be deleted.
 */
final class TierReader {
    private static final Logger LOG = LoggerFactory.getLogger(TierReader.class);
    private static final int MAX_STALLS = 3;

    enum Tier { HOT, COLD }

    /** Receives whole batches; records below {@code from} belong to earlier reads. Returns false to stop. */
    @FunctionalInterface
    interface BatchVisitor {
        boolean visit(RecordBatch batch, Tier tier, long from);
    }

    private final RemoteLog cold;

    TierReader(RemoteLog cold) {
        this.cold = cold;
    }

    RemoteLog cold() {
        return cold;
    }

    /**
     * First readable offset of the partition: the first held in either tier (remote data counts only while the cold
     * tier has some), unless records were deleted on request above it ({@link PartitionLog#deletedBefore()}).
     */
    long logStartOffset(TopicPartition tp, PartitionLog hot) {
        return Math.max(heldStartOffset(tp, hot), hot.deletedBefore());
    }

    /** First offset held in either tier, readable or not. */
    long heldStartOffset(TopicPartition tp, PartitionLog hot) {
        long local = hot.logStartOffset();
        long remote = cold.remoteLogStartOffset(tp);
        return remote >= 0 ? Math.min(remote, local) : local;
    }

    OffsetOutOfRangeException outOfRange(TopicPartition tp, PartitionLog hot, long offset) {
        long start = logStartOffset(tp, hot);
        long hw = hot.highWatermark();
        return new OffsetOutOfRangeException("offset " + offset + " of " + tp + " is out of range: the partition holds ["
                + start + ", " + hw + ")", start, hw);
    }

    /**
     * Visits the batches that hold offsets [start, end) in offset order, each exactly once. The first batch may
     * begin before {@code start}; the last may extend past {@code end} (the visitor cuts). Reads the tiers in
     * chunks of about {@code chunkBytes}.
     */
    void walk(TopicPartition tp, PartitionLog hot, long start, long end, int chunkBytes, BatchVisitor visitor) {
        long pos = start;
        int stalls = 0;
        while (pos < end) {
            long localStart = hot.logStartOffset();
            FetchData data;
            Tier tier;
            if (pos >= localStart) {
                try {
                    data = hot.read(pos, chunkBytes);
                    tier = Tier.HOT;
                } catch (OffsetOutOfRangeException e) {
                    if (hot.logStartOffset() > pos && ++stalls <= MAX_STALLS) {
                        continue; // deleted by local retention meanwhile: the cold tier holds it now
                    }
                    throw outOfRange(tp, hot, pos);
                }
            } else {
                try {
                    data = cold.read(tp, pos, chunkBytes);
                    tier = Tier.COLD;
                } catch (OffsetOutOfRangeException e) {
                    long next = nextHeldOffset(tp, hot, pos);
                    if (next == pos && ++stalls > MAX_STALLS) {
                        throw outOfRange(tp, hot, pos);
                    }
                    pos = next;
                    continue;
                }
            }
            boolean progressed = false;
            for (RecordBatch batch : RecordBatch.iterate(data.batches())) {
                if (batch.nextOffset() <= pos) {
                    continue;
                }
                if (batch.baseOffset() >= end || (tier == Tier.COLD && batch.baseOffset() >= localStart)) {
                    break; // past the range, or held by the hot tier which is preferred
                }
                if (batch.baseOffset() > pos) {
                    // compaction leaves gaps in the hot tier of compacted topics; anywhere else a gap is news
                    if (tier == Tier.HOT) {
                        LOG.debug("{}: offsets [{}, {}) are not in the hot tier (compacted); continuing after them",
                                tp, pos, batch.baseOffset());
                    } else {
                        LOG.warn("{}: offsets [{}, {}) are missing from the {} tier; continuing after them",
                                tp, pos, batch.baseOffset(), tier);
                    }
                    pos = batch.baseOffset();
                }
                boolean more;
                try {
                    more = visitor.visit(batch, tier, pos);
                } catch (CorruptBatchException e) {
                    // the visitor decoded stored bytes: damage there is the broker's fault, not the reader's
                    throw new StorageException(tp + ": the batch at offset " + batch.baseOffset() + " in the "
                            + tier.name().toLowerCase() + " tier does not decode: " + e.getMessage(), e);
                }
                if (!more) {
                    return;
                }
                pos = batch.nextOffset();
                progressed = true;
            }
            if (progressed) {
                stalls = 0;
            } else if (tier == Tier.HOT && data.isEmpty()) {
                return; // at the high watermark
            } else if (++stalls > MAX_STALLS) {
                throw new TierlogException("no progress reading " + tp + " at offset " + pos + " from the "
                        + tier.name().toLowerCase() + " tier");
            }
        }
    }

    /**
     * Where the next readable offset after a cold-tier miss is: {@code pos} itself when a remote segment
     * claims it (a manifest change; retry), else the next remote segment or the local start. Throws
     * out-of-range when retention moved the log start past {@code pos}.
     */
    private long nextHeldOffset(TopicPartition tp, PartitionLog hot, long pos) {
        if (pos < logStartOffset(tp, hot)) {
            throw outOfRange(tp, hot, pos);
        }
        long next = hot.logStartOffset();
        List<RemoteSegmentInfo> segments = cold.segments(tp);
        for (RemoteSegmentInfo s : segments) {
            if (s.baseOffset() <= pos && pos < s.nextOffset()) {
                return pos;
            }
            if (s.baseOffset() > pos) {
                next = Math.min(next, s.baseOffset());
                break;
            }
        }
        if (next > pos) {
            LOG.warn("{}: offsets [{}, {}) are held by neither tier; continuing at {}", tp, pos, next, next);
        }
        return next;
    }
}
