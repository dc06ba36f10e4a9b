package io.tierlog.sdk;

import io.tierlog.core.Compression;
import java.time.Duration;

/**
 * How a {@link TierlogProducer} batches, bounds its memory and retries. The defaults favour throughput with a
 * small added latency (5 ms linger), like Kafka's modern defaults.
 *
 * @param linger              how long a partition's open batch may wait for more records before it is sent
 * @param batchBytes          a batch is sent once its estimated encoded size reaches this many bytes
 * @param maxRequestBytes     upper bound on one request's body (several batches of a partition may share it)
 * @param bufferMemoryBytes   bytes of records held (queued or in flight) before {@code send} blocks or fails
 * @param blockOnBufferFull   true: {@code send} waits up to {@code maxBlock} for memory; false: fails at once
 * @param maxBlock            longest wait for buffer memory when blocking
 * @param maxInFlightRequests requests outstanding at once over all partitions (one per partition at most,
 *                            which keeps each partition in send order even across retries)
 * @param compression         codec applied to each batch on the client
 * @param retries             attempts after the first on 503 and connection errors
 * @param retryBackoff        first backoff; doubles per attempt up to {@code retryBackoffMax}
 * @param retryBackoffMax     largest backoff (a server's Retry-After is honoured up to this bound)
 * @param deliveryTimeout     a record fails if not acknowledged this long after it was sent
 * @param acks                {@code leader} (default) or {@code durable} (acknowledged after fsync)
 */
public record ProducerConfig(Duration linger, int batchBytes, int maxRequestBytes, long bufferMemoryBytes,
                             boolean blockOnBufferFull, Duration maxBlock, int maxInFlightRequests,
                             Compression compression, int retries, Duration retryBackoff, Duration retryBackoffMax,
                             Duration deliveryTimeout, String acks) {

    public ProducerConfig {
        if (linger.isNegative() || batchBytes <= 0 || maxRequestBytes < batchBytes || bufferMemoryBytes < maxRequestBytes
                || maxBlock.isNegative() || maxInFlightRequests <= 0 || retries < 0 || retryBackoff.isNegative()
                || retryBackoffMax.compareTo(retryBackoff) < 0 || deliveryTimeout.isNegative() || deliveryTimeout.isZero()) {
            throw new IllegalArgumentException("invalid producer config"
                    + ": need linger >= 0, 0 < batchBytes <= maxRequestBytes <= bufferMemoryBytes, maxInFlightRequests > 0,"
                    + " retries >= 0, retryBackoff <= retryBackoffMax, deliveryTimeout > 0");
        }
        if (!acks.equals("leader") && !acks.equals("durable")) {
            throw new IllegalArgumentException("acks must be 'leader' or 'durable', was '" + acks + "'");
        }
    }

    public static ProducerConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.linger = linger;
        b.batchBytes = batchBytes;
        b.maxRequestBytes = maxRequestBytes;
        b.bufferMemoryBytes = bufferMemoryBytes;
        b.blockOnBufferFull = blockOnBufferFull;
        b.maxBlock = maxBlock;
        b.maxInFlightRequests = maxInFlightRequests;
        b.compression = compression;
        b.retries = retries;
        b.retryBackoff = retryBackoff;
        b.retryBackoffMax = retryBackoffMax;
        b.deliveryTimeout = deliveryTimeout;
        b.acks = acks;
        return b;
    }

    /** Mutable builder for {@link ProducerConfig}. */
    public static final class Builder {
        private Duration linger = Duration.ofMillis(5);
        private int batchBytes = 256 * 1024;
        private int maxRequestBytes = 4 * 1024 * 1024;
        private long bufferMemoryBytes = 64L * 1024 * 1024;
        private boolean blockOnBufferFull = true;
        private Duration maxBlock = Duration.ofSeconds(60);
        private int maxInFlightRequests = 16;
        private Compression compression = Compression.LZ4;
        private int retries = 10;
        private Duration retryBackoff = Duration.ofMillis(50);
        private Duration retryBackoffMax = Duration.ofSeconds(5);
        private Duration deliveryTimeout = Duration.ofMinutes(2);
        private String acks = "leader";

        public Builder linger(Duration v) { linger = v; return this; }
        public Builder batchBytes(int v) { batchBytes = v; return this; }
        public Builder maxRequestBytes(int v) { maxRequestBytes = v; return this; }
        public Builder bufferMemoryBytes(long v) { bufferMemoryBytes = v; return this; }
        public Builder blockOnBufferFull(boolean v) { blockOnBufferFull = v; return this; }
        public Builder maxBlock(Duration v) { maxBlock = v; return this; }
        public Builder maxInFlightRequests(int v) { maxInFlightRequests = v; return this; }
        public Builder compression(Compression v) { compression = v; return this; }
        public Builder retries(int v) { retries = v; return this; }
        public Builder retryBackoff(Duration v) { retryBackoff = v; return this; }
        public Builder retryBackoffMax(Duration v) { retryBackoffMax = v; return this; }
        public Builder deliveryTimeout(Duration v) { deliveryTimeout = v; return this; }
        public Builder acks(String v) { acks = v; return this; }

        public ProducerConfig build() {
            return new ProducerConfig(linger, batchBytes, maxRequestBytes, bufferMemoryBytes, blockOnBufferFull, maxBlock,
                    maxInFlightRequests, compression, retries, retryBackoff, retryBackoffMax, deliveryTimeout, acks);
        }
    }
}
