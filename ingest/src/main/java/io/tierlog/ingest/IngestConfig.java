package io.tierlog.ingest;

import com.lmax.disruptor.BlockingWaitStrategy;
import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.LiteBlockingWaitStrategy;
import com.lmax.disruptor.PhasedBackoffWaitStrategy;
import com.lmax.disruptor.SleepingWaitStrategy;
import com.lmax.disruptor.YieldingWaitStrategy;
import io.tierlog.core.Compression;
import io.tierlog.core.Limits;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Settings of the {@link IngestPipeline}, one immutable value so that the server's configuration file maps
 * onto it field by field. {@link #defaults()} is sized for a small machine and never burns an idle core.
 *
 * @param shards           number of rings, each with one writer thread; a partition always maps to the same shard
 * @param ringSize         slots per ring (power of two); bounds the publishes in flight per shard
 * @param publishTimeout   how long a publish waits for a free slot before {@link OverloadedException}
 * @param waitStrategy     how an idle writer waits for work
 * @param defaultAcks      acks used when a publish passes {@code null}
 * @param eventCompression codec of the batches the pipeline encodes from metric events
 * @param limits           bounds metric events are validated against
 * @param flushTick        period of the timer that lets interval fsyncs happen while the writers are idle
 * @param maxCoalesceBytes largest stored write made by concatenating consecutive publishes of one partition
 * @param shutdownTimeout  how long {@link IngestPipeline#close()} waits for the rings to drain
 */
public record IngestConfig(int shards, int ringSize, Duration publishTimeout, WaitStrategy waitStrategy,
                           Acks defaultAcks, Compression eventCompression, Limits limits, Duration flushTick,
                           int maxCoalesceBytes, Duration shutdownTimeout) {

    /** How an idle writer waits; see the Disruptor documentation of the strategy with the same name. */
    public enum WaitStrategy {
        /** Lock and condition, signalled on every publish: no CPU while idle, a few microseconds to wake. */
        BLOCKING,
        /**
         * Lock and condition, signalled only when the writer waits: no CPU while idle, and a publish to a busy writer
         * (the common case under load) takes no lock and wakes nobody.
         */
        LITE_BLOCKING,
        /** Spins briefly, then yields, then parks with a condition (lite lock): low latency, idle-friendly. */
        PHASED_BACKOFF,
        /** Spins, yields, then sleeps 100 ns at a time: low latency, a little CPU while idle. */
        SLEEPING,
        /** Spins then yields: lowest latency, burns a core. Only for dedicated machines. */
        YIELDING,
        /** Busy spin: burns a core. Only for dedicated machines. */
        BUSY_SPIN;

        com.lmax.disruptor.WaitStrategy create() {
            return switch (this) {
                case BLOCKING -> new BlockingWaitStrategy();
                case LITE_BLOCKING -> new LiteBlockingWaitStrategy();
                case PHASED_BACKOFF -> PhasedBackoffWaitStrategy.withLiteLock(20, 200, TimeUnit.MICROSECONDS);
                case SLEEPING -> new SleepingWaitStrategy();
                case YIELDING -> new YieldingWaitStrategy();
                case BUSY_SPIN -> new BusySpinWaitStrategy();
            };
        }
    }

    public IngestConfig {
        if (shards < 1 || shards > 256) {
            throw new IllegalArgumentException("shards must be in 1..256, was " + shards);
        }
        if (ringSize < 2 || ringSize > (1 << 24) || Integer.bitCount(ringSize) != 1) {
            throw new IllegalArgumentException("ringSize must be a power of two in 2.." + (1 << 24) + ", was " + ringSize);
        }
        requirePositive(publishTimeout, "publishTimeout", true);
        requirePositive(flushTick, "flushTick", false);
        requirePositive(shutdownTimeout, "shutdownTimeout", false);
        if (waitStrategy == null || defaultAcks == null || eventCompression == null || limits == null) {
            throw new IllegalArgumentException("waitStrategy, defaultAcks, eventCompression and limits are required");
        }
        if (maxCoalesceBytes < 0 || maxCoalesceBytes > 64 * 1024 * 1024) {
            throw new IllegalArgumentException("maxCoalesceBytes must be in 0..64 MiB, was " + maxCoalesceBytes);
        }
    }

    private static void requirePositive(Duration d, String name, boolean zeroAllowed) {
        if (d == null || d.isNegative() || (!zeroAllowed && d.isZero())) {
            throw new IllegalArgumentException(name + " must be " + (zeroAllowed ? ">= 0" : "> 0") + ", was " + d);
        }
    }

    /** Half the cores (at least one) as shards, 4096 slots each, 200 ms publish timeout, blocking wait. */
    public static IngestConfig defaults() {
        int shards = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
        return new IngestConfig(shards, 4096, Duration.ofMillis(200), WaitStrategy.BLOCKING, Acks.LEADER,
                Compression.NONE, Limits.DEFAULTS, Duration.ofMillis(5), 1024 * 1024, Duration.ofSeconds(10));
    }

    public IngestConfig withShards(int v) {
        return new IngestConfig(v, ringSize, publishTimeout, waitStrategy, defaultAcks, eventCompression, limits, flushTick, maxCoalesceBytes, shutdownTimeout);
    }

    public IngestConfig withRingSize(int v) {
        return new IngestConfig(shards, v, publishTimeout, waitStrategy, defaultAcks, eventCompression, limits, flushTick, maxCoalesceBytes, shutdownTimeout);
    }

    public IngestConfig withPublishTimeout(Duration v) {
        return new IngestConfig(shards, ringSize, v, waitStrategy, defaultAcks, eventCompression, limits, flushTick, maxCoalesceBytes, shutdownTimeout);
    }

    public IngestConfig withWaitStrategy(WaitStrategy v) {
        return new IngestConfig(shards, ringSize, publishTimeout, v, defaultAcks, eventCompression, limits, flushTick, maxCoalesceBytes, shutdownTimeout);
    }

    public IngestConfig withDefaultAcks(Acks v) {
        return new IngestConfig(shards, ringSize, publishTimeout, waitStrategy, v, eventCompression, limits, flushTick, maxCoalesceBytes, shutdownTimeout);
    }

    public IngestConfig withEventCompression(Compression v) {
        return new IngestConfig(shards, ringSize, publishTimeout, waitStrategy, defaultAcks, v, limits, flushTick, maxCoalesceBytes, shutdownTimeout);
    }

    public IngestConfig withLimits(Limits v) {
        return new IngestConfig(shards, ringSize, publishTimeout, waitStrategy, defaultAcks, eventCompression, v, flushTick, maxCoalesceBytes, shutdownTimeout);
    }

    public IngestConfig withFlushTick(Duration v) {
        return new IngestConfig(shards, ringSize, publishTimeout, waitStrategy, defaultAcks, eventCompression, limits, v, maxCoalesceBytes, shutdownTimeout);
    }

    public IngestConfig withMaxCoalesceBytes(int v) {
        return new IngestConfig(shards, ringSize, publishTimeout, waitStrategy, defaultAcks, eventCompression, limits, flushTick, v, shutdownTimeout);
    }

    public IngestConfig withShutdownTimeout(Duration v) {
        return new IngestConfig(shards, ringSize, publishTimeout, waitStrategy, defaultAcks, eventCompression, limits, flushTick, maxCoalesceBytes, v);
    }
}
