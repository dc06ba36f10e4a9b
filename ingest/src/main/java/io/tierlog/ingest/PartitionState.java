package io.tierlog.ingest;

import io.tierlog.core.RecordBatch;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.FsyncPolicy;
import io.tierlog.hot.PartitionLog;

import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

/**
 * A shard writer's view of one partition: its log, what was appended, and the durable acknowledgements
 * waiting for an fsync (a bounded FIFO, offsets ascending). Writer thread only.
 */
final class PartitionState {
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

    int waiters() {
        return count;
    }

    boolean waitersFull() {
        return count >= waiterCapacity;
    }

    /** End offset the newest waiter needs flushed, or -1 when none waits. */
    long lastWaitedOffset() {
        return count == 0 ? -1 : waitAcks[(head + count - 1) & (waitAcks.length - 1)].nextOffset();
    }

    void addWaiter(CompletableFuture<AppendAck> f, AppendAck ack, long publishNanos) {
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

    /** Completes, oldest first, every waiter whose records are below {@code flushedOffset}. */
    int completeFlushed(long flushedOffset, IngestMetrics metrics, long nowNanos) {
        int done = 0;
        while (count > 0) {
            int i = head;
            AppendAck ack = waitAcks[i];
            if (ack.nextOffset() > flushedOffset) {
                break;
            }
            CompletableFuture<AppendAck> f = waitFutures[i];
            long t = waitNanos[i];
            pop(i);
            metrics.durableAcks.increment();
            metrics.durableAckLatency.record(nowNanos - t, java.util.concurrent.TimeUnit.NANOSECONDS);
            f.complete(ack);
            done++;
        }
        return done;
    }

    /** Fails every waiter (their fsync failed or will never happen). */
    void failAll(Throwable error, IngestMetrics metrics) {
        while (count > 0) {
            CompletableFuture<AppendAck> f = waitFutures[head];
            pop(head);
            metrics.failures.increment();
            f.completeExceptionally(error);
        }
        Arrays.fill(waitFutures, null);
        Arrays.fill(waitAcks, null);
    }

    private void pop(int i) {
        waitFutures[i] = null;
        waitAcks[i] = null;
        head = (head + 1) & (waitAcks.length - 1);
        count--;
    }
}
