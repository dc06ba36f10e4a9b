package io.tierlog.query;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.tierlog.cold.RemoteLog;
import io.tierlog.cold.RemoteSegmentInfo;
import io.tierlog.core.Header;
import io.tierlog.core.InvalidInputException;
import io.tierlog.core.Record;
import io.tierlog.core.TierlogException;
import io.tierlog.core.TopicPartition;
import io.tierlog.core.Validation;
import io.tierlog.hot.FetchData;
import io.tierlog.hot.OffsetOutOfRangeException;
import io.tierlog.hot.PartitionLog;
import io.tierlog.hot.SegmentInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The read side of Tierlog: everything a consumer or a query asks of stored data, answered across the hot
 * (local) and cold (S3) tiers as if they were one log. It exists so that neither the HTTP edge nor the tiers
 * need to know where the boundary between them lies at any moment.
 *
 * <p>Rules: the hot tier serves every offset in {@code [localLogStartOffset, highWatermark)}, the cold tier
 * what lies below; each offset is served once. Readers see only offsets below the high watermark.
 * Synchronous validation errors: {@link InvalidInputException} (bad argument), {@link UnknownPartitionException}
 * (no such partition), {@link OffsetOutOfRangeException} (offset outside {@code [logStartOffset, highWatermark]},
 * carrying both bounds).
 *
 * <p>Thread-safe. Long-poll waits cost no thread: a waiter is a future in a per-partition set, completed by
 * {@link #onAppend} (the ingest pipeline's call after it advanced a high watermark) or by one shared timer.
 */
public final class QueryService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(QueryService.class);
    /** Default bound on the records one slice of a cross-partition query holds in memory. */
    static final int DEFAULT_SLICE_RECORDS = 10_000;
    /** Default bound on the batch-index entries of one cross-partition query (32 bytes each: 8 MiB). */
    static final int DEFAULT_INDEX_BUDGET = 1 << 18;
    private static final int MIN_CHUNK_BYTES = 64 * 1024;
    private static final int MAX_CHUNK_BYTES = 8 * 1024 * 1024;
    private static final int SCAN_CHUNK_BYTES = 1024 * 1024;

    private final Function<TopicPartition, Optional<PartitionLog>> hot;
    private final TierReader tiers;
    private final ConsumerOffsets consumerOffsets;
    private final int sliceRecords;
    private final int indexBudget;

    private final ScheduledThreadPoolExecutor timer;
    private final ExecutorService completions;
    private final ConcurrentHashMap<TopicPartition, Set<Waiter>> waiters = new ConcurrentHashMap<>();
    private final AtomicInteger waiterCount = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();

    private final MeterRegistry registry;
    private final ConcurrentHashMap<String, Timer> timers = new ConcurrentHashMap<>();
    private final Counter hotRecords;
    private final Counter coldRecords;
    private final Counter batchesSkipped;

    /**
     * @param hot                the local log of a partition, empty when the partition does not exist
     * @param cold               the cold tier's read seam; {@code null} when there is no cold tier
     * @param consumerOffsetsDir where committed consumer offsets are kept (created when missing)
     * @param registry           where read latency and per-tier record counts are reported
     */
    public QueryService(Function<TopicPartition, Optional<PartitionLog>> hot, RemoteLog cold,
                        Path consumerOffsetsDir, MeterRegistry registry) {
        this(hot, cold, consumerOffsetsDir, registry, DEFAULT_SLICE_RECORDS, DEFAULT_INDEX_BUDGET);
    }

    QueryService(Function<TopicPartition, Optional<PartitionLog>> hot, RemoteLog cold, Path consumerOffsetsDir,
                 MeterRegistry registry, int sliceRecords) {
        this(hot, cold, consumerOffsetsDir, registry, sliceRecords, DEFAULT_INDEX_BUDGET);
    }

    QueryService(Function<TopicPartition, Optional<PartitionLog>> hot, RemoteLog cold, Path consumerOffsetsDir,
                 MeterRegistry registry, int sliceRecords, int indexBudget) {
        if (hot == null || consumerOffsetsDir == null || registry == null) {
            throw new IllegalArgumentException("hot log lookup, consumer offsets directory and registry are required");
        }
        if (sliceRecords < 1) {
            throw new IllegalArgumentException("sliceRecords must be >= 1, was " + sliceRecords);
        }
        this.hot = hot;
        this.tiers = new TierReader(cold == null ? NoRemoteLog.INSTANCE : cold);
        this.consumerOffsets = new ConsumerOffsets(consumerOffsetsDir);
        this.sliceRecords = sliceRecords;
        this.indexBudget = indexBudget;
        this.registry = registry;
        this.timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "tierlog-query-timer");
            t.setDaemon(true);
            return t;
        });
        this.timer.setRemoveOnCancelPolicy(true);
        this.completions = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("tierlog-query-wake-", 0).factory());
        this.hotRecords = Counter.builder("tierlog.query.records.served").tag("tier", "hot")
                .description("Records served to readers by the hot (local) tier").register(registry);
        this.coldRecords = Counter.builder("tierlog.query.records.served").tag("tier", "cold")
                .description("Records served to readers by the cold (S3) tier").register(registry);
        this.batchesSkipped = Counter.builder("tierlog.query.batches.skipped")
                .description("Batches skipped by time-range reads thanks to their header's maximum timestamp").register(registry);
        Gauge.builder("tierlog.query.waiters", waiterCount, AtomicInteger::get)
                .description("Long-poll readers waiting for new records").register(registry);
    }

    // ---------------------------------------------------------------- offset reads

    /**
     * Up to {@code maxRecords} records from {@code offset} in offset order, stopping before the record that
     * would take the page past {@code maxBytes} (at least one record is returned when any exists). Record size
     * counts key, value and headers plus a fixed overhead of 24 bytes. An offset equal to the high watermark
     * gives an empty page.
     */
    public PartitionRead read(TopicPartition tp, long offset, int maxRecords, int maxBytes) {
        checkPositive(maxRecords, "maxRecords");
        checkPositive(maxBytes, "maxBytes");
        Validation.offset(offset, "offset");
        PartitionLog log = log(tp);
        return timed("offset", () -> readFrom(tp, log, offset, maxRecords, maxBytes));
    }

    private PartitionRead readFrom(TopicPartition tp, PartitionLog log, long offset, int maxRecords, int maxBytes) {
        long hw = checkInRange(tp, log, offset);
        List<Record> out = new ArrayList<>(Math.min(maxRecords, 1024));
        int[] counts = new int[2];
        long[] bytes = {0};
        long[] next = {offset};
        int chunk = Math.clamp(maxBytes, MIN_CHUNK_BYTES, MAX_CHUNK_BYTES);
        tiers.walk(tp, log, offset, hw, chunk, (batch, tier, from) -> {
            for (Record r : batch.records()) {
                if (r.offset() < from) {
                    continue;
                }
                if (r.offset() >= hw) {
                    return false;
                }
                int size = sizeOf(r);
                if (!out.isEmpty() && bytes[0] + size > maxBytes) {
                    return false;
                }
                out.add(r);
                counts[tier.ordinal()]++;
                bytes[0] += size;
                next[0] = r.offset() + 1;
                if (out.size() >= maxRecords) {
                    return false;
                }
            }
            return true;
        });
        return served(new PartitionRead(out, next[0], Math.max(hw, log.highWatermark()),
                counts[TierReader.Tier.HOT.ordinal()], counts[TierReader.Tier.COLD.ordinal()]));
    }

    /**
     * Like {@link #read}, but when {@code offset} equals the high watermark and {@code maxWaitMs > 0} the
     * future completes only once records arrive ({@link #onAppend}) or after {@code maxWaitMs} (with an empty
     * page). Validation errors are thrown at once, not through the future; the caller bounds
     * {@code maxWaitMs} (API limit 30 s). Completion runs on a virtual thread, never on the ingest thread.
     */
    public CompletableFuture<PartitionRead> readOrWait(TopicPartition tp, long offset, int maxRecords, int maxBytes,
                                                       long maxWaitMs) {
        checkPositive(maxRecords, "maxRecords");
        checkPositive(maxBytes, "maxBytes");
        Validation.offset(offset, "offset");
        if (maxWaitMs < 0) {
            throw new InvalidInputException("maxWaitMs must be >= 0, was " + maxWaitMs);
        }
        PartitionLog log = log(tp);
        checkInRange(tp, log, offset);
        if (maxWaitMs == 0 || offset < log.highWatermark()) {
            return CompletableFuture.completedFuture(read(tp, offset, maxRecords, maxBytes));
        }
        return awaitData(tp, offset, maxWaitMs).thenApply(hw -> read(tp, offset, maxRecords, maxBytes));
    }

    /**
     * Completes with the high watermark once it is above {@code offset}, or after {@code maxWaitMs} (then
     * possibly still equal to {@code offset}). For tail readers that want something other than records
     * (raw batches, server-sent events). Cancelling the future ends the wait and frees its registration.
     */
    public CompletableFuture<Long> awaitData(TopicPartition tp, long offset, long maxWaitMs) {
        Validation.offset(offset, "offset");
        if (maxWaitMs < 0) {
            throw new InvalidInputException("maxWaitMs must be >= 0, was " + maxWaitMs);
        }
        PartitionLog log = log(tp);
        checkInRange(tp, log, offset);
        if (closed.get()) {
            throw new TierlogException("the query service is closed");
        }
        long hw = log.highWatermark();
        if (offset < hw || maxWaitMs == 0) {
            return CompletableFuture.completedFuture(hw);
        }
        Waiter w = new Waiter(tp, offset, log);
        // a caller that stops waiting (e.g. a fetch woken by another partition) cancels the future: unregister at once
        w.future.whenComplete((ignoredHw, ignoredError) -> {
            if (w.future.isCancelled()) {
                wake(w);
            }
        });
        waiters.computeIfAbsent(tp, k -> ConcurrentHashMap.newKeySet()).add(w);
        waiterCount.incrementAndGet();
        try {
            ScheduledFuture<?> timeout = timer.schedule(() -> wake(w), maxWaitMs, TimeUnit.MILLISECONDS);
            w.timeout = timeout;
            if (w.fired.get()) {
                timeout.cancel(false);
            }
        } catch (RejectedExecutionException e) {
            wake(w); // closing
        }
        // An append between the first check and the registration would otherwise be missed.
        if (log.highWatermark() > offset || closed.get()) {
            wake(w);
        }
        return w.future;
    }

    /**
     * Told by the ingest pipeline that {@code tp}'s high watermark advanced to {@code highWatermark}; wakes the
     * waiters below it. Cheap and non-blocking: reads for the woken waiters run on other threads.
     */
    public void onAppend(TopicPartition tp, long highWatermark) {
        Set<Waiter> set = waiters.get(tp);
        if (set == null || set.isEmpty()) {
            return;
        }
        for (Waiter w : set) {
            if (w.offset < highWatermark) {
                wake(w);
            }
        }
    }

    private void wake(Waiter w) {
        if (!w.fired.compareAndSet(false, true)) {
            return;
        }
        Set<Waiter> set = waiters.get(w.tp);
        if (set != null) {
            set.remove(w);
        }
        waiterCount.decrementAndGet();
        ScheduledFuture<?> t = w.timeout;
        if (t != null) {
            t.cancel(false);
        }
        Runnable complete = () -> {
            try {
                w.future.complete(w.log.highWatermark());
            } catch (RuntimeException e) {
                w.future.completeExceptionally(e);
            }
        };
        try {
            completions.execute(complete);
        } catch (RejectedExecutionException e) {
            complete.run();
        }
    }

    private static final class Waiter {
        final TopicPartition tp;
        final long offset;
        final PartitionLog log;
        final CompletableFuture<Long> future = new CompletableFuture<>();
        final AtomicBoolean fired = new AtomicBoolean();
        volatile ScheduledFuture<?> timeout;

        Waiter(TopicPartition tp, long offset, PartitionLog log) {
            this.tp = tp;
            this.offset = offset;
            this.log = log;
        }
    }

    /**
     * Whole stored batches (copies, each a buffer at position 0) from the one holding {@code offset}, in
     * offset order across tiers, up to {@code maxBytes} (at least one batch when any exists). The first batch
     * may start before {@code offset}: the reader skips those records, as Kafka consumers do.
     */
    public List<ByteBuffer> readBatches(TopicPartition tp, long offset, int maxBytes) {
        checkPositive(maxBytes, "maxBytes");
        Validation.offset(offset, "offset");
        PartitionLog log = log(tp);
        return timed("batches", () -> {
            long hw = checkInRange(tp, log, offset);
            List<ByteBuffer> out = new ArrayList<>();
            long[] bytes = {0};
            int[] counts = new int[2];
            int chunk = Math.clamp(maxBytes, MIN_CHUNK_BYTES, MAX_CHUNK_BYTES);
            tiers.walk(tp, log, offset, hw, chunk, (batch, tier, from) -> {
                int size = batch.sizeInBytes();
                if (!out.isEmpty() && bytes[0] + size > maxBytes) {
                    return false;
                }
                ByteBuffer copy = ByteBuffer.allocate(size);
                copy.put(batch.buffer()).flip();
                out.add(copy);
                bytes[0] += size;
                counts[tier.ordinal()] += (int) (Math.min(batch.nextOffset(), hw) - Math.max(batch.baseOffset(), from));
                return true;
            });
            hotRecords.increment(counts[TierReader.Tier.HOT.ordinal()]);
            coldRecords.increment(counts[TierReader.Tier.COLD.ordinal()]);
            return out;
        });
    }

    // ---------------------------------------------------------------- time-range reads

    /** The records of {@code tp} with {@code from <= timestamp < to}, in offset order, up to {@code maxRecords}. */
    public PartitionRead readTimeRange(TopicPartition tp, long fromInclusive, long toExclusive, int maxRecords) {
        return readTimeRange(tp, fromInclusive, toExclusive, 0, maxRecords);
    }

    /**
     * Continues a time-range read at {@code startOffset} (a previous page's {@code nextOffset}). Exact with late
     * (out-of-order) timestamps: every segment whose time bounds overlap the window is read, the others are
     * skipped, and so are batches whose header bounds miss it. When the result holds fewer than
     * {@code maxRecords} records the scan is complete and {@code nextOffset} is the high watermark it saw.
     * A start below the log start is moved up to it (retention), one above the high watermark down to it.
     */
    public PartitionRead readTimeRange(TopicPartition tp, long fromInclusive, long toExclusive, long startOffset,
                                       int maxRecords) {
        checkWindow(fromInclusive, toExclusive);
        checkPositive(maxRecords, "maxRecords");
        Validation.offset(startOffset, "startOffset");
        PartitionLog log = log(tp);
        return timed("time", () -> {
            long hw = log.highWatermark();
            return served(scanTime(tp, log, fromInclusive, toExclusive, startOffset, hw, maxRecords, r -> true));
        });
    }

    /**
     * The core of time-range reads: records of [start, end) with from <= ts < to that pass {@code filter}, up
     * to maxRecords. Only segments whose time bounds overlap are read (cold below the local start, hot
     * closed segments, and the active segment, whose bounds are not known).
     */
    PartitionRead scanTime(TopicPartition tp, PartitionLog log, long from, long to, long startOffset, long end,
                           int maxRecords, Predicate<Record> filter) {
        long start = Math.min(Math.max(startOffset, tiers.logStartOffset(tp, log)), end);
        return scanRanges(tp, log, plan(tp, log, from, to, start, end), from, to, start, end, maxRecords, filter);
    }

    /** Like {@link #scanTime} over given offset ranges (ascending), from {@code start} on. */
    PartitionRead scanRanges(TopicPartition tp, PartitionLog log, List<long[]> ranges, long from, long to, long start,
                             long end, int maxRecords, Predicate<Record> filter) {
        List<Record> out = new ArrayList<>(Math.min(maxRecords, 1024));
        int[] counts = new int[2];
        long next = walkTime(tp, log, ranges, from, to, start, end, filter, (r, tier) -> {
            out.add(r);
            counts[tier.ordinal()]++;
            return out.size() < maxRecords;
        });
        return new PartitionRead(out, next, Math.max(end, log.highWatermark()),
                counts[TierReader.Tier.HOT.ordinal()], counts[TierReader.Tier.COLD.ordinal()]);
    }

    /** Receives the records of a time-range walk; false stops the walk after this record. */
    @FunctionalInterface
    interface TimedSink {
        boolean accept(Record record, TierReader.Tier tier);
    }

    /**
     * Walks the records of the offset ranges (ascending, from {@code start}, below {@code end}) with
     * {@code from <= timestamp < to} that pass {@code filter}, handing each to {@code sink}; returns the offset
     * after the last record handed over when the sink stopped the walk, else {@code end}.
     */
    private long walkTime(TopicPartition tp, PartitionLog log, List<long[]> ranges, long from, long to, long start,
                          long end, Predicate<Record> filter, TimedSink sink) {
        long[] next = {end};
        boolean[] stopped = {false};
        for (long[] range : ranges) {
            long rangeEnd = Math.min(range[1], end);
            long rangeStart = Math.max(range[0], start);
            if (rangeStart >= rangeEnd) {
                continue;
            }
            tiers.walk(tp, log, rangeStart, rangeEnd, SCAN_CHUNK_BYTES, (batch, tier, pos) -> {
                // the header bounds only the maximum (Kafka's format): batches wholly before the window are skipped
                // unread; the others are decoded, which also finds the ones wholly after it
                if (batch.maxTimestamp() < from) {
                    batchesSkipped.increment();
                    return true;
                }
                for (Record r : batch.records()) {
                    if (r.offset() < pos) {
                        continue;
                    }
                    if (r.offset() >= rangeEnd) {
                        return false;
                    }
                    if (r.timestamp() >= from && r.timestamp() < to && filter.test(r) && !sink.accept(r, tier)) {
                        next[0] = r.offset() + 1;
                        stopped[0] = true;
                        return false;
                    }
                }
                return true;
            });
            if (stopped[0]) {
                break;
            }
        }
        return next[0];
    }

    /**
     * Every record of {@code tp} with {@code from <= timestamp < to} that passes {@code filter}, handed to
     * {@code sink} in offset order (late timestamps where they were written), up to the high watermark seen at the
     * call: a whole partition's window without pages or copies, for readers that order records themselves (the
     * PromQL engine orders by series). Only segments and batches whose time bounds overlap the window are read.
     */
    public void scanTimeRange(TopicPartition tp, long from, long to, Predicate<Record> filter,
                              java.util.function.Consumer<Record> sink) {
        scanTimeRange(tp, from, to, filter, sink, Long.MIN_VALUE, Long.MAX_VALUE);
    }

    /**
     * {@link #scanTimeRange(TopicPartition, long, long, Predicate, java.util.function.Consumer)} within the offsets
     * [{@code fromOffset}, {@code toOffset}) only: a caller that read part of the partition another way (series
     * blocks' selective reads) scans the rest.
     */
    public void scanTimeRange(TopicPartition tp, long from, long to, Predicate<Record> filter,
                              java.util.function.Consumer<Record> sink, long fromOffset, long toOffset) {
        checkWindow(from, to);
        PartitionLog log = log(tp);
        timed("time", () -> {
            long hw = Math.min(log.highWatermark(), Math.max(0, toOffset));
            long start = Math.min(Math.max(tiers.logStartOffset(tp, log), fromOffset), hw);
            long[] counts = new long[2];
            walkTime(tp, log, plan(tp, log, from, to, start, hw), from, to, start, hw, filter == null ? r -> true : filter,
                    (r, tier) -> {
                        sink.accept(r);
                        counts[tier.ordinal()]++;
                        return true;
                    });
            hotRecords.increment(counts[TierReader.Tier.HOT.ordinal()]);
            coldRecords.increment(counts[TierReader.Tier.COLD.ordinal()]);
            return null;
        });
    }

    /** Offset ranges [a, b) within [start, end) whose segments' time bounds overlap [from, to), in order. */
    private List<long[]> plan(TopicPartition tp, PartitionLog log, long from, long to, long start, long end) {
        List<SegmentInfo> closedSegments = log.closedSegments();
        long localStart = log.logStartOffset(); // after the list: segments deleted meanwhile are in cold
        List<long[]> ranges = new ArrayList<>();
        if (start < localStart) {
            for (RemoteSegmentInfo s : tiers.cold().segments(tp)) {
                if (s.maxTimestamp() >= from && s.minTimestamp() < to) {
                    addRange(ranges, Math.max(s.baseOffset(), start), Math.min(Math.min(s.nextOffset(), localStart), end));
                }
            }
        }
        long activeBase = localStart;
        for (SegmentInfo s : closedSegments) {
            activeBase = Math.max(activeBase, s.nextOffset());
            if (s.maxTimestamp() >= from && s.minTimestamp() < to) {
                addRange(ranges, Math.max(Math.max(s.baseOffset(), localStart), start), Math.min(s.nextOffset(), end));
            }
        }
        addRange(ranges, Math.max(activeBase, start), end);
        return ranges;
    }

    static void addRange(List<long[]> ranges, long a, long b) {
        if (a >= b) {
            return;
        }
        if (!ranges.isEmpty()) {
            long[] last = ranges.get(ranges.size() - 1);
            if (last[1] >= a) {
                last[1] = Math.max(last[1], b);
                return;
            }
        }
        ranges.add(new long[]{a, b});
    }

    /**
     * Records of all partitions {@code 0..partitionCount-1} of {@code topic} with {@code from <= timestamp < to}
     * that pass {@code filter}, ordered by (timestamp, partition, offset), produced lazily.
     *
     * <p>Exact global order needs each partition's records in time order, but partitions store them in offset
     * order with late records anywhere. The iterator therefore cuts [from, to) into time slices: for one slice
     * it reads every partition's batches overlapping the slice, keeps the matching records, sorts them and
     * hands them out. Memory holds at most one slice of {@code sliceRecords} (10 000) matching records: a slice
     * that would hold more is halved and read again; a slice of one millisecond needs no sort (its order is
     * partition then offset) and is streamed page by page. Slices widen again while they are sparse. Which
     * batches overlap a slice comes from a per-partition {@link BatchIndex} built in one header pass over the
     * segments overlapping the window on the first {@code hasNext()} (bounded to 8 MiB over all partitions by
     * merging neighbours). The cost is that pass plus re-reading batches whose time bounds span several
     * slices. Each partition is read up to the high watermark seen when this method was called (a consistent
     * snapshot). Unknown partitions fail at once; read errors surface from {@code hasNext()}.
     */
    public Iterator<TopicRecord> queryTimeRange(String topic, int partitionCount, long from, long to,
                                                Predicate<Record> filter) {
        Validation.topicName(topic);
        checkWindow(from, to);
        if (partitionCount < 1) {
            throw new InvalidInputException("partitionCount must be >= 1, was " + partitionCount);
        }
        List<MergedTimeRangeIterator.Source> sources = new ArrayList<>(partitionCount);
        for (int p = 0; p < partitionCount; p++) {
            TopicPartition tp = new TopicPartition(topic, p);
            PartitionLog log = log(tp);
            sources.add(new MergedTimeRangeIterator.Source(tp, log, log.highWatermark()));
        }
        int indexCapacity = Math.max(2, indexBudget / partitionCount);
        return new MergedTimeRangeIterator(this, sources, from, to, filter == null ? r -> true : filter, sliceRecords,
                indexCapacity);
    }

    /** One page of the cross-partition iterator: records of [from, to) within the index's ranges. */
    PartitionRead timedScan(TopicPartition tp, PartitionLog log, BatchIndex index, long from, long to, long startOffset,
                            long end, int maxRecords, Predicate<Record> filter) {
        return timed("query", () -> scanRanges(tp, log, index.ranges(from, to), from, to, startOffset, end,
                maxRecords, filter));
    }

    /** Counts the records of a page the cross-partition iterator hands out (not those of discarded slices). */
    void countServed(PartitionRead page) {
        served(page);
    }

    /**
     * One pass over the segments of [logStart, end) whose time bounds overlap [from, to), recording the offset
     * range and header timestamps of every batch that overlaps the window (records are not decoded).
     */
    BatchIndex indexWindow(TopicPartition tp, PartitionLog log, long from, long to, long end, int capacity) {
        return timed("index", () -> {
            BatchIndex index = new BatchIndex(capacity);
            long start = Math.min(tiers.logStartOffset(tp, log), end);
            for (long[] range : plan(tp, log, from, to, start, end)) {
                long rangeEnd = range[1];
                tiers.walk(tp, log, range[0], rangeEnd, SCAN_CHUNK_BYTES, (batch, tier, pos) -> {
                    if (batch.maxTimestamp() >= from && batch.minTimestamp() < to) {
                        index.add(Math.max(batch.baseOffset(), pos), Math.min(batch.nextOffset(), rangeEnd),
                                batch.minTimestamp(), batch.maxTimestamp());
                    }
                    return true;
                });
            }
            return index;
        });
    }

    // ---------------------------------------------------------------- offsets and state

    /**
     * The first offset whose record timestamp is >= {@code timestamp} over both tiers (Kafka's offsetsForTimes),
     * or the high watermark when there is none.
     */
    public long offsetForTimestamp(TopicPartition tp, long timestamp) {
        if (timestamp < 0) {
            throw new InvalidInputException("timestamp must be >= 0, was " + timestamp);
        }
        PartitionLog log = log(tp);
        return timed("offsetForTimestamp", () -> {
            long hw = log.highWatermark();
            long localStart = log.logStartOffset();
            long best = -1;
            if (tiers.cold().remoteLogStartOffset(tp) >= 0 && tiers.cold().remoteLogStartOffset(tp) < localStart) {
                best = tiers.cold().offsetForTimestamp(tp, timestamp);
            }
            if (best < 0 || best >= localStart) {
                long local = log.offsetForTimestamp(timestamp);
                if (local >= 0 && local < hw && (best < 0 || local < best)) {
                    best = local;
                }
            }
            long deleted = log.deletedBefore();
            if (best >= 0 && best < deleted && best < hw) {
                // the first such record was deleted on request: the first one after the deletion point
                List<Record> after = scanTime(tp, log, timestamp, Long.MAX_VALUE, deleted, hw, 1, r -> true).records();
                best = after.isEmpty() ? -1 : after.getFirst().offset();
            }
            return best < 0 || best >= hw ? hw : best;
        });
    }

    /**
     * The first record with the largest timestamp over both tiers (Kafka's ListOffsets MAX_TIMESTAMP); empty when
     * the partition holds no record. Only the segments whose maximum can be the answer are read: those whose
     * bound equals the largest closed or remote bound, and the active segment (whose bound is not known).
     */
    public Optional<Record> maxTimestampRecord(TopicPartition tp) {
        PartitionLog log = log(tp);
        return timed("maxTimestamp", () -> {
            long hw = log.highWatermark();
            List<SegmentInfo> closed = log.closedSegments();
            long localStart = log.logStartOffset();
            long best = Long.MIN_VALUE;
            List<RemoteSegmentInfo> remote = tiers.cold().segments(tp);
            for (RemoteSegmentInfo r : remote) {
                if (r.baseOffset() < localStart) {
                    best = Math.max(best, r.maxTimestamp());
                }
            }
            long activeBase = localStart;
            for (SegmentInfo c : closed) {
                best = Math.max(best, c.maxTimestamp());
                activeBase = Math.max(activeBase, c.nextOffset());
            }
            List<long[]> ranges = new ArrayList<>();
            long deleted = log.deletedBefore();
            if (deleted > tiers.heldStartOffset(tp, log)) {
                // segments' time bounds include records deleted on request: they cannot prune, read everything left
                addRange(ranges, Math.min(deleted, hw), hw);
            } else {
                for (RemoteSegmentInfo r : remote) {
                    if (r.baseOffset() < localStart && r.maxTimestamp() == best) {
                        addRange(ranges, r.baseOffset(), Math.min(r.nextOffset(), localStart));
                    }
                }
                for (SegmentInfo c : closed) {
                    if (c.maxTimestamp() == best) {
                        addRange(ranges, Math.max(c.baseOffset(), localStart), Math.min(c.nextOffset(), hw));
                    }
                }
                addRange(ranges, activeBase, hw);
            }
            Record[] found = {null};
            for (long[] range : ranges) {
                long end = range[1];
                tiers.walk(tp, log, range[0], end, SCAN_CHUNK_BYTES, (batch, tier, pos) -> {
                    if (found[0] != null && batch.maxTimestamp() <= found[0].timestamp()) {
                        return true;
                    }
                    for (Record r : batch.records()) {
                        if (r.offset() >= pos && r.offset() < end
                                && (found[0] == null || r.timestamp() > found[0].timestamp())) {
                            found[0] = r;
                        }
                    }
                    return true;
                });
            }
            return Optional.ofNullable(found[0]);
        });
    }

    /** The first offset held in either tier (cheap: no segment lists are built). */
    public long logStartOffset(TopicPartition tp) {
        return tiers.logStartOffset(tp, log(tp));
    }

    /** Where the partition's data lies across the tiers (the topic description). */
    public PartitionState state(TopicPartition tp) {
        PartitionLog log = log(tp);
        long localStart = log.logStartOffset();
        long hw = log.highWatermark();
        RemoteLog cold = tiers.cold();
        long remoteStart = cold.remoteLogStartOffset(tp);
        long remoteEnd = remoteStart >= 0 ? cold.remoteEndOffset(tp) : 0;
        long logStart = remoteStart >= 0 ? Math.min(remoteStart, localStart) : localStart;
        int coldSegments = cold.segments(tp).size();
        // records deleted on request are gone from both starts, as in Kafka (their segments go with retention)
        long deleted = log.deletedBefore();
        return new PartitionState(Math.max(logStart, deleted), Math.max(localStart, deleted), hw, remoteEnd,
                log.closedSegments().size() + 1, coldSegments);
    }

    /** Committed consumer-group offsets (commit / fetch). */
    public ConsumerOffsets consumerOffsets() {
        return consumerOffsets;
    }

    /** Completes every pending long poll (with what is there, usually nothing) and stops the timer. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        for (Set<Waiter> set : waiters.values()) {
            for (Waiter w : set) {
                wake(w);
            }
        }
        timer.shutdownNow();
        completions.close();
        LOG.debug("query service closed");
    }

    // ---------------------------------------------------------------- helpers

    private PartitionLog log(TopicPartition tp) {
        if (tp == null) {
            throw new InvalidInputException("topic partition is required");
        }
        return hot.apply(tp).orElseThrow(() -> new UnknownPartitionException(tp));
    }

    /** Throws out-of-range unless logStart <= offset <= hw; returns the high watermark. */
    private long checkInRange(TopicPartition tp, PartitionLog log, long offset) {
        long hw = log.highWatermark();
        if (offset <= hw && offset >= log.logStartOffset() && offset >= log.deletedBefore()) {
            return hw; // held locally: the cold tier is not asked, so hot reads go on while the object store is down
        }
        if (offset > hw || offset < tiers.logStartOffset(tp, log)) {
            throw tiers.outOfRange(tp, log, offset);
        }
        return hw;
    }

    private PartitionRead served(PartitionRead read) {
        hotRecords.increment(read.hotCount());
        coldRecords.increment(read.coldCount());
        return read;
    }

    private <T> T timed(String kind, java.util.function.Supplier<T> body) {
        Timer latency = timers.computeIfAbsent(kind, k -> Timer.builder("tierlog.query.read.latency").tag("kind", k)
                .description("Latency of reads served by the query service").register(registry));
        return latency.record(body);
    }

    static int sizeOf(Record r) {
        int n = 24 + (r.key() == null ? 0 : r.key().length) + (r.value() == null ? 0 : r.value().length);
        for (Header h : r.headers()) {
            n += 8 + h.key().length() + (h.value() == null ? 0 : h.value().length);
        }
        return n;
    }

    private static void checkPositive(int v, String what) {
        if (v <= 0) {
            throw new InvalidInputException(what + " must be > 0, was " + v);
        }
    }

    private static void checkWindow(long from, long to) {
        if (from < 0) {
            throw new InvalidInputException("from must be >= 0, was " + from);
        }
        if (to < from) {
            throw new InvalidInputException("to (" + to + ") must not be before from (" + from + ")");
        }
    }

    /** Stands in for a missing cold tier: holds nothing. */
    private enum NoRemoteLog implements RemoteLog {
        INSTANCE;

        @Override
        public List<RemoteSegmentInfo> segments(TopicPartition tp) {
            return List.of();
        }

        @Override
        public long remoteLogStartOffset(TopicPartition tp) {
            return -1;
        }

        @Override
        public long remoteEndOffset(TopicPartition tp) {
            return 0;
        }

        @Override
        public FetchData read(TopicPartition tp, long offset, int maxBytes) {
            throw new OffsetOutOfRangeException("no cold tier holds offset " + offset + " of " + tp, -1, 0);
        }

        @Override
        public long offsetForTimestamp(TopicPartition tp, long timestamp) {
            return -1;
        }
    }
}
