package io.tierlog.cold;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.tierlog.core.CorruptBatchException;
import io.tierlog.core.StorageException;
import io.tierlog.core.Record;
import io.tierlog.core.RecordBatch;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.FetchData;
import io.tierlog.hot.OffsetOutOfRangeException;
import io.tierlog.hot.PartitionLog;
import io.tierlog.hot.SegmentInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The cold tier: offloads closed local segments to an {@link ObjectStore}, keeps one manifest per partition,
 * serves remote reads through ranged GETs and a byte-bounded chunk cache, and applies remote retention.
 *
 * <p>Offload order per partition is strictly by offset, one upload at a time; across partitions at most
 * {@link ColdTierConfig#uploadThreads()} uploads run at once. A segment counts as offloaded
 * ({@link #isOffloaded}) only after the manifest naming it was written, so local retention may delete it then.
 * Failed uploads retry forever with exponential backoff, counted and logged.
 *
 * <p>Keys: {@code <prefix>/<topic>/<partition>/<20-digit base>-<20-digit last>-<uuid>.seg} and
 * {@code <prefix>/<topic>/<partition>/manifest.bin}. Segment objects not named by their manifest are orphans
 * of a crash (or of a failed delete) and are removed by {@link #start()} and on registration.
 */
public final class ColdTier implements RemoteLog, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ColdTier.class);
    static final String MANIFEST = "manifest.bin";
    static final String SEGMENT_SUFFIX = ".seg";

    private final ObjectStore store;
    private final ColdTierConfig config;
    private final ConcurrentHashMap<TopicPartition, PartitionState> partitions = new ConcurrentHashMap<>();
    private final ExecutorService uploads;
    private final ScheduledExecutorService retries;
    private final ThreadPoolExecutor prefetcher;
    private final Cache<String, SegmentObject.SegmentIndex> indexCache;
    private final Cache<ChunkKey, byte[]> chunkCache;
    private final Cache<String, Long> lastReadEnd;
    private final ConcurrentHashMap<ChunkKey, CompletableFuture<byte[]>> inflight = new ConcurrentHashMap<>();
    private volatile boolean stopping;
    private volatile boolean orphansSweptAtStart;
    private volatile boolean started;

    private final Counter uploadCount;
    private final Counter uploadBytes;
    private final Counter uploadFailures;
    private final Timer uploadLatency;
    private final Timer readLatency;
    private final Counter cacheHits;
    private final Counter cacheMisses;
    private final Counter getRequests;
    private final Counter retentionDeleted;

    private record ChunkKey(String objectKey, long chunk) {
    }

    public ColdTier(ObjectStore store, ColdTierConfig config, MeterRegistry registry) {
        this.store = store;
        this.config = config;
        AtomicInteger n = new AtomicInteger();
        this.uploads = new ThreadPoolExecutor(config.uploadThreads(), config.uploadThreads(), 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> daemon(r, "cold-upload-" + n.incrementAndGet()));
        this.retries = new ScheduledThreadPoolExecutor(1, r -> daemon(r, "cold-retry"));
        this.prefetcher = new ThreadPoolExecutor(2, 2, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(64),
                r -> daemon(r, "cold-read-ahead"), new ThreadPoolExecutor.AbortPolicy());
        this.indexCache = Caffeine.newBuilder().maximumWeight(config.indexCacheBytes())
                .weigher((String k, SegmentObject.SegmentIndex v) -> v.weight()).build();
        this.chunkCache = Caffeine.newBuilder().maximumWeight(config.chunkCacheBytes())
                .weigher((ChunkKey k, byte[] v) -> v.length + 64).build();
        this.lastReadEnd = Caffeine.newBuilder().maximumSize(10_000).build();
        this.uploadCount = Counter.builder("tierlog.cold.uploads").description("segments offloaded").register(registry);
        this.uploadBytes = Counter.builder("tierlog.cold.upload.bytes").baseUnit("bytes").register(registry);
        this.uploadFailures = Counter.builder("tierlog.cold.upload.failures").register(registry);
        this.uploadLatency = Timer.builder("tierlog.cold.upload.latency").register(registry);
        this.readLatency = Timer.builder("tierlog.cold.read.latency").publishPercentileHistogram().register(registry);
        this.cacheHits = Counter.builder("tierlog.cold.cache.hits").register(registry);
        this.cacheMisses = Counter.builder("tierlog.cold.cache.misses").register(registry);
        this.getRequests = Counter.builder("tierlog.cold.get.requests").description("ranged GETs sent").register(registry);
        this.retentionDeleted = Counter.builder("tierlog.cold.retention.deleted.segments").register(registry);
        Gauge.builder("tierlog.cold.offload.lag.bytes", this, ColdTier::offloadLagBytes).baseUnit("bytes").register(registry);
        Gauge.builder("tierlog.cold.offload.lag.ms", this, t -> t.offloadLagMs(System.currentTimeMillis())).register(registry);
        Gauge.builder("tierlog.cold.cache.hit.ratio", this, ColdTier::cacheHitRatio).register(registry);
    }

    private static Thread daemon(Runnable r, String name) {
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
            Map<String, List<String>> segmentKeys = new HashMap<>();
            Set<String> manifests = new HashSet<>();
            for (ObjectMeta m : store.list(rootPrefix())) {
                int slash = m.key().lastIndexOf('/');
                String dir = m.key().substring(0, slash + 1);
                if (m.key().endsWith("/" + MANIFEST)) {
                    manifests.add(dir);
                } else if (m.key().endsWith(SEGMENT_SUFFIX)) {
                    segmentKeys.computeIfAbsent(dir, d -> new ArrayList<>()).add(m.key());
                }
            }
            int removed = 0;
            for (Map.Entry<String, List<String>> e : segmentKeys.entrySet()) {
                Set<String> live = new HashSet<>();
                if (manifests.contains(e.getKey())) {
                    for (Manifest.Entry s : Manifest.decode(store.get(e.getKey() + MANIFEST), null, e.getKey() + MANIFEST).segments()) {
                        live.add(s.key());
                    }
                }
                List<String> orphans = e.getValue().stream().filter(k -> !live.contains(k)).toList();
                if (!orphans.isEmpty()) {
                    store.deleteAll(orphans);
                    removed += orphans.size();
                }
            }
            orphansSweptAtStart = true;
            LOG.info("cold tier started: {} partitions with remote data, {} orphan objects removed", segmentKeys.size(), removed);
        } catch (RuntimeException e) {
            LOG.warn("cold tier start: orphan sweep failed, partitions will be swept on registration: {}", e.toString());
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
        stopping = true;
        retries.shutdownNow();
        uploads.shutdown();
        prefetcher.shutdownNow();
        // read-aheads that will never run now: readers waiting on them fetch for themselves
        inflight.values().forEach(f -> f.completeExceptionally(new java.util.concurrent.CancellationException("cold tier closed")));
        try {
            if (!uploads.awaitTermination(config.closeTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("cold tier close: uploads still running after {}, abandoning them", config.closeTimeout());
                uploads.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            uploads.shutdownNow();
        }
    }

    // ------------------------------------------------------------------ offload

    /**
     * Starts offloading {@code log}: its closed segments not yet in the manifest now, and every segment it
     * closes from now on (through a {@link io.tierlog.hot.SegmentListener}).
     */
    public void register(PartitionLog log) {
        if (!started) {
            throw new IllegalStateException("ColdTier.start() must run before register(" + log.topicPartition()
                    + "): its orphan sweep must not race with uploads");
        }
        PartitionState p = partitions.computeIfAbsent(log.topicPartition(), this::newState);
        int generation;
        synchronized (p) {
            if (p.deleted) {
                p.deleted = false;
            }
            generation = ++p.generation;
            p.registered = true;
        }
        log.addSegmentListener(seg -> enqueue(p, generation, seg));
        for (SegmentInfo s : log.closedSegments()) {
            enqueue(p, generation, s);
        }
    }

    /** Stops offloading the partition (pending segments are forgotten; its remote data stays readable). */
    public void unregister(TopicPartition tp) {
        PartitionState p = partitions.get(tp);
        if (p != null) {
            synchronized (p) {
                p.registered = false;
                p.generation++;
                p.pending.clear();
            }
        }
    }

    /** True once {@code segment} is fully covered by the partition's manifest: local retention may delete it. */
    public boolean isOffloaded(SegmentInfo segment) {
        PartitionState p = partitions.get(segment.topicPartition());
        return p != null && p.manifest != null && p.manifest.offloadedUpTo() >= segment.nextOffset();
    }

    /** Offset below which the partition's data has been offloaded (0 when none or not yet known). */
    public long offloadedUpTo(TopicPartition tp) {
        PartitionState p = partitions.get(tp);
        return p == null || p.manifest == null ? 0 : p.manifest.offloadedUpTo();
    }

    /** Bytes of closed local segments not yet offloaded, over all registered partitions. */
    public long offloadLagBytes() {
        long sum = 0;
        for (PartitionState p : partitions.values()) {
            synchronized (p) {
                for (SegmentInfo s : p.pending.values()) {
                    if (p.manifest == null || s.nextOffset() > p.manifest.offloadedUpTo()) {
                        sum += s.sizeInBytes();
                    }
                }
            }
        }
        return sum;
    }

    /** Age of the oldest closed-but-not-offloaded segment (0 when none). */
    public long offloadLagMs(long nowMs) {
        long oldest = Long.MAX_VALUE;
        for (PartitionState p : partitions.values()) {
            synchronized (p) {
                for (SegmentInfo s : p.pending.values()) {
                    if (p.manifest == null || s.nextOffset() > p.manifest.offloadedUpTo()) {
                        oldest = Math.min(oldest, s.closedAtMs());
                    }
                }
            }
        }
        return oldest == Long.MAX_VALUE ? 0 : Math.max(0, nowMs - oldest);
    }

    private void enqueue(PartitionState p, int generation, SegmentInfo seg) {
        synchronized (p) {
            if (p.generation != generation || !p.registered || stopping) {
                return;
            }
            if (p.manifest != null && seg.nextOffset() <= p.manifest.offloadedUpTo()) {
                return;
            }
            p.pending.put(seg.baseOffset(), seg);
            if (!p.running) {
                p.running = true;
                submit(p);
            }
        }
    }

    private void submit(PartitionState p) {
        try {
            uploads.execute(() -> offloadNext(p));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            synchronized (p) {
                p.running = false;
            }
        }
    }

    /** Uploads the partition's oldest pending segment, then resubmits itself (round-robin across partitions). */
    private void offloadNext(PartitionState p) {
        SegmentInfo seg = null;
        try {
            loadForWrite(p);
            synchronized (p) {
                long upTo = p.manifest.offloadedUpTo();
                p.pending.values().removeIf(s -> s.nextOffset() <= upTo);
                if (p.pending.isEmpty() || !p.registered || stopping || p.deleted) {
                    p.running = false;
                    return;
                }
                seg = p.pending.firstEntry().getValue();
                if (seg.baseOffset() != upTo && !p.manifest.segments().isEmpty()) {
                    LOG.warn("{}: offloading segment at {} but remote data ends at {}: offsets in between are missing locally",
                            p.tp, seg.baseOffset(), upTo);
                }
            }
            upload(p, seg);
            p.failures = 0;
        } catch (RuntimeException | java.io.IOException e) {
            uploadFailures.increment();
            int failures = ++p.failures;
            long base = config.retryInitialBackoff().toMillis();
            long delay = Math.min(config.retryMaxBackoff().toMillis(),
                    base * (1L << Math.min(20, failures - 1)));
            delay = delay / 2 + ThreadLocalRandom.current().nextLong(delay / 2 + 1);
            if (failures == 1 || failures % 10 == 0) {
                LOG.warn("{}: offload failed ({} consecutive failures), retrying in {} ms: {}", p.tp, failures, delay, e.toString());
            }
            if (e instanceof NoSuchFileException && seg != null) {
                // the hot tier deleted the segment (topic deleted, or retention that ignored isOffloaded):
                // nothing left to upload, and retrying would block the partition's later segments
                LOG.error("{}: local segment [{}, {}) vanished before offload, skipping it: {}", p.tp,
                        seg.baseOffset(), seg.nextOffset(), e.getMessage());
                synchronized (p) {
                    p.pending.remove(seg.baseOffset());
                }
                p.failures = 0;
                submit(p);
                return;
            }
            if (stopping) {
                synchronized (p) {
                    p.running = false;
                }
                return;
            }
            try {
                retries.schedule(() -> submit(p), delay, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException rejected) {
                synchronized (p) {
                    p.running = false;
                }
            }
            return;
        }
        submit(p);
    }

    private void upload(PartitionState p, SegmentInfo seg) throws java.io.IOException {
        long t0 = System.nanoTime();
        SegmentObject.Built built = SegmentObject.build(seg, config.indexIntervalBytes());
        String key = p.prefix + String.format("%020d-%020d-%s%s", seg.baseOffset(), seg.nextOffset() - 1,
                UUID.randomUUID(), SEGMENT_SUFFIX);
        try {
            store.putFile(key, seg.logFile(), seg.sizeInBytes(), built.trailer());
        } catch (RuntimeException e) {
            try {
                store.delete(key); // the PUT may have landed although it reported failure
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        Manifest.Entry entry = new Manifest.Entry(new RemoteSegmentInfo(p.tp, seg.baseOffset(), seg.nextOffset(),
                built.minTimestamp(), built.maxTimestamp(), seg.sizeInBytes(), key), seg.sizeInBytes(), built.trailer().length);
        synchronized (p.manifestLock) {
            if (p.deleted) {
                store.delete(key);
                return;
            }
            Manifest next = p.manifest.append(entry);
            // A failed manifest PUT leaves the object as an orphan (never deleted here: the PUT may have landed).
            store.put(p.prefix + MANIFEST, next.encode());
            p.manifest = next;
        }
        synchronized (p) {
            p.pending.remove(seg.baseOffset());
        }
        uploadCount.increment();
        uploadBytes.increment(seg.sizeInBytes() + built.trailer().length);
        uploadLatency.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
        LOG.debug("{}: offloaded [{}, {}) as {}", p.tp, seg.baseOffset(), seg.nextOffset(), key);
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
        PartitionState p = partitions.computeIfAbsent(tp, this::newState);
        List<String> doomed = new ArrayList<>();
        synchronized (p.manifestLock) {
            ensureManifest(p);
            List<Manifest.Entry> segs = p.manifest.segments();
            long total = 0;
            for (Manifest.Entry e : segs) {
                total += e.logLength();
            }
            int k = 0;
            while (k < segs.size()) {
                Manifest.Entry e = segs.get(k);
                boolean byTime = retentionMs >= 0 && nowMs - e.info().maxTimestamp() > retentionMs;
                boolean bySize = retentionBytes >= 0 && total - e.logLength() >= retentionBytes;
                boolean deletedOnRequest = e.info().nextOffset() <= deletedBefore;
                if (!byTime && !bySize && !deletedOnRequest) {
                    break;
                }
                total -= e.logLength();
                doomed.add(e.key());
                k++;
            }
            if (k == 0) {
                return 0;
            }
            Manifest next = p.manifest.dropOldest(k);
            store.put(p.prefix + MANIFEST, next.encode());
            p.manifest = next;
        }
        try {
            store.deleteAll(doomed);
        } catch (RuntimeException e) {
            LOG.warn("{}: retention removed {} segments from the manifest but deleting their objects failed"
                    + " (they are orphans now, removed on next start): {}", tp, doomed.size(), e.toString());
        }
        doomed.forEach(indexCache::invalidate);
        retentionDeleted.increment(doomed.size());
        LOG.info("{}: remote retention deleted {} segments", tp, doomed.size());
        return doomed.size();
    }

    /** Forgets every partition of {@code topic} and deletes all its objects (segments and manifests). */
    public void deleteTopic(String topic) {
        for (PartitionState p : partitions.values()) {
            if (p.tp.topic().equals(topic)) {
                synchronized (p.manifestLock) {
                    synchronized (p) {
                        p.deleted = true;
                        p.registered = false;
                        p.generation++;
                        p.pending.clear();
                        p.manifest = Manifest.EMPTY;
                    }
                }
                partitions.remove(p.tp, p);
            }
        }
        int n = store.deletePrefix(topicPrefix(topic));
        indexCache.asMap().keySet().removeIf(k -> k.startsWith(topicPrefix(topic)));
        chunkCache.asMap().keySet().removeIf(k -> k.objectKey().startsWith(topicPrefix(topic)));
        LOG.info("deleted topic {} from the cold tier: {} objects", topic, n);
    }

    // ------------------------------------------------------------------ reads

    @Override
    public List<RemoteSegmentInfo> segments(TopicPartition tp) {
        return manifestForRead(tp).segments().stream().map(Manifest.Entry::info).toList();
    }

    @Override
    public long remoteLogStartOffset(TopicPartition tp) {
        return manifestForRead(tp).remoteStart();
    }

    @Override
    public long remoteEndOffset(TopicPartition tp) {
        return manifestForRead(tp).remoteEnd();
    }

    /**
     * Reloads the partition's manifest from the store. For processes that read partitions another process
     * offloads (the writer's own instance is always current); returns the refreshed remote end offset.
     */
    public long refresh(TopicPartition tp) {
        PartitionState p = partitions.computeIfAbsent(tp, this::newState);
        synchronized (p.manifestLock) {
            p.manifest = null;
            ensureManifest(p);
            return p.manifest.remoteEnd();
        }
    }

    /**
     * {@inheritDoc} When the segment object is gone (remote retention by another process since this instance
     * loaded the manifest), the manifest is reloaded once and the read retried.
     */
    @Override
    public FetchData read(TopicPartition tp, long offset, int maxBytes) {
        try {
            return readOnce(tp, offset, maxBytes);
        } catch (ObjectNotFoundException e) {
            LOG.info("{}: remote segment vanished ({}), reloading the manifest", tp, e.getMessage());
            refresh(tp);
            return readOnce(tp, offset, maxBytes);
        }
    }

    private FetchData readOnce(TopicPartition tp, long offset, int maxBytes) {
        long t0 = System.nanoTime();
        try {
            Manifest m = manifestForRead(tp);
            Manifest.Entry seg = find(m, offset);
            if (seg == null) {
                throw new OffsetOutOfRangeException(tp + ": offset " + offset + " is not in the cold tier (remote range ["
                        + m.remoteStart() + ", " + m.remoteEnd() + "))", m.remoteStart(), m.remoteEnd());
            }
            SegmentObject.SegmentIndex idx = index(seg);
            int i = idx.floor(offset);
            long start = idx.position(i);
            long logLen = seg.logLength();
            Window w = new Window(seg, start, Math.min(logLen, Math.max(idx.blockEnd(i), start + RecordBatch.HEADER_SIZE)
                    + Math.max(0, maxBytes)));
            long p = start;
            while (true) {
                ByteBuffer h = w.header(p);
                long base = RecordBatch.baseOffsetAt(h, 0);
                int size = w.batchSize(h, p);
                if (RecordBatch.nextOffsetAt(h, 0) > offset) {
                    if (base > offset) {
                        throw new StorageException(seg.key() + ": no batch holds offset " + offset + " (batch at "
                                + p + " starts at " + base + ")");
                    }
                    break;
                }
                p += size;
                if (p >= logLen) {
                    throw new StorageException(seg.key() + ": offset " + offset + " not found before the end of the segment");
                }
            }
            long first = p;
            long end = p;
            while (end < logLen) {
                int size = w.batchSize(w.header(end), end);
                if (end > first && end - first + size > maxBytes) {
                    break;
                }
                w.ensure(end + size);
                end += size;
            }
            ByteBuffer out = w.slice(first, end);
            long expected = -1;
            for (RecordBatch b : RecordBatch.iterate(out)) {
                if (!b.isValidHeaderAndCrc() || (expected >= 0 && b.baseOffset() != expected)) {
                    throw new StorageException(seg.key() + ": corrupt batch at offset " + b.baseOffset());
                }
                expected = b.nextOffset();
            }
            maybePrefetch(seg, first, end);
            return new FetchData(offset, out, m.remoteEnd(), m.remoteStart());
        } finally {
            readLatency.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public long offsetForTimestamp(TopicPartition tp, long timestamp) {
        Manifest m = manifestForRead(tp);
        for (Manifest.Entry seg : m.segments()) {
            if (seg.info().maxTimestamp() < timestamp) {
                continue;
            }
            SegmentObject.SegmentIndex idx = index(seg);
            int i = idx.firstBlockWithMaxAtLeast(timestamp);
            if (i < 0) {
                continue;
            }
            Window w = new Window(seg, idx.position(i), idx.blockEnd(i));
            w.ensure(idx.blockEnd(i));
            for (RecordBatch b : RecordBatch.iterate(w.slice(idx.position(i), idx.blockEnd(i)))) {
                if (b.maxTimestamp() < timestamp) {
                    continue;
                }
                List<Record> records;
                try {
                    records = b.records();
                } catch (CorruptBatchException e) {
                    throw new StorageException(seg.key() + ": batch at offset " + b.baseOffset() + " does not decode: "
                            + e.getMessage(), e);
                }
                for (Record r : records) {
                    if (r.timestamp() >= timestamp) {
                        return r.offset();
                    }
                }
            }
        }
        return -1;
    }

    private static Manifest.Entry find(Manifest m, long offset) {
        List<Manifest.Entry> segs = m.segments();
        int lo = 0;
        int hi = segs.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            RemoteSegmentInfo s = segs.get(mid).info();
            if (offset < s.baseOffset()) {
                hi = mid - 1;
            } else if (offset >= s.nextOffset()) {
                lo = mid + 1;
            } else {
                return segs.get(mid);
            }
        }
        return null;
    }

    private SegmentObject.SegmentIndex index(Manifest.Entry seg) {
        return indexCache.get(seg.key(), k -> {
            getRequests.increment();
            byte[] trailer = store.getRange(k, seg.logLength(), seg.trailerLength());
            return SegmentObject.parse(trailer, k, seg.logLength(), seg.info().baseOffset(), seg.info().nextOffset());
        });
    }

    /**
     * A growing view of bytes [from, to) of one segment's log region, assembled from cached chunks; missing
     * chunks are fetched with one ranged GET per contiguous run and cached.
     */
    private final class Window {
        private final Manifest.Entry seg;
        private final long from;
        private long to;
        private ByteBuffer bytes;

        Window(Manifest.Entry seg, long from, long to) {
            this.seg = seg;
            this.from = from;
            this.to = from;
            this.bytes = ByteBuffer.allocate(0);
            ensure(to);
        }

        void ensure(long upTo) {
            upTo = Math.min(upTo, seg.logLength());
            if (upTo <= to) {
                return;
            }
            long newTo = Math.max(upTo, Math.min(seg.logLength(), to + (to - from))); // grow geometrically
            ByteBuffer grown = ByteBuffer.allocate((int) (newTo - from)).order(ByteOrder.BIG_ENDIAN);
            grown.put(bytes.duplicate().clear());
            copyRange(seg, to, newTo, grown);
            bytes = grown;
            to = newTo;
        }

        /** The batch header at {@code pos}, fetched if needed (a view; read it with RecordBatch's accessors at 0). */
        ByteBuffer header(long pos) {
            ensure(pos + RecordBatch.HEADER_SIZE);
            if (pos + RecordBatch.HEADER_SIZE > to) {
                throw new StorageException(seg.key() + ": batch header runs past the end of the log region at " + pos);
            }
            return slice(pos, pos + RecordBatch.HEADER_SIZE);
        }

        /** The size of the batch whose header {@code h} was read at {@code pos}; damage is a storage fault. */
        int batchSize(ByteBuffer h, long pos) {
            try {
                return RecordBatch.declaredSizeAt(h, 0);
            } catch (CorruptBatchException e) {
                throw new StorageException(seg.key() + ": " + e.getMessage() + " at log position " + pos, e);
            }
        }

        ByteBuffer slice(long a, long b) {
            return bytes.slice((int) (a - from), (int) (b - a)).order(ByteOrder.BIG_ENDIAN);
        }
    }

    /**
     * Appends log bytes [a, b) of {@code seg} to {@code out}: from the chunk cache, from a read-ahead already in
     * flight, or with one ranged GET per contiguous run of missing chunks.
     */
    private void copyRange(Manifest.Entry seg, long a, long b, ByteBuffer out) {
        int chunk = config.chunkBytes();
        long c0 = a / chunk;
        long c1 = (b - 1) / chunk;
        int n = (int) (c1 - c0 + 1);
        byte[][] chunks = new byte[n][];
        @SuppressWarnings("unchecked")
        CompletableFuture<byte[]>[] waits = new CompletableFuture[n];
        for (int i = 0; i < n; i++) {
            ChunkKey key = new ChunkKey(seg.key(), c0 + i);
            byte[] hit = chunkCache.getIfPresent(key);
            if (hit != null) {
                cacheHits.increment();
                chunks[i] = hit;
            } else {
                cacheMisses.increment();
                waits[i] = inflight.get(key);
            }
        }
        int runStart = -1;
        for (int i = 0; i <= n; i++) {
            boolean missing = i < n && chunks[i] == null && waits[i] == null;
            if (missing && runStart < 0) {
                runStart = i;
            } else if (!missing && runStart >= 0) {
                fetchChunks(seg, c0 + runStart, c0 + i - 1, chunks, c0);
                runStart = -1;
            }
        }
        for (int i = 0; i < n; i++) {
            if (waits[i] != null) {
                try {
                    chunks[i] = waits[i].join();
                } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException e) {
                    fetchChunks(seg, c0 + i, c0 + i, chunks, c0); // the read-ahead failed: fetch it ourselves
                }
            }
        }
        for (long c = c0; c <= c1; c++) {
            byte[] data = chunks[(int) (c - c0)];
            long chunkStart = c * chunk;
            int off = (int) (Math.max(a, chunkStart) - chunkStart);
            int endOff = (int) (Math.min(b, chunkStart + data.length) - chunkStart);
            out.put(data, off, endOff - off);
        }
    }

    /** One GET for chunks [firstChunk, lastChunk] of the log region; caches each chunk and stores it in {@code into}. */
    private byte[][] fetchChunks(Manifest.Entry seg, long firstChunk, long lastChunk, byte[][] into, long intoBase) {
        int chunk = config.chunkBytes();
        long start = firstChunk * chunk;
        long end = Math.min(seg.logLength(), (lastChunk + 1) * chunk);
        getRequests.increment();
        byte[] data = store.getRange(seg.key(), start, (int) (end - start));
        if (data.length != end - start) {
            throw new StorageException(seg.key() + ": expected " + (end - start) + " bytes at " + start + ", got " + data.length);
        }
        byte[][] parts = new byte[(int) (lastChunk - firstChunk + 1)][];
        for (long c = firstChunk; c <= lastChunk; c++) {
            int off = (int) ((c - firstChunk) * chunk);
            byte[] part = java.util.Arrays.copyOfRange(data, off, (int) Math.min(data.length, off + (long) chunk));
            chunkCache.put(new ChunkKey(seg.key(), c), part);
            parts[(int) (c - firstChunk)] = part;
            if (into != null) {
                into[(int) (c - intoBase)] = part;
            }
        }
        return parts;
    }

    /**
     * Sequential-read detection and read-ahead: when this read starts where the previous read of the segment
     * ended (or at the segment's start), and the chunk half the read-ahead distance away is neither cached nor
     * in flight, fetch the missing chunks up to {@code readAheadChunks} ahead with one background GET.
     */
    private void maybePrefetch(Manifest.Entry seg, long first, long end) {
        Long previousEnd = lastReadEnd.getIfPresent(seg.key());
        lastReadEnd.put(seg.key(), end);
        int ahead = config.readAheadChunks();
        boolean sequential = first == 0 || (previousEnd != null && previousEnd == first);
        if (ahead == 0 || !sequential || end >= seg.logLength()) {
            return;
        }
        int chunk = config.chunkBytes();
        long current = (end - 1) / chunk;
        long lastChunk = (seg.logLength() - 1) / chunk;
        long trigger = Math.min(lastChunk, current + Math.max(1, ahead / 2));
        if (present(seg, trigger)) {
            return;
        }
        long from = current + 1;
        while (from <= trigger && present(seg, from)) {
            from++;
        }
        long to = Math.min(lastChunk, current + ahead);
        List<CompletableFuture<byte[]>> futures = new ArrayList<>();
        long last = from - 1;
        for (long c = from; c <= to; c++) {
            CompletableFuture<byte[]> f = new CompletableFuture<>();
            if (chunkCache.getIfPresent(new ChunkKey(seg.key(), c)) != null
                    || inflight.putIfAbsent(new ChunkKey(seg.key(), c), f) != null) {
                break;
            }
            futures.add(f);
            last = c;
        }
        if (futures.isEmpty()) {
            return;
        }
        // one GET per refill: measured here, the per-request cost dominates, so fewer larger GETs replay faster
        // than several parallel ones (docs/cold-tier.md, Benchmarks)
        submitReadAhead(seg, from, last, futures);
    }

    private void submitReadAhead(Manifest.Entry seg, long runFirst, long runLast, List<CompletableFuture<byte[]>> futures) {
        Runnable fetch = () -> {
            try {
                byte[][] parts = fetchChunks(seg, runFirst, runLast, null, runFirst);
                for (int i = 0; i < parts.length; i++) {
                    futures.get(i).complete(parts[i]);
                }
            } catch (RuntimeException e) {
                LOG.debug("read-ahead of {} chunks {}..{} failed: {}", seg.key(), runFirst, runLast, e.toString());
                futures.forEach(f -> f.completeExceptionally(e));
            } finally {
                for (long c = runFirst; c <= runLast; c++) {
                    inflight.remove(new ChunkKey(seg.key(), c));
                }
            }
        };
        try {
            prefetcher.execute(fetch);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            futures.forEach(f -> f.completeExceptionally(e));
            for (long c = runFirst; c <= runLast; c++) {
                inflight.remove(new ChunkKey(seg.key(), c));
            }
        }
    }

    private boolean present(Manifest.Entry seg, long chunkIndex) {
        ChunkKey k = new ChunkKey(seg.key(), chunkIndex);
        return chunkCache.getIfPresent(k) != null || inflight.containsKey(k);
    }

    /** Drops every cached index and chunk (benchmarks measure cold-cache reads with it). */
    void invalidateCaches() {
        indexCache.invalidateAll();
        chunkCache.invalidateAll();
        lastReadEnd.invalidateAll();
    }

    /** Hits / (hits + misses) of the chunk cache since start (NaN before the first lookup). */
    public double cacheHitRatio() {
        double h = cacheHits.count();
        double total = h + cacheMisses.count();
        return total == 0 ? Double.NaN : h / total;
    }

    // ------------------------------------------------------------------ partition state

    private String rootPrefix() {
        return config.keyPrefix().isEmpty() ? "" : config.keyPrefix() + "/";
    }

    private String topicPrefix(String topic) {
        return rootPrefix() + topic + "/";
    }

    private PartitionState newState(TopicPartition tp) {
        return new PartitionState(tp, topicPrefix(tp.topic()) + tp.partition() + "/");
    }

    private Manifest manifestForRead(TopicPartition tp) {
        PartitionState p = partitions.computeIfAbsent(tp, this::newState);
        Manifest m = p.manifest;
        if (m != null) {
            return m;
        }
        synchronized (p.manifestLock) {
            ensureManifest(p);
            return p.manifest;
        }
    }

    /** Loads the manifest once (caller holds {@code manifestLock}); throws when the store cannot be read. */
    private void ensureManifest(PartitionState p) {
        if (p.manifest != null) {
            return;
        }
        String key = p.prefix + MANIFEST;
        Manifest m;
        try {
            m = Manifest.decode(store.get(key), p.tp, key);
        } catch (ObjectNotFoundException e) {
            m = Manifest.EMPTY;
        }
        p.manifest = m;
    }

    /** Writer-side load: the manifest, plus an orphan sweep of the partition when {@link #start()} could not do it. */
    private void loadForWrite(PartitionState p) {
        synchronized (p.manifestLock) {
            ensureManifest(p);
            if (p.swept || orphansSweptAtStart) {
                return;
            }
            Set<String> live = new HashSet<>();
            p.manifest.segments().forEach(e -> live.add(e.key()));
            List<String> orphans = store.list(p.prefix).stream().map(ObjectMeta::key)
                    .filter(k -> k.endsWith(SEGMENT_SUFFIX) && !live.contains(k)).toList();
            store.deleteAll(orphans);
            if (!orphans.isEmpty()) {
                LOG.info("{}: removed {} orphan segment objects", p.tp, orphans.size());
            }
            p.swept = true;
        }
    }

    /**
     * Mutable per-partition state. {@code manifestLock} serialises manifest loads and rewrites (network I/O
     * happens under it); the instance's monitor guards only the in-memory queue and flags and is never held
     * across I/O, so the hot tier's writer thread (which enqueues closed segments) never waits for S3.
     * Lock order: manifestLock, then the monitor. {@code manifest} is readable without either.
     */
    private static final class PartitionState {
        final TopicPartition tp;
        final String prefix;
        final Object manifestLock = new Object();
        volatile Manifest manifest;
        final TreeMap<Long, SegmentInfo> pending = new TreeMap<>();
        boolean running;
        boolean registered;
        volatile boolean deleted;
        boolean swept;
        int generation;
        volatile int failures;

        PartitionState(TopicPartition tp, String prefix) {
            this.tp = tp;
            this.prefix = prefix;
        }
    }
}
