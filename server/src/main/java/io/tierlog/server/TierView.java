package io.tierlog.server;

import io.tierlog.cold.ColdTier;
import io.tierlog.cold.RemoteSegmentInfo;
import io.tierlog.hot.PartitionLog;
import io.tierlog.hot.SegmentInfo;

import java.util.ArrayList;
import java.util.List;

/**
 * Where one partition's data lies, segment by segment, in both tiers: what the console's tier map draws and what
 * its overview adds up. A snapshot read without locks while appends, uploads and retention go on, so its parts may
 * disagree by what moved meanwhile (a segment both in {@code local} and counted as offloaded, say); it is a view,
 * never an input to a decision.
 *
 * @param logStartOffset      first offset held in either tier
 * @param localLogStartOffset first offset held locally
 * @param highWatermark       next offset to be written
 * @param offloadedUpTo       offset below which the cold tier's manifest holds every record (0 when nothing)
 * @param local               local segments, oldest first; the last is the active one
 * @param remote              segments in the cold tier's manifest, oldest first
 */
record TierView(long logStartOffset, long localLogStartOffset, long highWatermark, long offloadedUpTo,
                List<Local> local, List<Remote> remote) {

    /** A local segment: offsets [baseOffset, nextOffset); timestamps are -1 for the active segment (not tracked). */
    record Local(long baseOffset, long nextOffset, long bytes, long minTimestamp, long maxTimestamp, boolean active,
                 boolean offloaded) {
    }

    /** A segment held in S3: offsets [baseOffset, nextOffset). */
    record Remote(long baseOffset, long nextOffset, long bytes, long minTimestamp, long maxTimestamp) {
    }

    static TierView of(PartitionLog log, ColdTier cold, long logStartOffset) {
        var tp = log.topicPartition();
        // the high watermark first: segments read after it may only have grown, never the reverse
        long hw = log.highWatermark();
        long localStart = log.logStartOffset();
        long totalBytes = log.sizeInBytes();
        List<SegmentInfo> closed = log.closedSegments();
        long offloadedUpTo = cold.offloadedUpTo(tp);
        List<Local> local = new ArrayList<>(closed.size() + 1);
        long closedBytes = 0;
        long activeBase = localStart;
        for (SegmentInfo s : closed) {
            local.add(new Local(s.baseOffset(), s.nextOffset(), s.sizeInBytes(), s.minTimestamp(), s.maxTimestamp(),
                    false, offloadedUpTo >= s.nextOffset()));
            closedBytes += s.sizeInBytes();
            activeBase = Math.max(activeBase, s.nextOffset());
        }
        local.add(new Local(activeBase, Math.max(activeBase, hw), Math.max(0, totalBytes - closedBytes), -1, -1, true,
                false));
        List<Remote> remote = new ArrayList<>();
        for (RemoteSegmentInfo r : cold.segments(tp)) {
            remote.add(new Remote(r.baseOffset(), r.nextOffset(), r.sizeInBytes(), r.minTimestamp(), r.maxTimestamp()));
        }
        return new TierView(logStartOffset, localStart, hw, offloadedUpTo, List.copyOf(local), List.copyOf(remote));
    }

    long localBytes() {
        return local.stream().mapToLong(Local::bytes).sum();
    }

    long remoteBytes() {
        return remote.stream().mapToLong(Remote::bytes).sum();
    }

    /** Bytes of closed local segments not yet in the cold tier (0 for a topic kept local by its config). */
    long offloadLagBytes(boolean remoteStorage) {
        return remoteStorage ? local.stream().filter(l -> !l.active() && !l.offloaded()).mapToLong(Local::bytes).sum() : 0;
    }

    /** Offsets held in either tier ([logStartOffset, highWatermark); an upper bound of the records after compaction). */
    long records() {
        return Math.max(0, highWatermark - logStartOffset);
    }
}
