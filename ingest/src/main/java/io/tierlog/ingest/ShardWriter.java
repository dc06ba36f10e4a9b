package io.tierlog.ingest;

import com.lmax.disruptor.EventHandler;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.AppendInfo;
import io.tierlog.hot.FsyncPolicy;
import io.tierlog.hot.LogIOException;
import io.tierlog.hot.PartitionLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The single writer of one shard. Consecutive publishes of one partition are concatenated into one
 * {@link PartitionLog#append} (their offsets are split back per publish); at the end of each Disruptor batch
 * the writer advances high watermarks, acknowledges leader acks, fsyncs per policy and acknowledges the
 * durable acks the fsync covers. Never throws: every failure ends in the affected futures.
 */
final class ShardWriter implements EventHandler<IngestEvent> {
    private static final Logger LOG = LoggerFactory.getLogger(ShardWriter.class);

    private final int shard;
    private final Function<TopicPartition, PartitionLog> logs;
    private final IngestMetrics metrics;
    private final List<AppendListener> listeners;
    private final int waiterCapacity;
    private final Flusher flusher;
    private final Map<TopicPartition, PartitionState> partitions = new HashMap<>();
    private final ByteBuffer coalesce;

    // the current Disruptor batch, copied out of the ring slots (writer-owned, pre-allocated)
    private final PartitionState[] bPart;
    private final ByteBuffer[] bData;
    private final int[] bCount;
    private final Acks[] bAcks;
    private final CompletableFuture<AppendAck>[] bFuture;
    private final long[] bNanos;
    private final long[] bBase;
    private final Throwable[] bError;
    /** For an idempotent producer's batch: its entry in the producer state (and whether it is a retried duplicate). */
    private final ProducerStates.BatchMeta[] bMeta;
    private final long[] bProducer;
    private final boolean[] bDuplicate;
    private final long[] bMinTs;
    private int bSize;

    // the run of consecutive entries of one partition that will become one stored write
    private PartitionState runPart;
    private int runStart;
    private int runLen;
    private long runBytes;

    private final List<PartitionState> touched = new ArrayList<>();
    private final List<PartitionState> dirty = new ArrayList<>();

    /** True while a partition has unflushed interval data or durable waiters: the ticker must wake us. */
    volatile boolean needsTick;

    @SuppressWarnings("unchecked")
    ShardWriter(int shard, int ringSize, int maxCoalesceBytes, Function<TopicPartition, PartitionLog> logs,
                IngestMetrics metrics, List<AppendListener> listeners, Flusher flusher) {
        this.flusher = flusher;
        this.shard = shard;
        this.logs = logs;
        this.metrics = metrics;
        this.listeners = listeners;
        this.waiterCapacity = Math.max(16, ringSize);
        this.coalesce = maxCoalesceBytes > 0 ? ByteBuffer.allocate(maxCoalesceBytes) : null;
        bPart = new PartitionState[ringSize];
        bData = new ByteBuffer[ringSize];
        bCount = new int[ringSize];
        bAcks = new Acks[ringSize];
        bFuture = new CompletableFuture[ringSize];
        bNanos = new long[ringSize];
        bBase = new long[ringSize];
        bError = new Throwable[ringSize];
        bMeta = new ProducerStates.BatchMeta[ringSize];
        bProducer = new long[ringSize];
        bDuplicate = new boolean[ringSize];
        bMinTs = new long[ringSize];
    }

    @Override
    public void onEvent(IngestEvent event, long sequence, boolean endOfBatch) {
        try {
            if (event.forgetTopic != null) {
                forget(event.forgetTopic, event.control);
            } else if (!event.tick) {
                accept(event);
            }
        } catch (Throwable t) {
            LOG.error("ingest shard {}: unexpected failure handling a publish", shard, t);
            CompletableFuture<AppendAck> f = event.future;
            if (f != null) {
                metrics.failures.increment();
                f.completeExceptionally(t);
            }
            if (event.control != null) {
                event.control.completeExceptionally(t);
            }
        } finally {
            event.clear();
        }
        if (endOfBatch) {
            try {
                finishBatch();
            } catch (Throwable t) {
                LOG.error("ingest shard {}: unexpected failure completing a batch", shard, t);
            }
        }
    }

    private void accept(IngestEvent e) {
        PartitionState ps = partitions.get(e.topicPartition);
        if (ps == null) {
            try {
                ps = new PartitionState(e.topicPartition, logs.apply(e.topicPartition), waiterCapacity);
            } catch (Throwable t) {
                metrics.failures.increment();
                e.future.completeExceptionally(t instanceof LogIOException l ? l
                        : new LogIOException("cannot open the log of " + e.topicPartition + ": " + t.getMessage(), t));
                return;
            }
            partitions.put(e.topicPartition, ps);
        }
        ProducerStates.Decision decision = null;
        if (e.producerId >= 0) {
            try {
                decision = ps.producers.check(e.producerId, e.producerEpoch, e.firstSequence, e.lastSequence, e.records);
            } catch (ProducerSequenceException x) {
                metrics.sequenceRejects.increment();
                e.future.completeExceptionally(x);
                return;
            }
        }
        if (bSize == bPart.length) {
            finishBatch();
        }
        if (decision != null && decision.duplicate()) {
            // a retry of a stored batch: answered with the original offsets at the end of this batch, never stored
            flushRun();
        }
        int i = bSize++;
        bPart[i] = ps;
        bData[i] = e.data;
        bCount[i] = e.records;
        bAcks[i] = e.acks;
        bFuture[i] = e.future;
        bNanos[i] = e.publishNanos;
        bError[i] = null;
        bMinTs[i] = e.minTimestamp;
        bMeta[i] = decision == null ? null : decision.meta();
        bProducer[i] = e.producerId;
        bDuplicate[i] = decision != null && decision.duplicate();
        if (bDuplicate[i]) {
            metrics.duplicates.increment();
            markTouched(ps); // so that a durable duplicate's wait is served by this batch's fsync pass
            return;
        }
        int size = e.data.remaining();
        if (runLen > 0 && (runPart != ps || coalesce == null || runBytes + size > coalesce.capacity())) {
            flushRun();
        }
        if (runLen == 0) {
            runPart = ps;
            runStart = i;
            runBytes = 0;
        }
        runLen++;
        runBytes += size;
    }

    /** Writes the current run as one append and assigns each entry its share of the offsets. */
    private void flushRun() {
        if (runLen == 0) {
            return;
        }
        PartitionState ps = runPart;
        int start = runStart;
        int end = runStart + runLen;
        runLen = 0;
        runPart = null;
        long records = 0;
        long minTs = Long.MAX_VALUE;
        for (int i = start; i < end; i++) {
            records += bCount[i];
            minTs = Math.min(minTs, bMinTs[i]);
        }
        ByteBuffer buf;
        if (end - start == 1) {
            buf = bData[start];
        } else {
            coalesce.clear();
            for (int i = start; i < end; i++) {
                coalesce.put(bData[i]);
            }
            buf = coalesce.flip();
        }
        markTouched(ps);
        long t0 = System.nanoTime();
        try {
            AppendInfo info = ps.log.append(buf, minTs);
            metrics.appendLatency.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
            if (info.recordCount() != records || info.lastOffset() - info.baseOffset() + 1 != records) {
                throw new LogIOException("log of " + ps.topicPartition + " assigned offsets [" + info.baseOffset()
                        + ", " + info.lastOffset() + "] (" + info.recordCount() + " records) to " + records
                        + " published records", null);
            }
            long base = info.baseOffset();
            for (int i = start; i < end; i++) {
                bBase[i] = base;
                if (bMeta[i] != null) {
                    bMeta[i].baseOffset = base;
                }
                base += bCount[i];
            }
            ps.appendedEnd = Math.max(ps.appendedEnd, info.nextOffset());
            metrics.writeRecords.record(records);
            metrics.writeEntries.record(end - start);
        } catch (Throwable t) {
            LogIOException err = t instanceof LogIOException l && l.getMessage() != null
                    && l.getMessage().contains(ps.topicPartition.toString()) ? l
                    : new LogIOException("append of " + records + " records to " + ps.topicPartition + " failed: " + t, t);
            LOG.warn("ingest shard {}: {}", shard, err.getMessage());
            for (int i = start; i < end; i++) {
                bError[i] = err;
                if (bMeta[i] != null) {
                    ps.producers.forget(bProducer[i], bMeta[i]);
                }
            }
        }
    }

    private void markTouched(PartitionState ps) {
        if (!ps.touched) {
            ps.touched = true;
            touched.add(ps);
        }
    }

    /** End of a Disruptor batch: high watermarks, leader acks, fsync per policy, durable acks. */
    private void finishBatch() {
        flushRun();
        long nowNanos = System.nanoTime();
        if (bSize > 0) {
            metrics.batchEntries.record(bSize);
        }
        // a duplicate gets its original's offsets; if that append failed in this very batch, it fails with it
        for (int i = 0; i < bSize; i++) {
            if (bDuplicate[i] && bError[i] == null) {
                if (bMeta[i].baseOffset < 0) {
                    bError[i] = new LogIOException("the batch that " + bPart[i].topicPartition + " producer " + bProducer[i]
                            + " retried was not stored", null);
                } else {
                    bBase[i] = bMeta[i].baseOffset;
                }
            }
        }
        // durable entries wait in their partition's queue; a full queue forces an fsync first
        for (int i = 0; i < bSize; i++) {
            if (bError[i] == null && bAcks[i] == Acks.DURABLE) {
                PartitionState ps = bPart[i];
                ps.addWaiter(bFuture[i], new AppendAck(ps.topicPartition, bBase[i], bCount[i]), bNanos[i]);
            }
        }
        for (int k = 0, n = touched.size(); k < n; k++) {
            advanceHighWatermark(touched.get(k));
        }
        for (int i = 0; i < bSize; i++) {
            CompletableFuture<AppendAck> f = bFuture[i];
            if (bError[i] != null) {
                metrics.failures.increment();
                f.completeExceptionally(bError[i]);
            } else if (bAcks[i] == Acks.LEADER) {
                metrics.leaderAcks.increment();
                metrics.leaderAckLatency.record(nowNanos - bNanos[i], TimeUnit.NANOSECONDS);
                f.complete(new AppendAck(bPart[i].topicPartition, bBase[i], bCount[i]));
            }
            bPart[i] = null;
            bData[i] = null;
            bFuture[i] = null;
            bError[i] = null;
            bAcks[i] = null;
            bMeta[i] = null;
            bDuplicate[i] = false;
        }
        bSize = 0;
        long nowMs = System.currentTimeMillis();
        for (int k = 0, n = touched.size(); k < n; k++) {
            PartitionState ps = touched.get(k);
            ps.touched = false;
            if (!ps.dirty) {
                ps.dirty = true;
                dirty.add(ps);
            }
        }
        touched.clear();
        for (int k = dirty.size() - 1; k >= 0; k--) {
            PartitionState ps = dirty.get(k);
            syncPerPolicy(ps, nowMs, nowNanos);
            if (!isDirty(ps)) {
                ps.dirty = false;
                dirty.remove(k);
            }
        }
        needsTick = !dirty.isEmpty();
    }

    private static boolean isDirty(PartitionState ps) {
        return ps.waiters() > 0
                || (ps.fsyncMode == FsyncPolicy.Mode.INTERVAL && ps.log.flushedOffset() < ps.appendedEnd);
    }

    private void advanceHighWatermark(PartitionState ps) {
        if (ps.appendedEnd <= ps.highWatermark) {
            return;
        }
        try {
            ps.log.advanceHighWatermark(ps.appendedEnd);
            ps.highWatermark = ps.appendedEnd;
        } catch (Throwable t) {
            LOG.warn("ingest shard {}: advancing the high watermark of {} failed", shard, ps.topicPartition, t);
            return;
        }
        for (int k = 0, n = listeners.size(); k < n; k++) {
            try {
                listeners.get(k).onAppend(ps.topicPartition, ps.highWatermark);
            } catch (Throwable t) {
                LOG.warn("ingest shard {}: append listener failed for {}", shard, ps.topicPartition, t);
            }
        }
    }

    /**
     * Fsync per the partition's policy, on the shard's {@link Flusher} so that this thread goes on appending:
     * durable acknowledgements not yet covered ask for a forced flush (group commit: one fsync for every durable
     * publish appended until it runs); INTERVAL partitions ask for a flush that happens once the interval passed.
     * Acknowledgements an earlier fsync already covers complete here.
     */
    private void syncPerPolicy(PartitionState ps, long nowMs, long nowNanos) {
        long flushed = ps.log.flushedOffset();
        if (ps.waiters() > 0 && flushed < ps.lastWaitedOffset()) {
            flusher.request(ps, true);
        } else if (ps.fsyncMode == FsyncPolicy.Mode.INTERVAL && flushed < ps.appendedEnd) {
            flusher.request(ps, false);
        }
        if (ps.waiters() > 0) {
            ps.completeFlushed(flushed, metrics, nowNanos);
        }
    }

    /** A synchronous fsync on this thread (topic removal, shutdown), then the acknowledgements it covers. */
    private void flushHere(PartitionState ps, long nowNanos) {
        try {
            long t0 = System.nanoTime();
            ps.log.flush();
            metrics.flushLatency.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
            ps.completeFlushed(ps.log.flushedOffset(), metrics, nowNanos);
        } catch (RuntimeException t) {
            ps.failWaiters(t, shard, metrics);
        }
    }

    /**
     * Drops the cached state of every partition of {@code topic} (after completing what was published before
     * this request), so that a deleted and re-created topic gets its new logs from the log function.
     */
    private void forget(String topic, CompletableFuture<Void> done) {
        finishBatch();
        long nowNanos = System.nanoTime();
        var it = partitions.values().iterator();
        while (it.hasNext()) {
            PartitionState ps = it.next();
            if (!ps.topicPartition.topic().equals(topic)) {
                continue;
            }
            it.remove();
            if (ps.dirty) {
                dirty.remove(ps);
                ps.dirty = false;
            }
            ps.forgotten = true; // a flush the flusher still has queued for it is skipped
            if (ps.waiters() > 0) {
                flushHere(ps, nowNanos);
                ps.failAll(new IngestClosedException("topic " + topic + " was removed before "
                        + ps.topicPartition + " was flushed"), metrics);
            }
        }
        needsTick = !dirty.isEmpty();
        done.complete(null);
    }

    /** Called by the Disruptor after the ring drained and the writer was halted: final fsync, last acks. */
    @Override
    public void onShutdown() {
        long nowNanos = System.nanoTime();
        for (PartitionState ps : partitions.values()) {
            if (ps.log.flushedOffset() < ps.appendedEnd) {
                if (ps.waiters() == 0) {
                    try {
                        ps.log.flush();
                    } catch (RuntimeException t) {
                        LOG.warn("ingest shard {}: final fsync of {} failed: {}", shard, ps.topicPartition, t.toString());
                    }
                } else {
                    flushHere(ps, nowNanos);
                }
            } else {
                ps.completeFlushed(ps.log.flushedOffset(), metrics, nowNanos);
            }
            if (ps.waiters() > 0) {
                ps.failAll(new IngestClosedException("ingest pipeline closed before " + ps.topicPartition
                        + " was flushed"), metrics);
            }
        }
        dirty.clear();
        needsTick = false;
        Arrays.fill(bPart, null);
    }
}
