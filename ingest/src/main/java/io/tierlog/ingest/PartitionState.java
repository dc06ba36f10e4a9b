package io.tierlog.ingest;

import io.tierlog.core.RecordBatch;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.FsyncPolicy;
import io.tierlog.hot.PartitionLog;

import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

/**
 * A shard writer's view of one partition: its log, what was appended, and the durable acknowledgements
 * waiting for an fsync (a FIFO, offsets ascending). The writer thread owns it; the shard's {@link Flusher}
 * completes or fails the waiters, so the waiter queue is synchronized.
 */
final class PartitionState {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PartitionState.class);
    final TopicPartition topicPartition;
    final PartitionLog log;
    final FsyncPolicy.Mode fsyncMode;
    final int waiterCapacity;
    /** Idempotent producers of this partition (sequence checks, de-duplication). */
    final ProducerStates producers;
    long appendedEnd;
    long highWatermark;
    boolean touched;
    boolean dirty;
    /** Set by the writer when the partition's topic was deleted: a flush still queued for it is skipped. */
    volatile boolean forgotten;
    /** The flusher's bookkeeping: queued once at a time, and whether a queued flush must force (durable waiters). */
    final java.util.concurrent.atomic.AtomicBoolean flushQueued = new java.util.concurrent.atomic.AtomicBoolean();
    volatile boolean forceRequested;

    @SuppressWarnings("unchecked")
    private CompletableFuture<AppendAck>[] waitFutures = new CompletableFuture[16];
    private AppendAck[] waitAcks = new AppendAck[16];
    private long[] waitNanos = new long[16];
    private int head;
    private int count;

    PartitionState(TopicPartition tp, PartitionLog log, int waiterCapacity) {
        this.topicPartition = tp;
        this.log = log;
        this.fsyncMode = log.config().fsyncPolicy().mode();
        this.waiterCapacity = waiterCapacity;
        this.appendedEnd = log.logEndOffset();
        this.highWatermark = log.highWatermark();
        this.producers = new ProducerStates(tp);
        long since = System.currentTimeMillis() - PRODUCER_STATE_WINDOW_MS;
        log.forEachRecentBatchHeader(since, (h, pos) -> {
            long pid = RecordBatch.producerIdAt(h, pos);
            if (pid >= 0) {
                int first = RecordBatch.baseSequenceAt(h, pos);
                int count = RecordBatch.lastOffsetDeltaAt(h, pos) + 1;
                producers.replay(pid, RecordBatch.producerEpochAt(h, pos), first, lastSequence(first, count), count,
                        RecordBatch.baseOffsetAt(h, pos));
            }
        });
    }

    /**
     * How far back the idempotent-producer state is rebuilt after a restart: the batch headers of segments closed
     * within this window (Kafka's producer.id.expiration.ms default, one day) and of the active segment.
     */
    static final long PRODUCER_STATE_WINDOW_MS = 24L * 60 * 60 * 1000;

    static int lastSequence(int first, int count) {
        long last = (long) first + count - 1;
        return last > Integer.MAX_VALUE ? (int) (last - Integer.MAX_VALUE - 1) : (int) last;
    }

    synchronized int waiters() {
        return count;
    }

    synchronized boolean waitersFull() {
        return count >= waiterCapacity;
    }

    /** End offset the newest waiter needs flushed, or -1 when none waits. */
    synchronized long lastWaitedOffset() {
        return count == 0 ? -1 : waitAcks[(head + count - 1) & (waitAcks.length - 1)].nextOffset();
    }

    synchronized void addWaiter(CompletableFuture<AppendAck> f, AppendAck ack, long publishNanos) {
        if (count == waitAcks.length) {
            grow();
        }
        int i = (head + count) & (waitAcks.length - 1);
        waitFutures[i] = f;
        waitAcks[i] = ack;
        waitNanos[i] = publishNanos;
        count++;
    }

    private void grow() {
        int n = waitAcks.length;
        int newLen = n * 2;
        @SuppressWarnings("unchecked")
        CompletableFuture<AppendAck>[] f = new CompletableFuture[newLen];
        AppendAck[] a = new AppendAck[newLen];
        long[] t = new long[newLen];
        for (int k = 0; k < count; k++) {
            int i = (head + k) & (n - 1);
            f[k] = waitFutures[i];
            a[k] = waitAcks[i];
            t[k] = waitNanos[i];
        }
        waitFutures = f;
        waitAcks = a;
        waitNanos = t;
        head = 0;
    }

    /**
     * Completes, oldest first, every waiter whose records are below {@code flushedOffset}. The futures complete
     * after the queue's lock is released, so their callbacks never hold up the writer adding waiters.
     */
    int completeFlushed(long flushedOffset, IngestMetrics metrics, long nowNanos) {
        java.util.List<CompletableFuture<AppendAck>> futures;
        java.util.List<AppendAck> acks;
        synchronized (this) {
            if (count == 0 || waitAcks[head].nextOffset() > flushedOffset) {
                return 0;
            }
            futures = new java.util.ArrayList<>();
            acks = new java.util.ArrayList<>();
            while (count > 0) {
                int i = head;
                AppendAck ack = waitAcks[i];
                if (ack.nextOffset() > flushedOffset) {
                    break;
                }
                futures.add(waitFutures[i]);
                acks.add(ack);
                metrics.durableAckLatency.record(nowNanos - waitNanos[i], java.util.concurrent.TimeUnit.NANOSECONDS);
                pop(i);
            }
        }
        for (int k = 0; k < futures.size(); k++) {
            metrics.durableAcks.increment();
            futures.get(k).complete(acks.get(k));
        }
        return futures.size();
    }

    /** Fails every waiter with the fsync's error (a flush failed), logged once. */
    void failWaiters(Throwable t, int shard, IngestMetrics metrics) {
        io.tierlog.hot.LogIOException err;
        synchronized (this) {
            if (count == 0) {
                // interval fsync of leader-acked data: retried later; the log reports its own errors
                LOG.debug("ingest shard {}: fsync of {} failed", shard, topicPartition, t);
                return;
            }
            err = new io.tierlog.hot.LogIOException("fsync of " + topicPartition + " failed; " + count
                    + " durable acknowledgements up to offset " + lastWaitedOffset() + " are not confirmed: " + t, t);
        }
        LOG.warn("ingest shard {}: {}", shard, err.getMessage());
        failAll(err, metrics);
    }

    /** Fails every waiter (their fsync failed or will never happen), outside the queue's lock. */
    void failAll(Throwable error, IngestMetrics metrics) {
        java.util.List<CompletableFuture<AppendAck>> futures = new java.util.ArrayList<>();
        synchronized (this) {
            while (count > 0) {
                futures.add(waitFutures[head]);
                pop(head);
            }
            Arrays.fill(waitFutures, null);
            Arrays.fill(waitAcks, null);
        }
        for (CompletableFuture<AppendAck> f : futures) {
            metrics.failures.increment();
            f.completeExceptionally(error);
        }
    }

    private void pop(int i) {
        waitFutures[i] = null;
        waitAcks[i] = null;
        head = (head + 1) & (waitAcks.length - 1);
        count--;
    }
}
