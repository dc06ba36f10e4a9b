package io.tierlog.cold;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.tierlog.cold.series.SeriesBlockReader;
import io.tierlog.core.CorruptBatchException;
import io.tierlog.core.Record;
import io.tierlog.core.RecordBatch;
import io.tierlog.core.StorageException;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.FetchData;
import io.tierlog.hot.OffsetOutOfRangeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Serves offset and timestamp lookups of offloaded data: manifest, then the segment's sparse index (one ranged GET
 * of its trailer, cached by bytes), then the log bytes through the {@link ChunkCache}. Every returned batch is
 * CRC-checked; damage in a stored object is a {@link StorageException}, never a client error.
 *
 * <p>Thread safety: safe for concurrent reads of any partitions (no global lock).
 */
final class RemoteReader {
    private static final Logger LOG = LoggerFactory.getLogger(RemoteReader.class);

    /** Open series block readers kept (each holds its footer and, once read, its dictionary). */
    private static final int BLOCK_READERS = 256;

    private final ObjectStore store;
    private final ManifestStore manifests;
    private final ChunkCache chunks;
    private final Cache<String, SegmentObject.SegmentIndex> indexes;
    private final Cache<String, SeriesBlockReader> blocks;
    /** The smallest re-built record (a sample with a short key): bounds how many records a fetch decodes. */
    private static final int MIN_RECORD_BYTES = 16;

    private final Timer readLatency;
    private final Counter getRequests;
    private final Counter getBytes;
    /**
     * Decoded row groups of series blocks, by object key and group index, bounded by a quarter of the chunk cache's
     * byte budget (on top of it: a server with both kinds of topics uses both caches).
     */
    private final WeightedLruCache<String, SeriesBlockReader.DecodedGroup> decodedGroups;
    /** Decompressed rollup sections by object and resolution. */
    private final WeightedLruCache<String, byte[]> rollupSections;

    RemoteReader(ObjectStore store, ManifestStore manifests, ChunkCache chunks, ColdTierConfig config, MeterRegistry registry) {
        this.store = store;
        this.manifests = manifests;
        this.chunks = chunks;
        this.indexes = Caffeine.newBuilder().maximumWeight(config.indexCacheBytes())
                .weigher((String k, SegmentObject.SegmentIndex v) -> v.weight()).build();
        this.blocks = Caffeine.newBuilder().maximumSize(BLOCK_READERS).build();
        this.readLatency = Timer.builder("tierlog.cold.read.latency").publishPercentileHistogram().register(registry);
        this.getRequests = Counter.builder("tierlog.cold.get.requests").description("ranged GETs sent").register(registry);
        this.getBytes = Counter.builder("tierlog.cold.get.bytes").description("bytes received by ranged GETs").register(registry);
        this.decodedGroups = new WeightedLruCache<>(Math.max(1, config.chunkCacheBytes() / 4),
                SeriesBlockReader.DecodedGroup::weight);
        this.rollupSections = new WeightedLruCache<>(Math.max(1, config.chunkCacheBytes() / 8), b -> 64L + b.length);
    }

    /** See {@link RemoteLog#read}; a segment object gone since the manifest was loaded reloads it once and retries. */
    FetchData read(TopicPartition tp, long offset, int maxBytes) {
        try {
            return readOnce(tp, offset, maxBytes);
        } catch (ObjectNotFoundException e) {
            LOG.info("{}: remote segment vanished ({}), reloading the manifest", tp, e.getMessage());
            manifests.refresh(tp);
            return readOnce(tp, offset, maxBytes);
        }
    }

    private FetchData readOnce(TopicPartition tp, long offset, int maxBytes) {
        long t0 = System.nanoTime();
        try {
            Manifest m = manifests.forRead(tp);
            Manifest.Entry seg = find(m, offset);
            if (seg == null) {
                throw new OffsetOutOfRangeException(tp + ": offset " + offset + " is not in the cold tier (remote range ["
                        + m.remoteStart() + ", " + m.remoteEnd() + "))", m.remoteStart(), m.remoteEnd());
            }
            if (seg.format() == ObjectFormat.SERIES_BLOCK) {
                List<Record> records = block(seg).read(offset, Math.max(1, maxBytes / MIN_RECORD_BYTES));
                if (records.isEmpty()) {
                    throw new StorageException(seg.key() + ": offset " + offset + " not found before the end of the block");
                }
                return new FetchData(offset, SeriesBlockObject.toBatches(records, maxBytes), m.remoteEnd(), m.remoteStart());
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
            chunks.readFinished(seg, first, end);
            return new FetchData(offset, out, m.remoteEnd(), m.remoteStart());
        } finally {
            readLatency.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
        }
    }

    /** See {@link RemoteLog#offsetForTimestamp}. */
    long offsetForTimestamp(TopicPartition tp, long timestamp) {
        Manifest m = manifests.forRead(tp);
        for (Manifest.Entry seg : m.segments()) {
            if (seg.info().maxTimestamp() < timestamp) {
                continue;
            }
            if (seg.format() == ObjectFormat.SERIES_BLOCK) {
                long found = block(seg).firstOffsetAtOrAfter(timestamp);
                if (found >= 0) {
                    return found;
                }
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

    /** See {@link ColdTier#selectSeries}. */
    SeriesSelection selectSeries(TopicPartition tp, Map<String, String> labels, java.util.function.Predicate<byte[]> keyFilter,
                                 long minTimestamp, long maxTimestamp, long endOffset) {
        Manifest m = manifests.forRead(tp);
        List<SeriesBlockReader.SeriesSamples> series = new ArrayList<>();
        List<RemoteSegmentInfo> copies = new ArrayList<>();
        for (Manifest.Entry seg : m.segments()) {
            if (seg.info().maxTimestamp() < minTimestamp || seg.info().minTimestamp() > maxTimestamp
                    || seg.info().nextOffset() > endOffset) {
                continue;
            }
            if (seg.format() == ObjectFormat.SERIES_BLOCK) {
                series.addAll(block(seg).select(labels, keyFilter, minTimestamp, maxTimestamp));
            } else {
                copies.add(seg.info());
            }
        }
        return new SeriesSelection(series, copies);
    }

    /** See {@link ColdTier#selectRollups}. */
    RollupSelection selectRollups(TopicPartition tp, Map<String, String> labels, java.util.function.Predicate<byte[]> keyFilter,
                                  long resolution, long minEnd, long maxEnd, long endOffset) {
        Manifest m = manifests.forRead(tp);
        List<SeriesBlockReader.SeriesRollups> rollups = new ArrayList<>();
        List<RemoteSegmentInfo> unrolled = new ArrayList<>();
        long fromTimestamp = minEnd < Long.MIN_VALUE + resolution ? Long.MIN_VALUE : minEnd - resolution + 1; // first bucket's first instant
        for (Manifest.Entry seg : m.segments()) {
            if (seg.info().maxTimestamp() < fromTimestamp || seg.info().minTimestamp() > maxEnd
                    || seg.info().nextOffset() > endOffset) {
                continue;
            }
            if (seg.format() == ObjectFormat.SERIES_BLOCK) {
                SeriesBlockReader block = block(seg);
                if (java.util.Arrays.binarySearch(block.rollupResolutions(), resolution) >= 0) {
                    rollups.addAll(block.rollups(labels, keyFilter, resolution, minEnd, maxEnd));
                    continue;
                }
            }
            unrolled.add(seg.info());
        }
        return new RollupSelection(rollups, unrolled);
    }

    /** Drops cached indexes of objects that no longer exist. */
    void forget(Collection<String> objectKeys) {
        objectKeys.forEach(indexes::invalidate);
        objectKeys.forEach(blocks::invalidate);
        decodedGroups.removeIf(k -> objectKeys.contains(k.substring(0, k.lastIndexOf('#'))));
        rollupSections.removeIf(k -> objectKeys.contains(k.substring(0, k.lastIndexOf('@'))));
    }

    /** Drops cached indexes of every object whose key starts with {@code keyPrefix}. */
    void forgetPrefix(String keyPrefix) {
        indexes.asMap().keySet().removeIf(k -> k.startsWith(keyPrefix));
        blocks.asMap().keySet().removeIf(k -> k.startsWith(keyPrefix));
        decodedGroups.removeIf(k -> k.startsWith(keyPrefix));
        rollupSections.removeIf(k -> k.startsWith(keyPrefix));
    }

    void invalidateAll() {
        indexes.invalidateAll();
        blocks.invalidateAll();
        decodedGroups.invalidateAll();
        rollupSections.invalidateAll();
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

    /** The reader of a series block object: its footer is fetched once (one ranged GET of the tail), then cached. */
    private SeriesBlockReader block(Manifest.Entry seg) {
        return blocks.get(seg.key(), k -> SeriesBlockReader.open((position, length) -> {
            getRequests.increment();
            byte[] bytes = store.getRange(k, position, length);
            getBytes.increment(bytes.length);
            return bytes;
        }, seg.objectSize(), (index, load) -> decodedGroups.get(k + "#" + index, load),
                (resolution, load) -> rollupSections.get(k + "@" + resolution, load)));
    }

    private SegmentObject.SegmentIndex index(Manifest.Entry seg) {
        return indexes.get(seg.key(), k -> {
            getRequests.increment();
            byte[] trailer = store.getRange(k, seg.logLength(), seg.trailerLength());
            getBytes.increment(trailer.length);
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
            chunks.copyRange(seg, to, newTo, grown);
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
}
