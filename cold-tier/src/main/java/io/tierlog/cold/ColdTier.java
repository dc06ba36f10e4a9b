package io.tierlog.cold;

import io.micrometer.core.instrument.MeterRegistry;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.FetchData;
import io.tierlog.hot.PartitionLog;
import io.tierlog.hot.SegmentInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * The cold tier: offloads closed local segments to an {@link ObjectStore}, keeps one manifest per partition,
 * serves remote reads through ranged GETs and a byte-bounded chunk cache, and applies remote retention. A thin
 * facade over the parts that do each job: {@link ManifestStore} (what is visible, orphan sweeps),
 * {@link Offloader} (uploads, each attempt a {@link RemoteSegmentState} lifecycle), {@link RemoteRetention},
 * {@link RemoteReader} and {@link ChunkCache}.
 *
 * <p>Offload order per partition is strictly by offset, one upload at a time; across partitions at most
 * {@link ColdTierConfig#uploadThreads()} uploads run at once. A segment counts as offloaded
 * ({@link #isOffloaded}) only after the manifest naming it was written, so local retention may delete it then.
 * Failed uploads retry forever with exponential backoff, counted and logged.
 *
 * <p>Keys: {@code <prefix>/<topic>/<partition>/<20-digit base>-<20-digit last>-<uuid>.seg} and
 * {@code <prefix>/<topic>/<partition>/manifest.bin}. Segment objects not named by their manifest are orphans
 * of a crash (or of a failed delete) and are removed by {@link #start()} and on registration.
 *
 * <p>Thread safety: every method may be called from any thread.
 */
public final class ColdTier implements RemoteLog, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ColdTier.class);

    private final ObjectKeys keys;
    private final ManifestStore manifests;
    private final Offloader offloader;
    private final ChunkCache chunks;
    private final RemoteReader reader;
    private final RemoteRetention retention;
    private volatile boolean started;
    private final long[] rollupResolutions;

    public ColdTier(ObjectStore store, ColdTierConfig config, MeterRegistry registry) {
        this.rollupResolutions = config.rollupResolutions();
        this.keys = new ObjectKeys(config.keyPrefix());
        this.manifests = new ManifestStore(store, keys);
        this.offloader = new Offloader(store, keys, manifests, config, registry);
        this.chunks = new ChunkCache(store, config, registry);
        this.reader = new RemoteReader(store, manifests, chunks, config, registry);
        this.retention = new RemoteRetention(store, manifests, reader, registry);
    }

    /** The rollup resolutions (milliseconds, ascending) series blocks are written with from now on. */
    public long[] rollupResolutions() {
        return rollupResolutions.clone();
    }

    static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    // ------------------------------------------------------------------ lifecycle

    /**
     * Removes orphans (segment objects no manifest names) of every partition under the key prefix. Best effort:
     * when the store is unreachable it logs and returns, and each partition is swept on registration before
     * its first upload. Call it before {@link #register}, and only in the process that offloads: the sweep
     * would delete another writer's upload that is not yet in its manifest. Read-only users skip it.
     */
    public void start() {
        if (started) {
            return;
        }
        try {
            manifests.sweepAllOrphans();
        } finally {
            started = true;
        }
    }

    /**
     * Lets in-flight uploads finish within {@link ColdTierConfig#closeTimeout()}, then stops. Pending segments
     * stay local and are offloaded after the next start. Does not close the object store (the caller owns it).
     */
    @Override
    public void close() {
        offloader.stopAccepting();
        chunks.close();
        offloader.awaitUploads();
    }

    // ------------------------------------------------------------------ offload

    /**
     * Starts offloading {@code log}: its closed segments not yet in the manifest now, and every segment it
     * closes from now on (through a {@link io.tierlog.hot.SegmentListener}).
     */
    public void register(PartitionLog log) {
        register(log, ObjectFormat.SEGMENT_COPY);
    }

    /**
     * Like {@link #register}, for a partition of a {@code metrics} topic: its segments are written as series blocks
     * (columnar, a few bytes per sample; see docs/format.md), read back as re-built Kafka batches. Segments offloaded
     * before stay as they are.
     */
    public void registerMetrics(PartitionLog log) {
        register(log, ObjectFormat.SERIES_BLOCK);
    }

    private void register(PartitionLog log, ObjectFormat format) {
        if (!started) {
            throw new IllegalStateException("ColdTier.start() must run before register(" + log.topicPartition()
                    + "): its orphan sweep must not race with uploads");
        }
        offloader.register(log, format);
    }

    /** Stops offloading the partition (pending segments are forgotten; its remote data stays readable). */
    public void unregister(TopicPartition tp) {
        offloader.unregister(tp);
    }

    /** True once {@code segment} is fully covered by the partition's manifest: local retention may delete it. */
    public boolean isOffloaded(SegmentInfo segment) {
        Manifest m = manifests.loaded(segment.topicPartition());
        return m != null && m.offloadedUpTo() >= segment.nextOffset();
    }

    /** Offset below which the partition's data has been offloaded (0 when none or not yet known). */
    public long offloadedUpTo(TopicPartition tp) {
        Manifest m = manifests.loaded(tp);
        return m == null ? 0 : m.offloadedUpTo();
    }

    /** Bytes of closed local segments not yet offloaded, over all registered partitions. */
    public long offloadLagBytes() {
        return offloader.lagBytes();
    }

    /** Age of the oldest closed-but-not-offloaded segment (0 when none). */
    public long offloadLagMs(long nowMs) {
        return offloader.lagMs(nowMs);
    }

    /** Where the partition's latest upload attempt of this instance is in its lifecycle; null when none. */
    RemoteSegmentState lastUploadState(TopicPartition tp) {
        return offloader.lastAttemptState(tp);
    }

    // ------------------------------------------------------------------ retention and deletion

    /**
     * Deletes whole remote segments from the oldest while one of the limits says so: by time, a segment whose
     * newest record is older than {@code nowMs - retentionMs}; by size, while the remote bytes left after
     * deleting it would still be >= {@code retentionBytes}. A negative limit is off. The manifest is rewritten
     * first, then the objects are deleted (a failed delete leaves orphans for the next sweep). Returns how many
     * segments were removed.
     */
    public int applyRetention(TopicPartition tp, long retentionMs, long retentionBytes, long nowMs) {
        return applyRetention(tp, retentionMs, retentionBytes, 0, nowMs);
    }

    /**
     * {@link #applyRetention(TopicPartition, long, long, long)}, and also every segment that holds only records
     * below {@code deletedBefore} (records deleted on request, Kafka's DeleteRecords).
     */
    public int applyRetention(TopicPartition tp, long retentionMs, long retentionBytes, long deletedBefore, long nowMs) {
        return retention.apply(tp, retentionMs, retentionBytes, deletedBefore, nowMs);
    }

    /** Forgets every partition of {@code topic} and deletes all its objects (segments and manifests). */
    public void deleteTopic(String topic) {
        offloader.forgetTopic(topic);
        int n = manifests.deleteTopic(topic);
        reader.forgetPrefix(keys.topic(topic));
        chunks.forgetPrefix(keys.topic(topic));
        LOG.info("deleted topic {} from the cold tier: {} objects", topic, n);
    }

    // ------------------------------------------------------------------ reads

    @Override
    public List<RemoteSegmentInfo> segments(TopicPartition tp) {
        return manifests.forRead(tp).segments().stream().map(Manifest.Entry::info).toList();
    }

    @Override
    public long remoteLogStartOffset(TopicPartition tp) {
        return manifests.forRead(tp).remoteStart();
    }

    @Override
    public long remoteEndOffset(TopicPartition tp) {
        return manifests.forRead(tp).remoteEnd();
    }

    /**
     * Reloads the partition's manifest from the store. For processes that read partitions another process
     * offloads (the writer's own instance is always current); returns the refreshed remote end offset.
     */
    public long refresh(TopicPartition tp) {
        return manifests.refresh(tp).remoteEnd();
    }

    /**
     * {@inheritDoc} When the segment object is gone (remote retention by another process since this instance
     * loaded the manifest), the manifest is reloaded once and the read retried.
     */
    @Override
    public FetchData read(TopicPartition tp, long offset, int maxBytes) {
        return reader.read(tp, offset, maxBytes);
    }

    @Override
    public long offsetForTimestamp(TopicPartition tp, long timestamp) {
        return reader.offsetForTimestamp(tp, timestamp);
    }

    /**
     * The samples of the series whose name ({@code __name__}) and tags equal every entry of {@code labels}, with
     * timestamps in [{@code minTimestamp}, {@code maxTimestamp}], read from the partition's series blocks through
     * their postings (only overlapping row groups are fetched, only matching chunks decoded). Remote segments in the
     * range that are segment copies are returned for the caller to read by offset.
     */
    public SeriesSelection selectSeries(TopicPartition tp, java.util.Map<String, String> labels, long minTimestamp,
                                        long maxTimestamp) {
        return reader.selectSeries(tp, labels, key -> true, minTimestamp, maxTimestamp, Long.MAX_VALUE);
    }

    /**
     * Like {@link #selectSeries(TopicPartition, java.util.Map, long, long)}, keeping also only series whose key passes
     * {@code keyFilter} (matchers the postings cannot answer: regular expressions, inequality) and only remote
     * segments that end at or before {@code endOffset} (the caller reads later offsets from the hot tier).
     */
    public SeriesSelection selectSeries(TopicPartition tp, java.util.Map<String, String> labels,
                                        java.util.function.Predicate<byte[]> keyFilter, long minTimestamp,
                                        long maxTimestamp, long endOffset) {
        return reader.selectSeries(tp, labels, keyFilter, minTimestamp, maxTimestamp, endOffset);
    }

    /**
     * The rollups at {@code resolutionMs} of the series selected as {@link #selectSeries} selects them, with bucket
     * ends in [{@code minEnd}, {@code maxEnd}], from the partition's series blocks that hold rollups at that
     * resolution (the rollup section of each: one ranged GET after the block's tail). The remote segments in the
     * range that cannot answer with rollups (segment copies, blocks written without them) are returned for the
     * caller to read by offset; as in {@link #selectSeries}, only segments ending at or before {@code endOffset}.
     */
    public RollupSelection selectRollups(TopicPartition tp, java.util.Map<String, String> labels,
                                         java.util.function.Predicate<byte[]> keyFilter, long resolutionMs,
                                         long minEnd, long maxEnd, long endOffset) {
        return reader.selectRollups(tp, labels, keyFilter, resolutionMs, minEnd, maxEnd, endOffset);
    }

    /** Drops every cached index and chunk (benchmarks measure cold-cache reads with it). */
    void invalidateCaches() {
        reader.invalidateAll();
        chunks.invalidateAll();
    }

    /** Hits / (hits + misses) of the chunk cache since start (NaN before the first lookup). */
    public double cacheHitRatio() {
        return chunks.hitRatio();
    }
}
