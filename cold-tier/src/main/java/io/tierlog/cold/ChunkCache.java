package io.tierlog.cold;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.tierlog.core.StorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The bytes of remote segments' log regions, in {@link ColdTierConfig#chunkBytes()}-aligned chunks held in a cache
 * bounded by bytes: missing chunks are fetched with one ranged GET per contiguous run, and sequential readers get
 * chunks fetched ahead in the background. Segment objects are immutable, so a cached chunk is never stale.
 *
 * <p>Thread safety: safe for concurrent readers; a chunk being fetched ahead is shared (a reader waits for the
 * GET in flight instead of sending its own, and fetches by itself if that GET failed).
 */
final class ChunkCache implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ChunkCache.class);

    private record ChunkKey(String objectKey, long chunk) {
    }

    private final ObjectStore store;
    private final int chunkBytes;
    private final int readAheadChunks;
    private final Cache<ChunkKey, byte[]> chunks;
    private final Cache<String, Long> lastReadEnd;
    private final ConcurrentHashMap<ChunkKey, CompletableFuture<byte[]>> inflight = new ConcurrentHashMap<>();
    private final ThreadPoolExecutor prefetcher;
    private final Counter hits;
    private final Counter misses;
    private final Counter getRequests;
    private final Counter getBytes;

    ChunkCache(ObjectStore store, ColdTierConfig config, MeterRegistry registry) {
        this.store = store;
        this.chunkBytes = config.chunkBytes();
        this.readAheadChunks = config.readAheadChunks();
        this.chunks = Caffeine.newBuilder().maximumWeight(config.chunkCacheBytes())
                .weigher((ChunkKey k, byte[] v) -> v.length + 64).build();
        this.lastReadEnd = Caffeine.newBuilder().maximumSize(10_000).build();
        this.prefetcher = new ThreadPoolExecutor(2, 2, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(64),
                r -> ColdTier.daemon(r, "cold-read-ahead"), new ThreadPoolExecutor.AbortPolicy());
        this.hits = Counter.builder("tierlog.cold.cache.hits").register(registry);
        this.misses = Counter.builder("tierlog.cold.cache.misses").register(registry);
        this.getRequests = Counter.builder("tierlog.cold.get.requests").description("ranged GETs sent").register(registry);
        this.getBytes = Counter.builder("tierlog.cold.get.bytes").description("bytes received by ranged GETs").register(registry);
        Gauge.builder("tierlog.cold.cache.hit.ratio", this, ChunkCache::hitRatio).register(registry);
    }

    /**
     * Appends log bytes [a, b) of {@code seg} to {@code out}: from the cache, from a read-ahead already in flight,
     * or with one ranged GET per contiguous run of missing chunks.
     */
    void copyRange(Manifest.Entry seg, long a, long b, ByteBuffer out) {
        long c0 = a / chunkBytes;
        long c1 = (b - 1) / chunkBytes;
        int n = (int) (c1 - c0 + 1);
        byte[][] found = new byte[n][];
        @SuppressWarnings("unchecked")
        CompletableFuture<byte[]>[] waits = new CompletableFuture[n];
        for (int i = 0; i < n; i++) {
            ChunkKey key = new ChunkKey(seg.key(), c0 + i);
            byte[] hit = chunks.getIfPresent(key);
            if (hit != null) {
                hits.increment();
                found[i] = hit;
            } else {
                misses.increment();
                waits[i] = inflight.get(key);
            }
        }
        int runStart = -1;
        for (int i = 0; i <= n; i++) {
            boolean missing = i < n && found[i] == null && waits[i] == null;
            if (missing && runStart < 0) {
                runStart = i;
            } else if (!missing && runStart >= 0) {
                fetch(seg, c0 + runStart, c0 + i - 1, found, c0);
                runStart = -1;
            }
        }
        for (int i = 0; i < n; i++) {
            if (waits[i] != null) {
                try {
                    found[i] = waits[i].join();
                } catch (CompletionException | CancellationException e) {
                    fetch(seg, c0 + i, c0 + i, found, c0); // the read-ahead failed: fetch it ourselves
                }
            }
        }
        for (long c = c0; c <= c1; c++) {
            byte[] data = found[(int) (c - c0)];
            long chunkStart = c * chunkBytes;
            int off = (int) (Math.max(a, chunkStart) - chunkStart);
            int endOff = (int) (Math.min(b, chunkStart + data.length) - chunkStart);
            out.put(data, off, endOff - off);
        }
    }

    /** One GET for chunks [firstChunk, lastChunk] of the log region; caches each chunk and stores it in {@code into}. */
    private byte[][] fetch(Manifest.Entry seg, long firstChunk, long lastChunk, byte[][] into, long intoBase) {
        long start = firstChunk * chunkBytes;
        long end = Math.min(seg.logLength(), (lastChunk + 1) * chunkBytes);
        getRequests.increment();
        byte[] data = store.getRange(seg.key(), start, (int) (end - start));
        getBytes.increment(data.length);
        if (data.length != end - start) {
            throw new StorageException(seg.key() + ": expected " + (end - start) + " bytes at " + start + ", got " + data.length);
        }
        byte[][] parts = new byte[(int) (lastChunk - firstChunk + 1)][];
        for (long c = firstChunk; c <= lastChunk; c++) {
            int off = (int) ((c - firstChunk) * chunkBytes);
            byte[] part = Arrays.copyOfRange(data, off, (int) Math.min(data.length, off + (long) chunkBytes));
            chunks.put(new ChunkKey(seg.key(), c), part);
            parts[(int) (c - firstChunk)] = part;
            if (into != null) {
                into[(int) (c - intoBase)] = part;
            }
        }
        return parts;
    }

    /**
     * Sequential-read detection and read-ahead, called after a read of log bytes [first, end): when it started where
     * the previous read of the segment ended (or at the segment's start), and the chunk half the read-ahead distance
     * away is neither cached nor in flight, fetch the missing chunks up to {@code readAheadChunks} ahead with one
     * background GET.
     */
    void readFinished(Manifest.Entry seg, long first, long end) {
        Long previousEnd = lastReadEnd.getIfPresent(seg.key());
        lastReadEnd.put(seg.key(), end);
        int ahead = readAheadChunks;
        boolean sequential = first == 0 || (previousEnd != null && previousEnd == first);
        if (ahead == 0 || !sequential || end >= seg.logLength()) {
            return;
        }
        long current = (end - 1) / chunkBytes;
        long lastChunk = (seg.logLength() - 1) / chunkBytes;
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
            if (chunks.getIfPresent(new ChunkKey(seg.key(), c)) != null
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
                byte[][] parts = fetch(seg, runFirst, runLast, null, runFirst);
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
        } catch (RejectedExecutionException e) {
            futures.forEach(f -> f.completeExceptionally(e));
            for (long c = runFirst; c <= runLast; c++) {
                inflight.remove(new ChunkKey(seg.key(), c));
            }
        }
    }

    private boolean present(Manifest.Entry seg, long chunkIndex) {
        ChunkKey k = new ChunkKey(seg.key(), chunkIndex);
        return chunks.getIfPresent(k) != null || inflight.containsKey(k);
    }

    /** Drops the chunks of every object whose key starts with {@code keyPrefix} (a deleted topic's). */
    void forgetPrefix(String keyPrefix) {
        chunks.asMap().keySet().removeIf(k -> k.objectKey().startsWith(keyPrefix));
    }

    void invalidateAll() {
        chunks.invalidateAll();
        lastReadEnd.invalidateAll();
    }

    /** Hits / (hits + misses) since start (NaN before the first lookup). */
    double hitRatio() {
        double h = hits.count();
        double total = h + misses.count();
        return total == 0 ? Double.NaN : h / total;
    }

    /** Stops read-ahead; readers waiting on a read-ahead that will never run now fetch for themselves. */
    @Override
    public void close() {
        prefetcher.shutdownNow();
        inflight.values().forEach(f -> f.completeExceptionally(new CancellationException("cold tier closed")));
    }
}
