package io.tierlog.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import io.tierlog.core.BatchBuilder;
import io.tierlog.core.Header;
import io.tierlog.core.InvalidInputException;
import io.tierlog.core.Limits;
import io.tierlog.core.MetricCodec;
import io.tierlog.core.MetricEvent;
import io.tierlog.core.RecordBatch;
import io.tierlog.core.SeriesKey;
import io.tierlog.core.TopicPartition;
import io.tierlog.core.Validation;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends records to Tierlog asynchronously in binary batches, so that an application can publish at high rates
 * without one HTTP request per record. Records are grouped per partition into a batch that is sent when it
 * reaches {@link ProducerConfig#batchBytes()} or has waited {@link ProducerConfig#linger()}; the batch is
 * encoded and compressed on the client ({@code POST application/vnd.tierlog.batch?partition=N}). At most one
 * request per partition is in flight (more batches of that partition ride in the next request), which keeps
 * every partition in send order even when requests are retried after a 503 or a connection error.
 * Delivery is at-least-once: a request whose answer was lost is sent again.
 *
 * <p>Thread-safe. Obtain one from {@link TierlogClient#producer(ProducerConfig)}; {@link #close()} sends
 * everything still buffered before it returns.
 */
public final class TierlogProducer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TierlogProducer.class);
    private static final int RECORD_OVERHEAD = 32;

    private final TierlogClient client;
    private final Http http;
    private final ProducerConfig config;
    private final Duration requestTimeout;
    private final Limits limits = Limits.DEFAULTS;
    private final long lingerNanos;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private final List<PartitionQueue> queueList = new ArrayList<>();
    private int rotation;
    private int flushing;

    private final Semaphore memory;
    private final Semaphore inFlightPermits;
    private final Set<Batch> incomplete = ConcurrentHashMap.newKeySet();
    private final Map<String, TopicMeta> topics = new ConcurrentHashMap<>();
    private final ScheduledExecutorService retryTimer;
    private final Thread sender;
    private volatile boolean closed;
    private volatile boolean stopping;
    private volatile boolean aborted;

    private final LongAdder recordsSent = new LongAdder();
    private final LongAdder recordsFailed = new LongAdder();
    private final LongAdder batchesSent = new LongAdder();
    private final LongAdder requestsSent = new LongAdder();
    private final LongAdder retriesDone = new LongAdder();

    /** Counters since the producer was created, for tests, dashboards and the load generator. */
    public record Stats(long recordsAcknowledged, long recordsFailed, long batches, long requests, long retries) {
    }

    TierlogProducer(TierlogClient client, Http http, ProducerConfig config, Duration requestTimeout) {
        this.client = client;
        this.http = http;
        this.config = config;
        this.requestTimeout = requestTimeout;
        this.lingerNanos = config.linger().toNanos();
        this.memory = new Semaphore((int) Math.min(Integer.MAX_VALUE, config.bufferMemoryBytes()));
        this.inFlightPermits = new Semaphore(config.maxInFlightRequests());
        this.retryTimer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tierlog-producer-retry");
            t.setDaemon(true);
            return t;
        });
        this.sender = new Thread(this::runSender, "tierlog-producer-sender");
        sender.setDaemon(true);
        sender.start();
    }

    /** Sends one metric sample to the partition of its series (hash of the series key). */
    public CompletableFuture<Long> send(String topic, MetricEvent event) {
        Validation.metricEvent(event, limits);
        byte[] key = event.seriesKey().toBytes();
        return enqueue(topic, null, event.timestamp(), key, MetricCodec.encodeValue(event.value(), event.type()), null);
    }

    /** Sends one metric sample to the given partition. */
    public CompletableFuture<Long> send(String topic, int partition, MetricEvent event) {
        Validation.metricEvent(event, limits);
        byte[] key = event.seriesKey().toBytes();
        return enqueue(topic, partition, event.timestamp(), key, MetricCodec.encodeValue(event.value(), event.type()), null);
    }

    /**
     * Sends one raw record (for {@code bytes} topics). With a null partition the record goes to the partition
     * of its key's hash, or, without a key, to a partition chosen per batch (sticky), which keeps batches full.
     *
     * @return a future of the offset the server assigned; it fails with a {@link TierlogServerException} the
     *         server answered or a {@link TierlogClientException} when delivery gave up
     */
    public CompletableFuture<Long> send(String topic, Integer partition, long timestamp, byte[] key, byte[] value,
                                        List<Header> headers) {
        Validation.timestamp(timestamp);
        if (value != null) {
            Validation.recordValueSize(value.length, limits);
        }
        return enqueue(topic, partition, timestamp, key, value, headers);
    }

    /** Sends a UTF-8 string value with the current time as timestamp (convenience for bytes topics). */
    public CompletableFuture<Long> send(String topic, String key, String value) {
        return send(topic, null, System.currentTimeMillis(), key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                value == null ? null : value.getBytes(StandardCharsets.UTF_8), null);
    }

    private CompletableFuture<Long> enqueue(String topic, Integer partition, long timestamp, byte[] key, byte[] value,
                                            List<Header> headers) {
        if (closed) {
            throw new IllegalStateException("producer is closed");
        }
        TopicMeta meta = topics.get(topic);
        if (meta == null) {
            Validation.topicName(topic); // once per topic: the regex is measurable on the hot path
            try {
                meta = meta(topic);
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        if (partition != null && (partition < 0 || partition >= meta.partitions)) {
            throw new InvalidInputException("partition " + partition + " does not exist in topic " + topic
                    + " (it has " + meta.partitions + ")");
        }
        long size = RECORD_OVERHEAD + (key == null ? 0 : key.length) + (value == null ? 0 : value.length);
        if (headers != null) {
            for (Header h : headers) {
                size += 8 + h.key().length() * 3L + (h.value() == null ? 0 : h.value().length);
            }
        }
        if (size > config.maxRequestBytes()) {
            throw new InvalidInputException("record of about " + size + " bytes exceeds maxRequestBytes "
                    + config.maxRequestBytes());
        }
        int permits = (int) size;
        if (!acquireMemory(permits)) {
            return CompletableFuture.failedFuture(new TierlogClientException.BufferExhausted(
                    "producer buffer of " + config.bufferMemoryBytes() + " bytes is full"
                            + (config.blockOnBufferFull() ? " after waiting " + config.maxBlock() : "")));
        }
        lock.lock();
        try {
            if (closed) {
                memory.release(permits);
                throw new IllegalStateException("producer is closed");
            }
            int p = partition != null ? partition
                    : key != null ? SeriesKey.partitionFor(key, meta.partitions) : meta.sticky;
            PartitionQueue q = meta.queues[p];
            if (q == null) {
                q = new PartitionQueue(new TopicPartition(topic, p));
                meta.queues[p] = q;
                queueList.add(q);
            }
            Batch b = q.open;
            if (b != null && b.builder.estimatedSizeInBytes() + size > config.batchBytes()) {
                seal(q);
                b = null;
            }
            if (b == null) {
                b = new Batch(q.tp, new BatchBuilder(config.compression()), System.nanoTime());
                q.open = b;
                incomplete.add(b);
                wake.signalAll();
            }
            b.builder.add(timestamp, key, value, headers);
            CompletableFuture<Long> f = new CompletableFuture<>();
            b.futures.add(f);
            b.reservedBytes += permits;
            if (b.builder.estimatedSizeInBytes() >= config.batchBytes()) {
                seal(q);
            }
            return f;
        } finally {
            lock.unlock();
        }
    }

    private boolean acquireMemory(int permits) {
        if (memory.tryAcquire(permits)) {
            return true;
        }
        if (!config.blockOnBufferFull()) {
            return false;
        }
        try {
            return memory.tryAcquire(permits, config.maxBlock().toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TierlogClientException("interrupted while waiting for producer buffer memory", e);
        }
    }

    private TopicMeta meta(String topic) {
        TopicMeta m = topics.get(topic);
        if (m == null) {
            TopicInfo info = client.describeTopic(topic);
            m = topics.computeIfAbsent(topic, t -> new TopicMeta(info.partitions().size()));
        }
        return m;
    }

    /** Moves the open batch of {@code q} to its send queue. Caller holds the lock. */
    private void seal(PartitionQueue q) {
        Batch b = q.open;
        if (b == null) {
            return;
        }
        q.sealed.add(b);
        q.open = null;
        TopicMeta m = topics.get(q.tp.topic());
        if (m != null && m.sticky == q.tp.partition() && m.partitions > 1) {
            m.sticky = (m.sticky + 1 + ThreadLocalRandom.current().nextInt(m.partitions - 1)) % m.partitions;
        }
        wake.signalAll();
    }

    private void runSender() {
        while (true) {
            List<Request> ready = new ArrayList<>();
            lock.lock();
            try {
                if (stopping && (incomplete.isEmpty() || aborted)) {
                    return;
                }
                long now = System.nanoTime();
                long waitNanos = TimeUnit.SECONDS.toNanos(1);
                boolean force = flushing > 0 || closed;
                int n = queueList.size();
                int start = n == 0 ? 0 : rotation++ % n;
                for (int i = 0; i < n; i++) {
                    PartitionQueue q = queueList.get((start + i) % n);
                    if (q.open != null) {
                        long due = q.open.createdNanos + lingerNanos;
                        if (force || due - now <= 0) {
                            seal(q);
                        } else {
                            waitNanos = Math.min(waitNanos, due - now);
                        }
                    }
                    if (q.inFlight || q.sealed.isEmpty()) {
                        continue;
                    }
                    if (!inFlightPermits.tryAcquire()) {
                        break;
                    }
                    ready.add(drain(q));
                }
                if (ready.isEmpty()) {
                    wake.awaitNanos(waitNanos);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } finally {
                lock.unlock();
            }
            for (Request r : ready) {
                try {
                    dispatch(r);
                } catch (RuntimeException e) {
                    fail(r, e); // never let one request kill the sender thread
                }
            }
        }
    }

    /** Takes the queued batches of one partition for one request. Caller holds the lock. */
    private Request drain(PartitionQueue q) {
        List<Batch> batches = new ArrayList<>();
        long bytes = 0;
        while (!q.sealed.isEmpty()) {
            Batch b = q.sealed.peek();
            long est = b.builder.estimatedSizeInBytes();
            if (!batches.isEmpty() && bytes + est > config.maxRequestBytes()) {
                break;
            }
            batches.add(q.sealed.poll());
            bytes += est;
        }
        q.inFlight = true;
        long oldest = batches.stream().mapToLong(b -> b.createdNanos).min().orElseThrow();
        return new Request(q, batches, oldest + config.deliveryTimeout().toNanos());
    }

    private void dispatch(Request r) {
        try {
            List<RecordBatch> encoded = new ArrayList<>(r.batches.size());
            int total = 0;
            for (Batch b : r.batches) {
                RecordBatch rb = b.builder.build();
                encoded.add(rb);
                total += rb.sizeInBytes();
            }
            byte[] body = new byte[total];
            int pos = 0;
            for (RecordBatch rb : encoded) {
                rb.buffer().get(body, pos, rb.sizeInBytes());
                pos += rb.sizeInBytes();
            }
            r.body = body;
        } catch (RuntimeException e) {
            fail(r, e);
            return;
        }
        attempt(r);
    }

    private void attempt(Request r) {
        if (aborted) {
            fail(r, new TierlogClientException("producer was closed before the request could be sent"));
            return;
        }
        String path = "/v1/topics/" + Http.enc(r.queue.tp.topic()) + "/records?partition=" + r.queue.tp.partition()
                + ("durable".equals(config.acks()) ? "&acks=durable" : "");
        HttpRequest req = http.request(path, requestTimeout)
                .header("Content-Type", Http.BATCH_MEDIA_TYPE)
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(r.body))
                .build();
        requestsSent.increment();
        try {
            http.sendAsync(req).whenComplete((resp, err) -> onResponse(r, resp, err));
        } catch (RuntimeException e) {
            onResponse(r, null, e);
        }
    }

    private void onResponse(Request r, HttpResponse<byte[]> resp, Throwable err) {
        try {
            if (err == null && resp.statusCode() / 100 == 2) {
                acknowledge(r, Http.parse(resp));
                return;
            }
            RuntimeException failure;
            boolean retriable;
            Duration hint = Duration.ZERO;
            if (err != null) {
                Throwable cause = Http.unwrap(err);
                failure = new TierlogClientException("sending " + r.recordCount() + " records to " + r.queue.tp
                        + " failed: " + cause, cause);
                retriable = cause instanceof IOException;
            } else {
                TierlogServerException e = Http.error(resp);
                failure = e;
                retriable = resp.statusCode() == 503;
                hint = Http.retryAfter(resp);
            }
            long delay = backoffNanos(r.attempts + 1, hint);
            if (retriable && !aborted && r.attempts < config.retries() && System.nanoTime() + delay - r.deadlineNanos < 0) {
                r.attempts++;
                retriesDone.increment();
                LOG.debug("retry {} of a request to {} in {} ms after: {}", r.attempts, r.queue.tp,
                        TimeUnit.NANOSECONDS.toMillis(delay), failure.getMessage());
                retryTimer.schedule(() -> attempt(r), delay, TimeUnit.NANOSECONDS);
            } else {
                fail(r, failure);
            }
        } catch (RuntimeException e) {
            fail(r, e);
        }
    }

    private long backoffNanos(int attempt, Duration hint) {
        long base = config.retryBackoff().toNanos();
        long exp = base << Math.min(attempt - 1, 20);
        long max = config.retryBackoffMax().toNanos();
        long d = Math.min(max, Math.max(exp, hint.toNanos()));
        return d + ThreadLocalRandom.current().nextLong(Math.max(1, d / 5));
    }

    private void acknowledge(Request r, JsonNode body) {
        List<long[]> ranges = new ArrayList<>();
        for (JsonNode o : body.path("offsets")) {
            if (!o.has("partition") || o.path("partition").asInt() == r.queue.tp.partition()) {
                ranges.add(new long[]{o.path("baseOffset").asLong(), o.path("count").asLong()});
            }
        }
        batchesSent.add(r.batches.size());
        int rangeIdx = 0;
        long used = 0;
        for (Batch b : r.batches) {
            for (CompletableFuture<Long> f : b.futures) {
                while (rangeIdx < ranges.size() && used >= ranges.get(rangeIdx)[1]) {
                    rangeIdx++;
                    used = 0;
                }
                if (rangeIdx < ranges.size()) {
                    long offset = ranges.get(rangeIdx)[0] + used++;
                    recordsSent.increment();
                    f.complete(offset);
                } else {
                    recordsFailed.increment();
                    f.completeExceptionally(new TierlogClientException("server acknowledged fewer records than sent to "
                            + r.queue.tp + ": " + body));
                }
            }
        }
        finish(r);
    }

    private void fail(Request r, Throwable t) {
        for (Batch b : r.batches) {
            for (CompletableFuture<Long> f : b.futures) {
                if (!f.isDone()) {
                    recordsFailed.increment();
                    f.completeExceptionally(t);
                }
            }
        }
        LOG.warn("{} records for {} failed: {}", r.recordCount(), r.queue.tp, t.getMessage());
        finish(r);
    }

    private void finish(Request r) {
        for (Batch b : r.batches) {
            memory.release((int) b.reservedBytes);
            incomplete.remove(b);
            b.done.complete(null);
        }
        inFlightPermits.release();
        lock.lock();
        try {
            r.queue.inFlight = false;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sends every buffered record now (ignoring linger) and waits until each record sent before this call is
     * acknowledged or has failed. Failures are reported through the records' futures, not thrown here.
     */
    public void flush() {
        lock.lock();
        try {
            flushing++;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            for (Batch b : List.copyOf(incomplete)) {
                b.done.join();
            }
        } finally {
            lock.lock();
            try {
                flushing--;
            } finally {
                lock.unlock();
            }
        }
    }

    /** Closes after delivering everything buffered, waiting as long as the delivery timeout allows. */
    @Override
    public void close() {
        close(config.deliveryTimeout());
    }

    /**
     * Stops accepting records, sends everything buffered and waits up to {@code timeout} for it. Records still
     * unacknowledged after that fail with a {@link TierlogClientException}; nothing is dropped silently.
     */
    public void close(Duration timeout) {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
        List<Batch> pending = List.copyOf(incomplete);
        try {
            CompletableFuture.allOf(pending.stream().map(b -> b.done).toArray(CompletableFuture[]::new))
                    .get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            abort(timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abort(timeout);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("batch completion cannot fail", e);
        }
        lock.lock();
        try {
            stopping = true;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            sender.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        retryTimer.shutdownNow();
        client.forget(this);
    }

    private void abort(Duration timeout) {
        aborted = true;
        TierlogClientException e = new TierlogClientException("producer closed after " + timeout
                + " with records still unacknowledged");
        lock.lock();
        try {
            for (PartitionQueue q : queueList) {
                seal(q);
                q.sealed.clear();
            }
        } finally {
            lock.unlock();
        }
        for (Batch b : List.copyOf(incomplete)) {
            for (CompletableFuture<Long> f : b.futures) {
                if (f.completeExceptionally(e)) {
                    recordsFailed.increment();
                }
            }
            incomplete.remove(b);
            b.done.complete(null);
        }
    }

    public Stats stats() {
        return new Stats(recordsSent.sum(), recordsFailed.sum(), batchesSent.sum(), requestsSent.sum(), retriesDone.sum());
    }

    /** Bytes of buffer memory currently free (for tests and monitoring). */
    public long availableBufferBytes() {
        return memory.availablePermits();
    }

    private static final class TopicMeta {
        final int partitions;
        /** Per-partition queues, created on first use; guarded by the producer's lock. */
        final PartitionQueue[] queues;
        int sticky;

        TopicMeta(int partitions) {
            if (partitions <= 0) {
                throw new TierlogClientException("topic has no partitions");
            }
            this.partitions = partitions;
            this.queues = new PartitionQueue[partitions];
            this.sticky = ThreadLocalRandom.current().nextInt(partitions);
        }
    }

    private static final class PartitionQueue {
        final TopicPartition tp;
        final ArrayDeque<Batch> sealed = new ArrayDeque<>();
        Batch open;
        boolean inFlight;

        PartitionQueue(TopicPartition tp) {
            this.tp = tp;
        }
    }

    private static final class Batch {
        final TopicPartition tp;
        final BatchBuilder builder;
        final long createdNanos;
        final List<CompletableFuture<Long>> futures = new ArrayList<>();
        final CompletableFuture<Void> done = new CompletableFuture<>();
        long reservedBytes;

        Batch(TopicPartition tp, BatchBuilder builder, long createdNanos) {
            this.tp = tp;
            this.builder = builder;
            this.createdNanos = createdNanos;
        }
    }

    private static final class Request {
        final PartitionQueue queue;
        final List<Batch> batches;
        final long deadlineNanos;
        byte[] body;
        int attempts;

        Request(PartitionQueue queue, List<Batch> batches, long deadlineNanos) {
            this.queue = queue;
            this.batches = batches;
            this.deadlineNanos = deadlineNanos;
        }

        int recordCount() {
            return batches.stream().mapToInt(b -> b.futures.size()).sum();
        }
    }
}
