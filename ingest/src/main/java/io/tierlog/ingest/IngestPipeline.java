package io.tierlog.ingest;

import com.lmax.disruptor.BatchEventProcessor;
import com.lmax.disruptor.BatchEventProcessorBuilder;
import com.lmax.disruptor.ExceptionHandler;
import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import io.micrometer.core.instrument.MeterRegistry;
import io.tierlog.core.BatchBuilder;
import io.tierlog.core.InvalidInputException;
import io.tierlog.core.MetricCodec;
import io.tierlog.core.MetricEvent;
import io.tierlog.core.RecordBatch;
import io.tierlog.core.SeriesKey;
import io.tierlog.core.TopicPartition;
import io.tierlog.core.Validation;
import io.tierlog.hot.PartitionLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * The write path of Tierlog: many publishers (HTTP handler threads) hand encoded batches to Disruptor rings;
 * one writer thread per ring (shard) appends them to the partition logs, fsyncs per policy and completes the
 * acknowledgements. A partition always maps to the same shard, so it has exactly one
 * writer and its offsets are dense and ordered as published.
 *
 * <p>Backpressure: a full ring makes a publish wait at most {@link IngestConfig#publishTimeout()}, then fail
 * with {@link OverloadedException}; nothing in the pipeline queues without bound. Every returned future
 * completes: with the offsets, with the I/O error of its partition, or with {@link IngestClosedException}.
 *
 * <p>Futures complete on the writer thread: attach only cheap callbacks, or use the {@code *Async} variants
 * (a slow callback stalls every partition of the shard; a publish from a callback may meet a full ring).
 *
 * <p>Thread-safe. Threads: {@code tierlog-ingest-<id>-writer-<shard>} and {@code -flusher-<shard>} (its fsyncs) per shard and one
 * {@code tierlog-ingest-<id>-ticker} that wakes writers for interval fsyncs; all end in {@link #close()}.
 */
public final class IngestPipeline implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IngestPipeline.class);
    private static final AtomicInteger IDS = new AtomicInteger();

    private final IngestConfig config;
    private final IngestMetrics metrics;
    private final Shard[] shards;
    private final List<AppendListener> listeners = new CopyOnWriteArrayList<>();
    private final Thread ticker;
    private final long publishTimeoutNanos;
    private final AtomicInteger publishing = new AtomicInteger();
    private final AtomicBoolean closeStarted = new AtomicBoolean();
    private volatile boolean closed;
    private volatile boolean tickerStop;
    private final String name;

    private static final class Shard {
        final RingBuffer<IngestEvent> ring;
        final ShardWriter writer;
        final BatchEventProcessor<IngestEvent> processor;
        final Thread thread;
        final Flusher flusher;

        Shard(RingBuffer<IngestEvent> ring, ShardWriter writer, BatchEventProcessor<IngestEvent> processor, Thread thread,
              Flusher flusher) {
            this.ring = ring;
            this.writer = writer;
            this.processor = processor;
            this.flusher = flusher;
            this.thread = thread;
        }
    }

    /**
     * Starts the writer threads.
     *
     * @param logs     the log of a partition; called on the partition's writer thread, once per partition
     * @param registry where the pipeline's meters go
     */
    public IngestPipeline(IngestConfig config, Function<TopicPartition, PartitionLog> logs, MeterRegistry registry) {
        this.config = Objects.requireNonNull(config, "config");
        Objects.requireNonNull(logs, "logs");
        this.metrics = new IngestMetrics(Objects.requireNonNull(registry, "registry"));
        this.publishTimeoutNanos = config.publishTimeout().toNanos();
        this.name = "tierlog-ingest-" + IDS.incrementAndGet();
        this.shards = new Shard[config.shards()];
        for (int s = 0; s < shards.length; s++) {
            RingBuffer<IngestEvent> ring = RingBuffer.createMultiProducer(IngestEvent::new, config.ringSize(),
                    config.waitStrategy().create());
            Flusher flusher = new Flusher(s, name + "-flusher-" + s, metrics);
            ShardWriter writer = new ShardWriter(s, config.ringSize(), config.maxCoalesceBytes(), logs, metrics, listeners,
                    flusher);
            BatchEventProcessor<IngestEvent> processor = new BatchEventProcessorBuilder()
                    .build(ring, ring.newBarrier(), writer);
            processor.setExceptionHandler(new LoggingExceptionHandler(s));
            ring.addGatingSequences(processor.getSequence());
            Thread t = new Thread(processor, name + "-writer-" + s);
            t.setDaemon(true);
            shards[s] = new Shard(ring, writer, processor, t, flusher);
            metrics.ringRemaining(s, ring::remainingCapacity);
        }
        for (Shard shard : shards) {
            shard.flusher.start();
            shard.thread.start();
        }
        ticker = new Thread(this::tickLoop, name + "-ticker");
        ticker.setDaemon(true);
        ticker.start();
    }

    /** The configuration this pipeline runs with. */
    public IngestConfig config() {
        return config;
    }

    /** Which shard (writer) a partition maps to; stable for the life of the pipeline. */
    public int shardOf(TopicPartition tp) {
        int h = tp.topic().hashCode() * 31 + tp.partition();
        h ^= (h >>> 16);
        return Math.floorMod(h * 0x9E3779B9, shards.length);
    }

    /**
     * Appends already-validated, concatenated batches (position to limit) to one partition, as one stored
     * write. The pipeline takes ownership of the buffer: the log rewrites base offsets in place. The future
     * completes with the offsets once the records are appended ({@code LEADER}) or fsynced ({@code DURABLE});
     * it fails with {@link OverloadedException} when the ring stayed full for the publish timeout, with a
     * {@link io.tierlog.hot.LogIOException} when the log failed, with {@link IngestClosedException} after close.
     *
     * <p>A batch of an idempotent producer (producer id >= 0; it must then be the only batch of the append) is
     * checked against the partition's producer state by the writer: a retried batch completes with its original
     * offsets without being stored again; a sequence gap or a fenced epoch fails with
     * {@link ProducerSequenceException}.
     *
     * @param minTimestamp the smallest record timestamp of the batches (known to the validation that decoded them)
     * @param acks         {@code null} for the configured default
     */
    public CompletableFuture<AppendAck> append(TopicPartition tp, ByteBuffer batches, long minTimestamp, Acks acks) {
        Objects.requireNonNull(tp, "topicPartition");
        Objects.requireNonNull(batches, "batches");
        int records;
        ByteBuffer data = batches.duplicate().order(ByteOrder.BIG_ENDIAN);
        try {
            records = countRecords(data);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return publish(tp, data, records, minTimestamp, acks == null ? config.defaultAcks() : acks);
    }

    /** {@link #append(TopicPartition, ByteBuffer, long, Acks)} for callers that did not decode the batches. */
    public CompletableFuture<AppendAck> append(TopicPartition tp, ByteBuffer batches, Acks acks) {
        long min = Long.MAX_VALUE;
        try {
            for (RecordBatch b : RecordBatch.iterate(batches)) {
                min = Math.min(min, b.minTimestamp());
            }
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return append(tp, batches, min, acks);
    }

    /**
     * Encodes metric events into one batch per partition (partition = {@link SeriesKey#partitionFor} of the
     * series key, events keep their order) and appends each. Every event is validated first: on bad input
     * nothing is published and the future fails with {@link InvalidInputException}. All-or-nothing per
     * partition: when one partition fails, the future fails with its error while the other partitions' records
     * may be stored. On success the acks are listed by ascending partition.
     */
    public CompletableFuture<List<AppendAck>> appendEvents(String topic, int partitionCount, List<MetricEvent> events,
                                                           Acks acks) {
        BatchBuilder[] builders;
        long[] mins;
        try {
            Validation.topicName(topic);
            if (partitionCount < 1) {
                throw new InvalidInputException("partition count must be >= 1, was " + partitionCount);
            }
            if (events == null || events.isEmpty()) {
                throw new InvalidInputException("no metric event to append");
            }
            builders = new BatchBuilder[partitionCount];
            mins = new long[partitionCount];
            java.util.Arrays.fill(mins, Long.MAX_VALUE);
            for (MetricEvent e : events) {
                Validation.metricEvent(e, config.limits());
                byte[] key = e.seriesKey().toBytes();
                int p = SeriesKey.partitionFor(key, partitionCount);
                if (builders[p] == null) {
                    builders[p] = new BatchBuilder(config.eventCompression());
                }
                builders[p].add(e.timestamp(), key, MetricCodec.encodeValue(e.value(), e.type()));
                mins[p] = Math.min(mins[p], e.timestamp());
            }
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        List<CompletableFuture<AppendAck>> parts = new ArrayList<>();
        for (int p = 0; p < partitionCount; p++) {
            if (builders[p] != null) {
                RecordBatch batch = builders[p].build();
                parts.add(publish(new TopicPartition(topic, p), batch.buffer(), batch.recordCount(), mins[p],
                        acks == null ? config.defaultAcks() : acks));
            }
        }
        if (parts.size() == 1) {
            return parts.get(0).thenApply(List::of);
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(v -> {
            List<AppendAck> out = new ArrayList<>(parts.size());
            for (CompletableFuture<AppendAck> f : parts) {
                out.add(f.join());
            }
            return out;
        });
    }

    /**
     * Makes every writer drop its cached log of the topic's partitions (after the publishes queued before
     * this call), so that the topic can be deleted and re-created: call it, wait for the future, then delete
     * the logs. Publishes racing with the deletion fail with the log's error.
     */
    public CompletableFuture<Void> forgetTopic(String topic) {
        Validation.topicName(topic);
        List<CompletableFuture<Void>> all = new ArrayList<>();
        publishing.incrementAndGet();
        try {
            if (closed) {
                return CompletableFuture.completedFuture(null);
            }
            for (Shard shard : shards) {
                CompletableFuture<Void> done = new CompletableFuture<>();
                long seq;
                try {
                    seq = claim(shard.ring);
                } catch (RuntimeException e) {
                    return CompletableFuture.failedFuture(e);
                }
                IngestEvent ev = shard.ring.get(seq);
                ev.clear();
                ev.forgetTopic = topic;
                ev.control = done;
                shard.ring.publish(seq);
                all.add(done);
            }
        } finally {
            publishing.decrementAndGet();
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
    }

    /** Registers a listener told on the writer thread whenever a partition's high watermark moves. */
    public void addAppendListener(AppendListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    public void removeAppendListener(AppendListener listener) {
        listeners.remove(listener);
    }

    private CompletableFuture<AppendAck> publish(TopicPartition tp, ByteBuffer data, int records, long minTimestamp,
                                                 Acks acks) {
        long producerId = RecordBatch.producerIdAt(data, data.position());
        if (producerId >= 0 && RecordBatch.sizeAt(data, data.position()) != data.remaining()) {
            return CompletableFuture.failedFuture(new InvalidInputException(
                    "a batch of an idempotent producer must be appended alone, not with other batches"));
        }
        publishing.incrementAndGet();
        try {
            if (closed) {
                metrics.rejectsClosed.increment();
                return CompletableFuture.failedFuture(new IngestClosedException("ingest pipeline is closed"));
            }
            Shard shard = shards[shardOf(tp)];
            RingBuffer<IngestEvent> ring = shard.ring;
            long seq;
            try {
                seq = claim(ring);
            } catch (IngestClosedException e) {
                metrics.rejectsClosed.increment();
                return CompletableFuture.failedFuture(e);
            } catch (OverloadedException e) {
                metrics.rejectsOverloaded.increment();
                return CompletableFuture.failedFuture(e);
            }
            CompletableFuture<AppendAck> future = new CompletableFuture<>();
            try {
                IngestEvent ev = ring.get(seq);
                ev.tick = false;
                ev.topicPartition = tp;
                ev.data = data;
                ev.records = records;
                ev.minTimestamp = minTimestamp;
                ev.producerId = producerId;
                if (producerId >= 0) {
                    int pos = data.position();
                    ev.producerEpoch = RecordBatch.producerEpochAt(data, pos);
                    ev.firstSequence = RecordBatch.baseSequenceAt(data, pos);
                    ev.lastSequence = PartitionState.lastSequence(ev.firstSequence, records);
                }
                ev.acks = acks;
                ev.future = future;
                ev.publishNanos = System.nanoTime();
            } finally {
                ring.publish(seq);
            }
            return future;
        } finally {
            publishing.decrementAndGet();
        }
    }

    /** Claims a slot, waiting at most the publish timeout (spin, then yield, then short parks). */
    private long claim(RingBuffer<IngestEvent> ring) {
        try {
            return ring.tryNext();
        } catch (InsufficientCapacityException ignored) {
            // full: wait below
        }
        long start = System.nanoTime();
        int attempts = 0;
        while (true) {
            if (closed) {
                throw new IngestClosedException("ingest pipeline closed while waiting for ring capacity");
            }
            if (Thread.currentThread().isInterrupted()) {
                throw new OverloadedException("interrupted while waiting for ring capacity");
            }
            if (System.nanoTime() - start >= publishTimeoutNanos) {
                throw new OverloadedException("ingest ring full for " + config.publishTimeout().toMillis()
                        + " ms (" + config.ringSize() + " slots): the writer cannot keep up, retry later");
            }
            if (attempts < 64) {
                Thread.onSpinWait();
            } else if (attempts < 128) {
                Thread.yield();
            } else {
                LockSupport.parkNanos(50_000);
            }
            attempts++;
            try {
                return ring.tryNext();
            } catch (InsufficientCapacityException ignored) {
                // still full
            }
        }
    }

    /** Sums the record counts of the concatenated batches, rejecting an empty or truncated buffer. */
    static int countRecords(ByteBuffer data) {
        int pos = data.position();
        int limit = data.limit();
        if (pos >= limit) {
            throw new InvalidInputException("no batch to append: the buffer is empty");
        }
        long total = 0;
        int n = 0;
        while (pos < limit) {
            int size = RecordBatch.sizeAt(data, pos);
            if (size < 0) {
                throw new InvalidInputException("batch " + n + " is truncated: " + (limit - pos) + " bytes left");
            }
            int count = RecordBatch.recordCountAt(data, pos);
            if (count <= 0 || RecordBatch.lastOffsetDeltaAt(data, pos) != count - 1) {
                throw new InvalidInputException("batch " + n + " declares " + count + " records");
            }
            total += count;
            pos += size;
            n++;
        }
        if (total > Integer.MAX_VALUE) {
            throw new InvalidInputException("too many records in one append: " + total);
        }
        return (int) total;
    }

    private void tickLoop() {
        long tickNanos = config.flushTick().toNanos();
        while (!tickerStop) {
            LockSupport.parkNanos(this, tickNanos);
            if (tickerStop) {
                break;
            }
            for (Shard shard : shards) {
                if (shard.writer.needsTick) {
                    try {
                        long seq = shard.ring.tryNext();
                        IngestEvent ev = shard.ring.get(seq);
                        ev.clear();
                        ev.tick = true;
                        shard.ring.publish(seq);
                    } catch (InsufficientCapacityException busy) {
                        // the writer has work queued: it will reach endOfBatch without our help
                    }
                }
            }
        }
    }

    /**
     * Stops taking publishes (they fail fast with {@link IngestClosedException}), drains every ring (each
     * queued publish is appended and acknowledged or failed), does a final fsync of the partitions with
     * unflushed data, and ends all pipeline threads. The partition logs stay open: they belong to the caller.
     */
    @Override
    public void close() {
        if (!closeStarted.compareAndSet(false, true)) {
            return;
        }
        closed = true;
        long deadline = System.nanoTime() + config.shutdownTimeout().toNanos();
        while (publishing.get() > 0 && System.nanoTime() < deadline) {
            LockSupport.parkNanos(100_000);
        }
        tickerStop = true;
        LockSupport.unpark(ticker);
        join(ticker, deadline);
        for (Shard shard : shards) {
            while (shard.processor.getSequence().get() < shard.ring.getCursor() && System.nanoTime() < deadline) {
                LockSupport.parkNanos(200_000);
            }
            long left = shard.ring.getCursor() - shard.processor.getSequence().get();
            if (left > 0) {
                LOG.error("{}: shard writer {} did not drain {} publishes within {}; failing them", name,
                        shard.thread.getName(), left, config.shutdownTimeout());
            }
            shard.processor.halt();
            if (left > 0) {
                failUndrained(shard);
            }
        }
        for (Shard shard : shards) {
            join(shard.thread, deadline);
            if (shard.thread.isAlive()) {
                LOG.error("{}: writer thread {} is stuck (a log call does not return) and stays alive", name,
                        shard.thread.getName());
            }
        }
        // after the writers' final fsync: a flusher finishes what it was asked, then ends
        for (Shard shard : shards) {
            shard.flusher.stop(deadline);
        }
        metrics.remove();
    }

    /** Fails the futures of the publishes a stuck writer never reached (completing twice is a no-op). */
    private void failUndrained(Shard shard) {
        long from = shard.processor.getSequence().get() + 1;
        long to = shard.ring.getCursor();
        for (long s = from; s <= to; s++) {
            IngestEvent ev = shard.ring.get(s);
            CompletableFuture<AppendAck> f = ev.future;
            if (f != null) {
                metrics.failures.increment();
                f.completeExceptionally(new IngestClosedException("ingest pipeline closed before this publish was written"));
            }
            CompletableFuture<Void> c = ev.control;
            if (c != null) {
                c.completeExceptionally(new IngestClosedException("ingest pipeline closed before the request was handled"));
            }
        }
    }

    private static void join(Thread t, long deadlineNanos) {
        boolean interrupted = false;
        try {
            while (t.isAlive()) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                try {
                    t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Logs what escapes the writer (it never should) and keeps the writer running. */
    private static final class LoggingExceptionHandler implements ExceptionHandler<IngestEvent> {
        private final int shard;

        LoggingExceptionHandler(int shard) {
            this.shard = shard;
        }

        @Override
        public void handleEventException(Throwable ex, long sequence, IngestEvent event) {
            LOG.error("ingest shard {}: event {} failed", shard, sequence, ex);
        }

        @Override
        public void handleOnStartException(Throwable ex) {
            LOG.error("ingest shard {}: writer start failed", shard, ex);
        }

        @Override
        public void handleOnShutdownException(Throwable ex) {
            LOG.error("ingest shard {}: writer shutdown failed", shard, ex);
        }
    }
}
