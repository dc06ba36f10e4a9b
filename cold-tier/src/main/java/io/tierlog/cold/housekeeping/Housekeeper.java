package io.tierlog.cold.housekeeping;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.tierlog.cold.ColdTier;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.CompactionResult;
import io.tierlog.hot.PartitionLog;
import io.tierlog.hot.SegmentInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The policy that drives both tiers' mechanisms for one partition at a time: time-based roll, interval flush, local
 * retention (of a tiered topic: only of segments the cold tier's manifest holds), remote retention, retention of
 * local-only topics, and compaction. The server calls {@link #run} periodically per partition; nothing here
 * knows about HTTP or topic config formats.
 *
 * <p>Thread safety: {@link #run} may be called from several threads for different partitions; runs for one
 * partition must not overlap (the server's single housekeeping thread guarantees it).
 */
public final class Housekeeper {
    private static final Logger LOG = LoggerFactory.getLogger(Housekeeper.class);

    /** How long a compacted topic keeps tombstones (Kafka's {@code delete.retention.ms} default). */
    public static final long DELETE_RETENTION_MS = 24L * 60 * 60 * 1000;

    private final ColdTier cold;
    private final Counter deletedExpiredEverywhere;
    private final Counter deletedOffloaded;
    private final Counter deletedLocalOnly;
    private final Counter waitingForOffload;
    /** Per compacted partition: the end of the closed segments at its last compaction (nothing new = no run). */
    private final ConcurrentHashMap<TopicPartition, Long> compactedUpTo = new ConcurrentHashMap<>();

    /** Why local retention deletes a segment (or keeps it). */
    enum LocalVerdict {
        KEEP,
        /** Past the total retention: expired everywhere, goes whether offloaded or not. */
        EXPIRED_EVERYWHERE,
        /** Past a local limit (or deleted on request) and held by the cold tier's manifest. */
        OFFLOADED_AND_PAST_LOCAL_LIMIT,
        /** Past a limit, but not yet offloaded: kept, or its data would exist nowhere. */
        WAITING_FOR_OFFLOAD
    }

    /** What one run did to a partition. */
    public record Outcome(int localSegmentsDeleted, int remoteSegmentsDeleted, Optional<CompactionResult> compaction) {
    }

    public Housekeeper(ColdTier cold, MeterRegistry registry) {
        this.cold = cold;
        String deleted = "tierlog.housekeeping.local.deleted.segments";
        this.deletedExpiredEverywhere = Counter.builder(deleted).tag("reason", "expired_everywhere")
                .description("local segments deleted by retention").register(registry);
        this.deletedOffloaded = Counter.builder(deleted).tag("reason", "offloaded_past_local_limit").register(registry);
        this.deletedLocalOnly = Counter.builder(deleted).tag("reason", "local_only_retention").register(registry);
        this.waitingForOffload = Counter.builder("tierlog.housekeeping.local.waiting.for.offload")
                .description("runs in which a local segment past its limit was kept because it is not offloaded yet")
                .register(registry);
    }

    /** One housekeeping pass over {@code log} under {@code policy} at {@code nowMs}. */
    public Outcome run(PartitionLog log, RetentionPolicy policy, long nowMs) {
        log.maybeRoll(nowMs);
        log.maybeFlush(nowMs);
        if (policy.storage() == RetentionPolicy.Storage.TIERED) {
            int local = applyTieredLocalRetention(log, policy, nowMs);
            int remote = cold.applyRetention(log.topicPartition(), policy.total().ms(), policy.total().bytes(),
                    log.deletedBefore(), nowMs);
            return new Outcome(local, remote, Optional.empty());
        }
        int local = policy.cleanup().deletes() ? applyLocalOnlyRetention(log, policy.total(), nowMs) : 0;
        Optional<CompactionResult> compaction = policy.cleanup().compacts() ? maybeCompact(log, nowMs) : Optional.empty();
        return new Outcome(local, 0, compaction);
    }

    /** Forgets what it remembers about {@code topic}'s partitions (the topic was deleted). */
    public void forgetTopic(String topic) {
        compactedUpTo.keySet().removeIf(tp -> tp.topic().equals(topic));
    }

    /**
     * Local retention of a tiered topic for one segment (the oldest left), given the local bytes held before deleting
     * it: a segment past a local limit goes once the cold tier holds it; past the total retention it goes anyway.
     */
    static LocalVerdict tieredVerdict(SegmentInfo seg, RetentionPolicy policy, long localBytes, long deletedBefore,
                                      boolean offloaded, long nowMs) {
        if (policy.total().expired(seg.maxTimestamp(), nowMs)) {
            return LocalVerdict.EXPIRED_EVERYWHERE;
        }
        // records deleted on request are uploaded first all the same, so the offloader never meets a vanished
        // segment (remote retention then drops the copy)
        boolean pastLocalLimit = policy.local().expired(seg.maxTimestamp(), nowMs) || policy.local().oversize(localBytes)
                || seg.nextOffset() <= deletedBefore;
        if (!pastLocalLimit) {
            return LocalVerdict.KEEP;
        }
        return offloaded ? LocalVerdict.OFFLOADED_AND_PAST_LOCAL_LIMIT : LocalVerdict.WAITING_FOR_OFFLOAD;
    }

    /** Retention of a local-only topic for one segment: by age of its newest record, total size, deleted on request. */
    static boolean localOnlyDeletes(SegmentInfo seg, RetentionPolicy.Limits total, long localBytes, long deletedBefore,
                                    long nowMs) {
        return total.expired(seg.maxTimestamp(), nowMs) || total.oversize(localBytes) || seg.nextOffset() <= deletedBefore;
    }

    private int applyTieredLocalRetention(PartitionLog log, RetentionPolicy policy, long nowMs) {
        long[] size = {log.sizeInBytes()};
        long deletedBefore = log.deletedBefore();
        int deleted = log.deleteOldestSegmentsWhile(seg -> {
            LocalVerdict v = tieredVerdict(seg, policy, size[0], deletedBefore, cold.isOffloaded(seg), nowMs);
            switch (v) {
                case EXPIRED_EVERYWHERE -> deletedExpiredEverywhere.increment();
                case OFFLOADED_AND_PAST_LOCAL_LIMIT -> deletedOffloaded.increment();
                case WAITING_FOR_OFFLOAD -> waitingForOffload.increment();
                case KEEP -> { }
            }
            if (v == LocalVerdict.EXPIRED_EVERYWHERE || v == LocalVerdict.OFFLOADED_AND_PAST_LOCAL_LIMIT) {
                size[0] -= seg.sizeInBytes();
                return true;
            }
            return false;
        });
        if (deleted > 0) {
            LOG.debug("local retention deleted {} segment(s) of {}", deleted, log.topicPartition());
        }
        return deleted;
    }

    private int applyLocalOnlyRetention(PartitionLog log, RetentionPolicy.Limits total, long nowMs) {
        long[] size = {log.sizeInBytes()};
        long deletedBefore = log.deletedBefore();
        int deleted = log.deleteOldestSegmentsWhile(seg -> {
            if (localOnlyDeletes(seg, total, size[0], deletedBefore, nowMs)) {
                size[0] -= seg.sizeInBytes();
                return true;
            }
            return false;
        });
        deletedLocalOnly.increment(deleted);
        return deleted;
    }

    /**
     * Compacts when segments closed since the partition's last run (keeps the latest record per key; tombstones go
     * after {@link #DELETE_RETENTION_MS}).
     */
    private Optional<CompactionResult> maybeCompact(PartitionLog log, long nowMs) {
        List<SegmentInfo> closed = log.closedSegments();
        if (closed.isEmpty()) {
            return Optional.empty();
        }
        long closedEnd = closed.get(closed.size() - 1).nextOffset();
        Long done = compactedUpTo.get(log.topicPartition());
        if (done != null && done >= closedEnd) {
            return Optional.empty();
        }
        CompactionResult r = log.compact(nowMs, DELETE_RETENTION_MS);
        compactedUpTo.put(log.topicPartition(), r.keyMapFull() ? r.cleanedUpToOffset() : closedEnd);
        if (r.recordsRemoved() > 0) {
            LOG.info("compacted {}: {} records removed, {} -> {} bytes", log.topicPartition(), r.recordsRemoved(),
                    r.bytesBefore(), r.bytesAfter());
        }
        return Optional.of(r);
    }
}
