package io.tierlog.cold;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.PartitionLog;
import io.tierlog.hot.SegmentInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Copies closed local segments to the object store: per partition strictly in offset order, one upload at a time;
 * across partitions at most {@link ColdTierConfig#uploadThreads()} at once, round robin. Each attempt is a
 * {@link SegmentUpload} moving through {@link RemoteSegmentState}; a segment counts as offloaded only once the
 * manifest naming it is written ({@code COPY_SEGMENT_FINISHED}), and only then may local retention delete it.
 * Failed uploads retry forever with exponential backoff and jitter, counted and logged; S3 outages only grow the lag.
 *
 * <p>Thread safety: a partition's queue is guarded by its own monitor, never held across I/O, so the hot tier's
 * writer thread (which enqueues a segment when it rolls) never waits for S3. Lock order: manifest lock, then queue.
 */
final class Offloader {
    private static final Logger LOG = LoggerFactory.getLogger(Offloader.class);

    private final ObjectStore store;
    private final ObjectKeys keys;
    private final ManifestStore manifests;
    private final int indexIntervalBytes;
    private final long[] rollupResolutions;
    private final Duration retryInitialBackoff;
    private final Duration retryMaxBackoff;
    private final Duration closeTimeout;
    private final ConcurrentHashMap<TopicPartition, Queue> queues = new ConcurrentHashMap<>();
    private final ExecutorService uploads;
    private final ScheduledExecutorService retries;
    private volatile boolean stopping;

    private final Counter uploadCount;
    private final Counter uploadBytes;
    private final Counter uploadFailures;
    private final Counter quarantined;
    private final Timer uploadLatency;

    /**
     * One registered partition's offload queue. {@code generation} invalidates the segment listeners and queued
     * tasks of an earlier registration; {@code running} says an {@link #offloadNext} task is scheduled or running.
     */
    private static final class Queue {
        final TopicPartition tp;
        final ManifestStore.Partition remote;
        final TreeMap<Long, SegmentInfo> pending = new TreeMap<>();
        boolean running;
        boolean registered;
        int generation;
        volatile int failures;
        volatile SegmentUpload lastAttempt;
        /** How this partition's segments are written: series blocks for {@code metrics} topics. */
        volatile ObjectFormat format = ObjectFormat.SEGMENT_COPY;

        Queue(TopicPartition tp, ManifestStore.Partition remote) {
            this.tp = tp;
            this.remote = remote;
        }

        /** Whether the manifest does not yet cover {@code s} (caller holds the monitor). */
        boolean notYetOffloaded(SegmentInfo s) {
            Manifest m = remote.loaded();
            return m == null || s.nextOffset() > m.offloadedUpTo();
        }
    }

    Offloader(ObjectStore store, ObjectKeys keys, ManifestStore manifests, ColdTierConfig config, MeterRegistry registry) {
        this.store = store;
        this.keys = keys;
        this.manifests = manifests;
        this.indexIntervalBytes = config.indexIntervalBytes();
        this.rollupResolutions = config.rollupResolutions();
        this.retryInitialBackoff = config.retryInitialBackoff();
        this.retryMaxBackoff = config.retryMaxBackoff();
        this.closeTimeout = config.closeTimeout();
        AtomicInteger n = new AtomicInteger();
        this.uploads = new ThreadPoolExecutor(config.uploadThreads(), config.uploadThreads(), 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> ColdTier.daemon(r, "cold-upload-" + n.incrementAndGet()));
        this.retries = new ScheduledThreadPoolExecutor(1, r -> ColdTier.daemon(r, "cold-retry"));
        this.uploadCount = Counter.builder("tierlog.cold.uploads").description("segments offloaded").register(registry);
        this.uploadBytes = Counter.builder("tierlog.cold.upload.bytes").baseUnit("bytes").register(registry);
        this.uploadFailures = Counter.builder("tierlog.cold.upload.failures").register(registry);
        this.quarantined = Counter.builder("tierlog.cold.quarantined.segments")
                .description("corrupt closed local segments set aside and skipped by the offload (alert on any)")
                .register(registry);
        this.uploadLatency = Timer.builder("tierlog.cold.upload.latency").register(registry);
        Gauge.builder("tierlog.cold.offload.lag.bytes", this, Offloader::lagBytes).baseUnit("bytes").register(registry);
        Gauge.builder("tierlog.cold.offload.lag.ms", this, o -> o.lagMs(System.currentTimeMillis())).register(registry);
    }

    /**
     * Queues {@code log}'s closed segments beyond the manifest now, and every segment it closes from now on, to be
     * written in {@code format} (segments already offloaded keep theirs: the manifest records each object's format).
     */
    void register(PartitionLog log, ObjectFormat format) {
        TopicPartition tp = log.topicPartition();
        Queue q = queues.compute(tp, (k, old) -> old == null || old.remote.isDeleted()
                ? new Queue(k, manifests.partition(k)) : old);
        int generation;
        synchronized (q) {
            generation = ++q.generation;
            q.registered = true;
            q.format = format;
        }
        log.addSegmentListener(seg -> enqueue(q, generation, seg));
        for (SegmentInfo s : log.closedSegments()) {
            enqueue(q, generation, s);
        }
    }

    /** Stops offloading the partition; pending segments are forgotten. */
    void unregister(TopicPartition tp) {
        Queue q = queues.get(tp);
        if (q != null) {
            synchronized (q) {
                q.registered = false;
                q.generation++;
                q.pending.clear();
            }
        }
    }

    /** Unregisters and forgets every partition of {@code topic} (before its objects are deleted). */
    void forgetTopic(String topic) {
        for (Queue q : queues.values()) {
            if (q.tp.topic().equals(topic)) {
                unregister(q.tp);
                queues.remove(q.tp, q);
            }
        }
    }

    /** The state of the partition's latest upload attempt; null when none was made by this instance. */
    RemoteSegmentState lastAttemptState(TopicPartition tp) {
        Queue q = queues.get(tp);
        SegmentUpload u = q == null ? null : q.lastAttempt;
        return u == null ? null : u.state();
    }

    long lagBytes() {
        long sum = 0;
        for (Queue q : queues.values()) {
            synchronized (q) {
                for (SegmentInfo s : q.pending.values()) {
                    if (q.notYetOffloaded(s)) {
                        sum += s.sizeInBytes();
                    }
                }
            }
        }
        return sum;
    }

    long lagMs(long nowMs) {
        long oldest = Long.MAX_VALUE;
        for (Queue q : queues.values()) {
            synchronized (q) {
                for (SegmentInfo s : q.pending.values()) {
                    if (q.notYetOffloaded(s)) {
                        oldest = Math.min(oldest, s.closedAtMs());
                    }
                }
            }
        }
        return oldest == Long.MAX_VALUE ? 0 : Math.max(0, nowMs - oldest);
    }

    private void enqueue(Queue q, int generation, SegmentInfo seg) {
        synchronized (q) {
            if (q.generation != generation || !q.registered || stopping) {
                return;
            }
            Manifest m = q.remote.loaded();
            if (m != null && seg.nextOffset() <= m.offloadedUpTo()) {
                return;
            }
            q.pending.put(seg.baseOffset(), seg);
            if (!q.running) {
                q.running = true;
                submit(q);
            }
        }
    }

    private void submit(Queue q) {
        try {
            uploads.execute(() -> offloadNext(q));
        } catch (RejectedExecutionException e) {
            synchronized (q) {
                q.running = false;
            }
        }
    }

    /** Uploads the partition's oldest pending segment, then resubmits itself (round robin across partitions). */
    private void offloadNext(Queue q) {
        SegmentInfo seg = null;
        try {
            manifests.loadForWrite(q.remote);
            synchronized (q) {
                Manifest m = q.remote.loaded();
                long upTo = m.offloadedUpTo();
                q.pending.values().removeIf(s -> s.nextOffset() <= upTo);
                if (q.pending.isEmpty() || !q.registered || stopping || q.remote.isDeleted()) {
                    q.running = false;
                    return;
                }
                seg = q.pending.firstEntry().getValue();
                if (seg.baseOffset() != upTo && !m.segments().isEmpty()) {
                    LOG.warn("{}: offloading segment at {} but remote data ends at {}: offsets in between are missing locally",
                            q.tp, seg.baseOffset(), upTo);
                }
            }
            upload(q, seg);
            q.failures = 0;
        } catch (RuntimeException | IOException e) {
            retryLater(q, seg, e);
            return;
        }
        submit(q);
    }

    private void retryLater(Queue q, SegmentInfo seg, Exception e) {
        uploadFailures.increment();
        int failures = ++q.failures;
        long delay = backoffMs(failures);
        if (failures == 1 || failures % 10 == 0) {
            LOG.warn("{}: offload failed ({} consecutive failures), retrying in {} ms: {}", q.tp, failures, delay, e.toString());
        }
        if (e instanceof CorruptLocalSegmentException && seg != null) {
            // a closed segment never changes: retrying would block the partition's later segments forever
            quarantine(q, seg, e);
            synchronized (q) {
                q.pending.remove(seg.baseOffset());
            }
            q.failures = 0;
            submit(q);
            return;
        }
        if (e instanceof NoSuchFileException && seg != null) {
            // the hot tier deleted the segment (topic deleted, or retention that ignored isOffloaded):
            // nothing left to upload, and retrying would block the partition's later segments
            LOG.error("{}: local segment [{}, {}) vanished before offload, skipping it: {}", q.tp,
                    seg.baseOffset(), seg.nextOffset(), e.getMessage());
            synchronized (q) {
                q.pending.remove(seg.baseOffset());
            }
            q.failures = 0;
            submit(q);
            return;
        }
        if (stopping) {
            synchronized (q) {
                q.running = false;
            }
            return;
        }
        try {
            retries.schedule(() -> submit(q), delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException rejected) {
            synchronized (q) {
                q.running = false;
            }
        }
    }

    /**
     * Keeps a copy of a corrupt closed segment's log file in {@code quarantine/} beside it (the hot tier still owns
     * the original, which its retention removes as usual), counts it and logs an ERROR naming it. Its offsets are
     * then missing from the cold tier.
     */
    private void quarantine(Queue q, SegmentInfo seg, Exception cause) {
        quarantined.increment();
        Path copy = seg.logFile().resolveSibling("quarantine").resolve(seg.logFile().getFileName());
        try {
            Files.createDirectories(copy.getParent());
            Files.copy(seg.logFile(), copy, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException io) {
            copy = null;
            LOG.error("{}: cannot copy corrupt segment {} aside: {}", q.tp, seg.logFile(), io.toString());
        }
        LOG.error("{}: local segment [{}, {}) is corrupt and will not be offloaded; quarantined{}; its offsets will be"
                + " missing from the cold tier: {}", q.tp, seg.baseOffset(), seg.nextOffset(),
                copy == null ? "" : " as " + copy, cause.getMessage());
    }

    /** Exponential backoff after {@code failures} consecutive failures, capped, with jitter in its upper half. */
    private long backoffMs(int failures) {
        long base = retryInitialBackoff.toMillis();
        long delay = Math.min(retryMaxBackoff.toMillis(), base * (1L << Math.min(20, failures - 1)));
        return delay / 2 + ThreadLocalRandom.current().nextLong(delay / 2 + 1);
    }

    /**
     * One attempt: object first, manifest after. The local copy stays until the manifest PUT is confirmed, so a crash
     * at any point loses nothing; what a crash leaves behind is an orphan object for the sweep.
     */
    private void upload(Queue q, SegmentInfo seg) throws IOException {
        long t0 = System.nanoTime();
        Optional<SeriesBlockObject.Built> block = q.format == ObjectFormat.SERIES_BLOCK
                ? SeriesBlockObject.build(seg, rollupResolutions) : Optional.empty();
        SegmentObject.Built built = block.isPresent() ? null : SegmentObject.build(seg, indexIntervalBytes);
        SegmentUpload attempt = new SegmentUpload(seg, keys.newSegment(q.tp, seg.baseOffset(), seg.nextOffset() - 1));
        q.lastAttempt = attempt;
        try {
            if (block.isPresent()) {
                store.put(attempt.objectKey, block.get().bytes());
            } else {
                store.putFile(attempt.objectKey, seg.logFile(), seg.sizeInBytes(), built.trailer());
            }
        } catch (RuntimeException e) {
            abandon(attempt, e);
            throw e;
        }
        Manifest.Entry entry = block.isPresent()
                ? new Manifest.Entry(new RemoteSegmentInfo(q.tp, seg.baseOffset(), seg.nextOffset(),
                        block.get().minTimestamp(), block.get().maxTimestamp(), block.get().bytes().length, attempt.objectKey),
                        block.get().bytes().length, 0, ObjectFormat.SERIES_BLOCK)
                : new Manifest.Entry(new RemoteSegmentInfo(q.tp, seg.baseOffset(), seg.nextOffset(),
                        built.minTimestamp(), built.maxTimestamp(), seg.sizeInBytes(), attempt.objectKey),
                        seg.sizeInBytes(), built.trailer().length);
        boolean visible;
        try {
            visible = manifests.append(q.remote, entry);
        } catch (RuntimeException e) {
            // the manifest PUT may have landed although it reported failure: the object is not deleted here;
            // the next manifest this instance writes will not name it, so it is an orphan for the sweep
            attempt.moveTo(RemoteSegmentState.DELETE_SEGMENT_STARTED);
            throw e;
        }
        if (!visible) {
            // the topic was deleted while the object was being written
            attempt.moveTo(RemoteSegmentState.DELETE_SEGMENT_STARTED);
            store.delete(attempt.objectKey);
            attempt.moveTo(RemoteSegmentState.DELETE_SEGMENT_FINISHED);
            return;
        }
        attempt.moveTo(RemoteSegmentState.COPY_SEGMENT_FINISHED);
        synchronized (q) {
            q.pending.remove(seg.baseOffset());
        }
        uploadCount.increment();
        uploadBytes.increment(entry.objectSize());
        uploadLatency.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
        LOG.debug("{}: offloaded [{}, {}) as {}", q.tp, seg.baseOffset(), seg.nextOffset(), attempt.objectKey);
    }

    /** A failed object PUT: delete what may have landed (best effort; a failure leaves an orphan for the sweep). */
    private void abandon(SegmentUpload attempt, RuntimeException cause) {
        attempt.moveTo(RemoteSegmentState.DELETE_SEGMENT_STARTED);
        try {
            store.delete(attempt.objectKey);
            attempt.moveTo(RemoteSegmentState.DELETE_SEGMENT_FINISHED);
        } catch (RuntimeException cleanup) {
            cause.addSuppressed(cleanup);
        }
    }

    /** First step of close: no new uploads, no retries; in-flight uploads go on. */
    void stopAccepting() {
        stopping = true;
        retries.shutdownNow();
        uploads.shutdown();
    }

    /** Second step of close: lets in-flight uploads finish within the close timeout, then abandons them. */
    void awaitUploads() {
        try {
            if (!uploads.awaitTermination(closeTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("cold tier close: uploads still running after {}, abandoning them", closeTimeout);
                uploads.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            uploads.shutdownNow();
        }
    }
}
