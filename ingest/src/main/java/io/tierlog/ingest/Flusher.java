package io.tierlog.ingest;

import io.tierlog.hot.FsyncPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The fsync thread of one shard. The writer asks it to force a partition (durable acknowledgements wait, or an
 * interval flush is due) and goes straight back to appending; this thread forces the log (outside the log's append
 * lock) and completes the durable acknowledgements the fsync covers. Appends and fsyncs so overlap, and one fsync
 * covers everything appended while the previous one ran: group commit across Disruptor batches, as a separate log
 * flusher does in databases. Requests for a partition already queued coalesce.
 */
final class Flusher implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(Flusher.class);

    private final int shard;
    private final IngestMetrics metrics;
    private final ConcurrentLinkedQueue<PartitionState> queue = new ConcurrentLinkedQueue<>();
    private final Thread thread;
    private volatile boolean stop;

    Flusher(int shard, String threadName, IngestMetrics metrics) {
        this.shard = shard;
        this.metrics = metrics;
        this.thread = new Thread(this, threadName);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /**
     * Asks for a flush of {@code ps}: {@code force} when durable acknowledgements wait for it, otherwise an interval
     * flush that happens only when the partition's fsync interval passed. Any thread; cheap.
     */
    void request(PartitionState ps, boolean force) {
        if (force) {
            ps.forceRequested = true;
        }
        if (ps.flushQueued.compareAndSet(false, true)) {
            queue.add(ps);
            LockSupport.unpark(thread);
        }
    }

    @Override
    public void run() {
        while (true) {
            PartitionState ps = queue.poll();
            if (ps == null) {
                if (stop) {
                    return;
                }
                LockSupport.park(this);
                continue;
            }
            ps.flushQueued.set(false);
            boolean force = ps.forceRequested;
            ps.forceRequested = false;
            flushAndComplete(ps, force);
        }
    }

    private void flushAndComplete(PartitionState ps, boolean force) {
        if (ps.forgotten) {
            return;
        }
        long t0 = System.nanoTime();
        try {
            boolean flushed;
            if (force) {
                ps.log.flush();
                flushed = true;
            } else {
                flushed = ps.fsyncMode == FsyncPolicy.Mode.INTERVAL && ps.log.maybeFlush(System.currentTimeMillis());
            }
            if (flushed) {
                metrics.flushLatency.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
            }
        } catch (RuntimeException e) {
            if (ps.forgotten) {
                return; // the topic was deleted while its flush was queued: its log is closed, nobody waits
            }
            ps.failWaiters(e, shard, metrics);
            return;
        }
        ps.completeFlushed(ps.log.flushedOffset(), metrics, System.nanoTime());
    }

    /** Lets the thread force what was requested, then ends it (after the shard's writer stopped). */
    void stop(long deadlineNanos) {
        stop = true;
        LockSupport.unpark(thread);
        boolean interrupted = false;
        try {
            long left = deadlineNanos - System.nanoTime();
            if (left > 0) {
                thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
        } catch (InterruptedException e) {
            interrupted = true;
        } finally {
            if (thread.isAlive()) {
                LOG.error("ingest shard {}: flusher {} did not stop in time", shard, thread.getName());
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
