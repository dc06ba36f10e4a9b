package io.tierlog.sdk;

import io.tierlog.core.Compression;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * How a {@link TierlogProducer} batches, bounds its memory, retries and acknowledges. Each option is one
 * kafka-clients producer property (the producer is kafka-clients' {@code KafkaProducer} underneath); anything else
 * kafka-clients understands goes in {@link #kafkaProperties()}. The defaults favour throughput with a small added
 * latency (5 ms linger). Immutable.
 *
 * @param linger              {@code linger.ms}: how long a partition's open batch may wait for more records
 * @param batchBytes          {@code batch.size}: a partition's batch is sent once it holds this many bytes
 * @param maxRequestBytes     {@code max.request.size}: largest request (and so largest record batch) sent
 * @param bufferMemoryBytes   {@code buffer.memory}: bytes of records held (queued or in flight) before {@code send}
 *                            blocks
 * @param maxBlock            {@code max.block.ms}: longest a {@code send} blocks for buffer memory or for the
 *                            topic's metadata; then its future fails ({@link TierlogClientException.BufferExhausted}
 *                            when the buffer stayed full)
 * @param maxInFlightRequests {@code max.in.flight.requests.per.connection}: produce requests awaiting their answer
 *                            on the connection to the server (at most 5 with {@code durable} acks)
 * @param compression         {@code compression.type}: codec of each batch, applied on the client
 * @param retries             {@code retries}: attempts after the first for retriable failures (bounded by
 *                            {@code deliveryTimeout} anyway)
 * @param retryBackoff        {@code retry.backoff.ms}: first backoff; grows exponentially up to
 *                            {@code retryBackoffMax}
 * @param retryBackoffMax     {@code retry.backoff.max.ms}
 * @param requestTimeout      {@code request.timeout.ms}: a request without an answer this long is retried
 * @param deliveryTimeout     {@code delivery.timeout.ms}: a record fails if not acknowledged this long after
 *                            {@code send} returned (at least {@code linger + requestTimeout})
 * @param acks                {@code leader} ({@code acks=1}, no idempotence: at-least-once) or {@code durable}
 *                            ({@code acks=all}, acknowledged after fsync, with {@code enable.idempotence}: a
 *                            retried batch is stored once)
 * @param kafkaProperties     further kafka-clients producer properties (e.g. {@code client.id},
 *                            {@code metadata.max.age.ms}); a key set by one of the options above is refused
 */
public record ProducerConfig(Duration linger, int batchBytes, int maxRequestBytes, long bufferMemoryBytes,
                             Duration maxBlock, int maxInFlightRequests, Compression compression, int retries,
                             Duration retryBackoff, Duration retryBackoffMax, Duration requestTimeout,
                             Duration deliveryTimeout, String acks, Map<String, Object> kafkaProperties) {

    /** The kafka-clients keys the options above set, with the option that sets each. */
    static final Map<String, String> OWNED_KEYS = ownedKeys();

    private static Map<String, String> ownedKeys() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("bootstrap.servers", "the TierlogClient (GET /v1/cluster or TierlogClient.create(uri, bootstrapServers))");
        m.put("key.serializer", "the producer (records are bytes; metric events are encoded by the SDK)");
        m.put("value.serializer", "the producer (records are bytes; metric events are encoded by the SDK)");
        m.put("linger.ms", "linger");
        m.put("batch.size", "batchBytes");
        m.put("max.request.size", "maxRequestBytes");
        m.put("buffer.memory", "bufferMemoryBytes");
        m.put("max.block.ms", "maxBlock");
        m.put("max.in.flight.requests.per.connection", "maxInFlightRequests");
        m.put("compression.type", "compression");
        m.put("retries", "retries");
        m.put("retry.backoff.ms", "retryBackoff");
        m.put("retry.backoff.max.ms", "retryBackoffMax");
        m.put("request.timeout.ms", "requestTimeout");
        m.put("delivery.timeout.ms", "deliveryTimeout");
        m.put("acks", "acks");
        m.put("enable.idempotence", "acks (durable: on, leader: off)");
        m.put("transactional.id", "nothing: Tierlog does not support Kafka transactions");
        return Map.copyOf(m);
    }

    public ProducerConfig {
        if (linger.isNegative() || batchBytes <= 0 || maxRequestBytes < batchBytes || bufferMemoryBytes < maxRequestBytes
                || maxBlock.isNegative() || maxInFlightRequests <= 0 || retries < 0 || retryBackoff.isNegative()
                || retryBackoffMax.compareTo(retryBackoff) < 0 || requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("invalid producer config"
                    + ": need linger >= 0, 0 < batchBytes <= maxRequestBytes <= bufferMemoryBytes, maxBlock >= 0,"
                    + " maxInFlightRequests > 0, retries >= 0, retryBackoff <= retryBackoffMax, requestTimeout > 0");
        }
        if (deliveryTimeout.compareTo(linger.plus(requestTimeout)) < 0) {
            // kafka-clients' own rule: a record must be allowed to linger and then wait one request timeout
            throw new IllegalArgumentException("deliveryTimeout " + deliveryTimeout + " must be at least linger + requestTimeout ("
                    + linger.plus(requestTimeout) + ")");
        }
        if (!acks.equals("leader") && !acks.equals("durable")) {
            throw new IllegalArgumentException("acks must be 'leader' or 'durable', was '" + acks + "'");
        }
        if (acks.equals("durable") && (maxInFlightRequests > 5 || retries == 0)) {
            // the idempotent producer keeps order over at most 5 requests and must be able to retry
            throw new IllegalArgumentException("durable acks (idempotent) need 1..5 maxInFlightRequests and retries > 0");
        }
        kafkaProperties = KafkaProperties.checked(kafkaProperties, OWNED_KEYS);
    }

    public static ProducerConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The kafka-clients properties of this config for a server at {@code bootstrapServers}. */
    Map<String, Object> toKafka(String bootstrapServers) {
        // as text: kafka-clients parses text for every config type, while boxed numbers must match the type exactly
        Map<String, Object> p = new HashMap<>(kafkaProperties);
        p.put("bootstrap.servers", bootstrapServers);
        p.put("linger.ms", String.valueOf(linger.toMillis()));
        p.put("batch.size", String.valueOf(batchBytes));
        p.put("max.request.size", String.valueOf(maxRequestBytes));
        p.put("buffer.memory", String.valueOf(bufferMemoryBytes));
        p.put("max.block.ms", String.valueOf(maxBlock.toMillis()));
        p.put("max.in.flight.requests.per.connection", String.valueOf(maxInFlightRequests));
        p.put("compression.type", compression.name().toLowerCase(Locale.ROOT));
        p.put("retries", String.valueOf(retries));
        p.put("retry.backoff.ms", String.valueOf(retryBackoff.toMillis()));
        p.put("retry.backoff.max.ms", String.valueOf(retryBackoffMax.toMillis()));
        p.put("request.timeout.ms", String.valueOf(Math.min(Integer.MAX_VALUE, requestTimeout.toMillis())));
        p.put("delivery.timeout.ms", String.valueOf(Math.min(Integer.MAX_VALUE, deliveryTimeout.toMillis())));
        boolean durable = acks.equals("durable");
        p.put("acks", durable ? "all" : "1");
        p.put("enable.idempotence", String.valueOf(durable));
        return p;
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.linger = linger;
        b.batchBytes = batchBytes;
        b.maxRequestBytes = maxRequestBytes;
        b.bufferMemoryBytes = bufferMemoryBytes;
        b.maxBlock = maxBlock;
        b.maxInFlightRequests = maxInFlightRequests;
        b.compression = compression;
        b.retries = retries;
        b.retryBackoff = retryBackoff;
        b.retryBackoffMax = retryBackoffMax;
        b.requestTimeout = requestTimeout;
        b.deliveryTimeout = deliveryTimeout;
        b.acks = acks;
        b.kafkaProperties.putAll(kafkaProperties);
        return b;
    }

    /** Mutable builder for {@link ProducerConfig}. */
    public static final class Builder {
        private Duration linger = Duration.ofMillis(5);
        private int batchBytes = 256 * 1024;
        private int maxRequestBytes = 4 * 1024 * 1024;
        private long bufferMemoryBytes = 64L * 1024 * 1024;
        private Duration maxBlock = Duration.ofSeconds(60);
        private int maxInFlightRequests = 5;
        private Compression compression = Compression.LZ4;
        private int retries = Integer.MAX_VALUE;
        private Duration retryBackoff = Duration.ofMillis(50);
        private Duration retryBackoffMax = Duration.ofSeconds(1);
        private Duration requestTimeout = Duration.ofSeconds(30);
        private Duration deliveryTimeout = Duration.ofMinutes(2);
        private String acks = "leader";
        private final Map<String, Object> kafkaProperties = new LinkedHashMap<>();

        public Builder linger(Duration v) { linger = v; return this; }
        public Builder batchBytes(int v) { batchBytes = v; return this; }
        public Builder maxRequestBytes(int v) { maxRequestBytes = v; return this; }
        public Builder bufferMemoryBytes(long v) { bufferMemoryBytes = v; return this; }
        public Builder maxBlock(Duration v) { maxBlock = v; return this; }
        public Builder maxInFlightRequests(int v) { maxInFlightRequests = v; return this; }
        public Builder compression(Compression v) { compression = v; return this; }
        public Builder retries(int v) { retries = v; return this; }
        public Builder retryBackoff(Duration v) { retryBackoff = v; return this; }
        public Builder retryBackoffMax(Duration v) { retryBackoffMax = v; return this; }
        public Builder requestTimeout(Duration v) { requestTimeout = v; return this; }
        public Builder deliveryTimeout(Duration v) { deliveryTimeout = v; return this; }
        public Builder acks(String v) { acks = v; return this; }

        /** One further kafka-clients producer property (see {@link ProducerConfig#kafkaProperties()}). */
        public Builder kafkaProperty(String key, Object value) { kafkaProperties.put(key, value); return this; }

        public ProducerConfig build() {
            return new ProducerConfig(linger, batchBytes, maxRequestBytes, bufferMemoryBytes, maxBlock, maxInFlightRequests,
                    compression, retries, retryBackoff, retryBackoffMax, requestTimeout, deliveryTimeout, acks,
                    kafkaProperties);
        }
    }
}
