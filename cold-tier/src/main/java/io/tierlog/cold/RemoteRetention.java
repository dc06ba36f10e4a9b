package io.tierlog.cold;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.tierlog.core.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * Total retention of offloaded data (the remote segments hold all of it): drops whole segments from the oldest,
 * manifest first, objects after, so a reader never meets a manifest naming a deleted object. A failed delete
 * leaves orphans that the next start's sweep removes.
 *
 * <p>Thread safety: safe; runs under the partition's manifest lock only while the manifest is rewritten.
 */
final class RemoteRetention {
    private static final Logger LOG = LoggerFactory.getLogger(RemoteRetention.class);

    private final ObjectStore store;
    private final ManifestStore manifests;
    private final RemoteReader reader;
    private final Counter deletedSegments;

    RemoteRetention(ObjectStore store, ManifestStore manifests, RemoteReader reader, MeterRegistry registry) {
        this.store = store;
        this.manifests = manifests;
        this.reader = reader;
        this.deletedSegments = Counter.builder("tierlog.cold.retention.deleted.segments").register(registry);
    }

    /**
     * How many of {@code segments} (oldest first) retention drops: from the oldest while one limit says so. By time,
     * a segment whose newest record is older than {@code nowMs - retentionMs}; by size, while the bytes left after
     * dropping it would still be >= {@code retentionBytes} (Kafka's rule); and a segment holding only records below
     * {@code deletedBefore} (deleted on request). A negative limit is off.
     */
    static int segmentsToDrop(List<Manifest.Entry> segments, long retentionMs, long retentionBytes,
                              long deletedBefore, long nowMs) {
        long total = 0;
        for (Manifest.Entry e : segments) {
            total += e.logLength();
        }
        int k = 0;
        while (k < segments.size()) {
            Manifest.Entry e = segments.get(k);
            boolean byTime = retentionMs >= 0 && nowMs - e.info().maxTimestamp() > retentionMs;
            boolean bySize = retentionBytes >= 0 && total - e.logLength() >= retentionBytes;
            boolean deletedOnRequest = e.info().nextOffset() <= deletedBefore;
            if (!byTime && !bySize && !deletedOnRequest) {
                break;
            }
            total -= e.logLength();
            k++;
        }
        return k;
    }

    /** Applies {@link #segmentsToDrop}; returns how many segments were removed. */
    int apply(TopicPartition tp, long retentionMs, long retentionBytes, long deletedBefore, long nowMs) {
        List<Manifest.Entry> dropped = manifests.dropOldest(tp,
                segs -> segmentsToDrop(segs, retentionMs, retentionBytes, deletedBefore, nowMs));
        if (dropped.isEmpty()) {
            return 0;
        }
        // each dropped object: COPY_SEGMENT_FINISHED -> DELETE_SEGMENT_STARTED (the manifest no longer names it)
        List<String> doomed = dropped.stream().map(Manifest.Entry::key).toList();
        try {
            store.deleteAll(doomed);
        } catch (RuntimeException e) {
            LOG.warn("{}: retention removed {} segments from the manifest but deleting their objects failed"
                    + " (they are orphans now, removed on next start): {}", tp, doomed.size(), e.toString());
        }
        reader.forget(doomed);
        deletedSegments.increment(doomed.size());
        LOG.info("{}: remote retention deleted {} segments", tp, doomed.size());
        return doomed.size();
    }
}
