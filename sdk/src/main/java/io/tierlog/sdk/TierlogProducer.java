package io.tierlog.sdk;

import io.tierlog.core.Header;
import io.tierlog.core.InvalidInputException;
import io.tierlog.core.Limits;
import io.tierlog.core.MetricEvent;
import io.tierlog.core.SeriesKey;
import io.tierlog.core.Validation;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.producer.BufferExhaustedException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Sends metric samples (and raw records to {@code bytes} topics) to Tierlog's Kafka listener, so that an application
 * publishes at high rates with a typed API. Underneath is one kafka-clients {@code KafkaProducer}: it batches per
 * partition ({@link ProducerConfig#linger()}, {@link ProducerConfig#batchBytes()}), compresses, pipelines requests,
 * retries, and with {@code durable} acks is idempotent (a retried batch is stored once, in order). This class adds
 * what is Tierlog's: a metric event becomes its series key and 9-byte sample, and goes to the partition the server's
 * own hash ({@link SeriesKey#partitionFor}) gives its series, so a series stays in one partition whichever door
 * wrote it.
 *
 * <p>Thread-safe; share one per application. Obtain it from {@link TierlogClient#producer(ProducerConfig)};
 * {@link #close()} delivers everything still buffered before it returns. The returned futures complete on the
 * producer's I/O thread: keep their callbacks short.
 */
public final class TierlogProducer implements AutoCloseable {
    private final TierlogClient client;
    private final KafkaProducer<byte[], byte[]> kafka;
    private final Limits limits = Limits.DEFAULTS;
    /** Partition counts by topic, read once per topic over HTTP (which also fails fast for a missing topic). */
    private final Map<String, Integer> partitionCounts = new ConcurrentHashMap<>();
    private final LongAdder acknowledged = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * Counters since the producer was created. {@code recordsAcknowledged} and {@code recordsFailed} count futures
     * completed; the others are kafka-clients' producer metrics ({@code record-retry-total},
     * {@code records-per-request-avg}, {@code batch-size-avg} in bytes, {@code request-latency-avg} in ms; NaN
     * before the first request), averages over kafka-clients' sample window (about the last 30 s).
     */
    public record Stats(long recordsAcknowledged, long recordsFailed, long retries, double recordsPerRequest,
                        double batchBytes, double requestLatencyMs) {
    }

    TierlogProducer(TierlogClient client, String bootstrapServers, ProducerConfig config) {
        this.client = client;
        this.kafka = new KafkaProducer<>(withSecurity(config.toKafka(bootstrapServers), client), new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Sends one metric sample to the partition of its series. */
    public CompletableFuture<Long> send(String topic, MetricEvent event) {
        Validation.metricEvent(event, limits);
        byte[] key = MetricSerde.key(event);
        int partitions;
        try {
            partitions = partitions(topic);
        } catch (TierlogClientException e) {
            return failed(e);
        }
        return dispatch(topic, SeriesKey.partitionFor(key, partitions), event.timestamp(), key, MetricSerde.value(event), null);
    }

    /** Sends one metric sample to the given partition. */
    public CompletableFuture<Long> send(String topic, int partition, MetricEvent event) {
        Validation.metricEvent(event, limits);
        int partitions;
        try {
            partitions = partitions(topic);
        } catch (TierlogClientException e) {
            return failed(e);
        }
        checkPartition(topic, partition, partitions);
        return dispatch(topic, partition, event.timestamp(), MetricSerde.key(event), MetricSerde.value(event), null);
    }

    /**
     * Sends one raw record (for {@code bytes} topics; in a {@code metrics} topic the server refuses a batch holding
     * a record that is not a metric sample). With a null partition a keyed record goes to the partition of its key's
     * hash (the server's, as for series keys), an unkeyed one to the partition kafka-clients' sticky partitioner
     * picks (one partition per batch, which keeps batches full).
     *
     * @return a future of the offset the server assigned; it fails with a {@link TierlogServerException} when the
     *         server refused the record, or a {@link TierlogClientException} when delivery gave up
     */
    public CompletableFuture<Long> send(String topic, Integer partition, long timestamp, byte[] key, byte[] value,
                                        List<Header> headers) {
        Validation.timestamp(timestamp);
        if (value != null) {
            Validation.recordValueSize(value.length, limits);
        }
        int partitions;
        try {
            partitions = partitions(topic);
        } catch (TierlogClientException e) {
            return failed(e);
        }
        if (partition != null) {
            checkPartition(topic, partition, partitions);
        }
        Integer p = partition != null ? partition : key != null ? Integer.valueOf(SeriesKey.partitionFor(key, partitions)) : null;
        return dispatch(topic, p, timestamp, key, value, headers);
    }

    /** Sends a UTF-8 string value with the current time as timestamp (convenience for bytes topics). */
    public CompletableFuture<Long> send(String topic, String key, String value) {
        return send(topic, null, System.currentTimeMillis(), key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                value == null ? null : value.getBytes(StandardCharsets.UTF_8), null);
    }

    private CompletableFuture<Long> dispatch(String topic, Integer partition, long timestamp, byte[] key, byte[] value,
                                             List<Header> headers) {
        CompletableFuture<Long> f = new CompletableFuture<>();
        try {
            // a failure kafka-clients sees before queueing the record (full buffer, no metadata in time) also comes
            // through the callback; what it throws instead is a closed producer, an interrupt or a bad record
            kafka.send(new ProducerRecord<>(topic, partition, timestamp, key, value, kafkaHeaders(headers)), (md, e) -> {
                if (e == null) {
                    acknowledged.increment();
                    f.complete(md.offset());
                } else {
                    failed.increment();
                    f.completeExceptionally(translate(e));
                }
            });
        } catch (InterruptException e) {
            throw new TierlogClientException("interrupted while waiting for buffer memory or metadata of " + topic, e);
        } catch (KafkaException e) {
            failed.increment();
            f.completeExceptionally(translate(e));
        }
        return f;
    }

    /** The topic's partition count; a missing topic or an unreachable server is a {@link TierlogClientException}. */
    private int partitions(String topic) {
        if (closed.get()) {
            throw new IllegalStateException("producer is closed");
        }
        Integer n = partitionCounts.get(topic);
        if (n == null) {
            Validation.topicName(topic);
            n = client.describeTopic(topic).partitions().size();
            partitionCounts.put(topic, n);
        }
        return n;
    }

    private static void checkPartition(String topic, int partition, int partitions) {
        if (partition < 0 || partition >= partitions) {
            throw new InvalidInputException("partition " + partition + " does not exist in topic " + topic
                    + " (it has " + partitions + ")");
        }
    }

    private CompletableFuture<Long> failed(TierlogClientException e) {
        failed.increment();
        return CompletableFuture.failedFuture(e);
    }

    private static Iterable<org.apache.kafka.common.header.Header> kafkaHeaders(List<Header> headers) {
        if (headers == null || headers.isEmpty()) {
            return null;
        }
        List<org.apache.kafka.common.header.Header> out = new ArrayList<>(headers.size());
        for (Header h : headers) {
            out.add(new RecordHeader(h.key(), h.value()));
        }
        return out;
    }

    /** kafka-clients' failure as the SDK's: what the server refused, or what never got an answer. */
    static RuntimeException translate(Exception e) {
        String m = e.getMessage();
        TierlogServerException refused = switch (e) {
            case InvalidRecordException r -> new TierlogServerException.InvalidRequest(m);
            case CorruptRecordException r -> new TierlogServerException.InvalidRequest(m);
            case RecordTooLargeException r -> new TierlogServerException.PayloadTooLarge(m);
            case UnknownTopicOrPartitionException r -> new TierlogServerException.NotFound(m);
            default -> null;
        };
        if (refused != null) {
            refused.initCause(e);
            return refused;
        }
        if (e instanceof BufferExhaustedException) {
            return new TierlogClientException.BufferExhausted(m, e);
        }
        return new TierlogClientException(m, e);
    }

    /**
     * Sends every buffered record now (ignoring linger) and waits until each record sent before this call is
     * acknowledged or has failed. Failures are reported through the records' futures, not thrown here.
     */
    public void flush() {
        try {
            kafka.flush();
        } catch (InterruptException e) {
            throw new TierlogClientException("interrupted while flushing", e);
        }
    }

    /**
     * Stops accepting records and delivers everything buffered: returns once every record is acknowledged or has
     * failed, which its delivery timeout bounds.
     */
    @Override
    public void close() {
        close(Duration.ofMillis(Long.MAX_VALUE));
    }

    /**
     * Stops accepting records, sends everything buffered and waits up to {@code timeout} for it. Records still
     * unacknowledged after that fail with a {@link TierlogClientException}; nothing is dropped silently.
     */
    public void close(Duration timeout) {
        if (closed.compareAndSet(false, true)) {
            try {
                kafka.close(timeout);
            } finally {
                client.forget(this);
            }
        }
    }

    public Stats stats() {
        return new Stats(acknowledged.sum(), failed.sum(), (long) metric("record-retry-total"),
                metric("records-per-request-avg"), metric("batch-size-avg"), metric("request-latency-avg"));
    }

    /** Bytes of buffer memory currently free (kafka-clients' {@code buffer-available-bytes}). */
    public long availableBufferBytes() {
        return (long) metric("buffer-available-bytes");
    }

    /** One of kafka-clients' producer-wide metrics ({@code producer-metrics} group), NaN when unknown. */
    double metric(String name) {
        for (Map.Entry<MetricName, ? extends Metric> e : kafka.metrics().entrySet()) {
            if (e.getKey().name().equals(name) && e.getKey().group().equals("producer-metrics")) {
                return e.getValue().metricValue() instanceof Number n ? n.doubleValue() : Double.NaN;
            }
        }
        return Double.NaN;
    }

    /** The client's SASL settings under the config's, a key the application set itself winning. */
    private static Map<String, Object> withSecurity(Map<String, Object> kafka, TierlogClient client) {
        Map<String, Object> all = new java.util.HashMap<>(client.kafkaSecurity());
        all.putAll(kafka);
        return all;
    }
}
