package io.tierlog.loadtest.jmh;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tierlog.core.Compression;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.FsyncPolicy;
import io.tierlog.hot.LogConfig;
import io.tierlog.hot.LogManager;
import io.tierlog.ingest.Acks;
import io.tierlog.ingest.AppendAck;
import io.tierlog.ingest.IngestConfig;
import io.tierlog.ingest.IngestPipeline;
import org.HdrHistogram.ConcurrentHistogram;

import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Ack latency at a fraction of the maximum load (not JMH: JMH measures throughput or closed-loop time, while
 * latency under a fixed offered rate needs an open loop). Phase 1 finds the maximum publish rate with closed
 * loops; phase 2 offers {@code loadFraction} of it at a fixed pace and records, per publish, the time from its
 * intended send time to its ack (so a stalled publisher cannot hide latency: no coordinated omission).
 *
 * <p>Arguments: {@code batchEvents publishers seconds loadFraction fsync(NEVER|INTERVAL_10MS) acks(LEADER|DURABLE)
 * waitStrategy}, defaults {@code 100 2 10 0.5 NEVER LEADER BLOCKING}.
 */
public final class AckLatency {
    private static final int PARTITIONS = 4;
    private static final int WINDOW = 64;

    private AckLatency() {
    }

    public static void main(String[] args) throws Exception {
        int batchEvents = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        int publishers = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        double fraction = args.length > 3 ? Double.parseDouble(args[3]) : 0.5;
        String fsync = args.length > 4 ? args[4] : "NEVER";
        Acks acks = args.length > 5 ? Acks.parse(args[5]) : Acks.LEADER;
        IngestConfig config = args.length > 6
                ? IngestConfig.defaults().withWaitStrategy(IngestConfig.WaitStrategy.valueOf(args[6]))
                : IngestConfig.defaults();
        PrintStream out = System.out;

        Path dir = Files.createTempDirectory("tierlog-ack-latency");
        FsyncPolicy policy = fsync.equals("NEVER") ? FsyncPolicy.NEVER : FsyncPolicy.interval(10);
        LogConfig logConfig = LogConfig.DEFAULTS.withSegmentBytes(64L * 1024 * 1024).withFsyncPolicy(policy);
        List<TopicPartition> tps = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
            tps.add(new TopicPartition("latency", p));
        }
        try (LogManager manager = new LogManager(dir);
             IngestPipeline pipeline = new IngestPipeline(config, tp -> manager.open(tp, logConfig),
                     new SimpleMeterRegistry())) {
            // phase 1: closed loops at full speed (3 s warm-up, then 5 s measured)
            runClosed(pipeline, tps, publishers, batchEvents, acks, 3);
            double maxRate = runClosed(pipeline, tps, publishers, batchEvents, acks, 5);
            cleanup(manager, tps);
            double rate = maxRate * fraction;
            out.printf(Locale.ROOT, "max: %.0f publishes/s = %.0f events/s (batch %d, %d publishers, fsync %s, acks %s, wait %s, %d shards)%n",
                    maxRate, maxRate * batchEvents, batchEvents, publishers, fsync, acks, config.waitStrategy(), config.shards());
            // phase 2: open loop at the target rate; 2 s warm-up, then measured
            runPaced(pipeline, tps, publishers, batchEvents, acks, rate, 2, null);
            ConcurrentHistogram h = new ConcurrentHistogram(TimeUnit.SECONDS.toNanos(10), 3);
            runPaced(pipeline, tps, publishers, batchEvents, acks, rate, seconds, h);
            out.printf(Locale.ROOT, "offered: %.0f publishes/s = %.0f events/s (%.0f%% of max), %d acks measured%n",
                    rate, rate * batchEvents, fraction * 100, h.getTotalCount());
            out.printf(Locale.ROOT, "ack latency us: p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f%n",
                    h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(90) / 1e3,
                    h.getValueAtPercentile(99) / 1e3, h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3);
        } finally {
            BenchData.deleteRecursively(dir);
        }
    }

    private static void cleanup(LogManager manager, List<TopicPartition> tps) {
        for (TopicPartition tp : tps) {
            manager.get(tp).ifPresent(l -> l.deleteOldestSegmentsWhile(s -> true));
        }
    }

    private static ByteBuffer[] buffers(int batchEvents, int id) {
        ByteBuffer template = BenchData.batch(batchEvents, Compression.NONE, id * 1000L);
        ByteBuffer[] b = new ByteBuffer[WINDOW];
        for (int i = 0; i < WINDOW; i++) {
            b[i] = BenchData.copy(template);
        }
        return b;
    }

    /** Closed loops with WINDOW publishes in flight per publisher; returns publishes per second. */
    private static double runClosed(IngestPipeline pipeline, List<TopicPartition> tps, int publishers, int batchEvents,
                                    Acks acks, int seconds) throws InterruptedException {
        AtomicLong done = new AtomicLong();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < publishers; t++) {
            int id = t;
            Thread th = new Thread(() -> {
                ByteBuffer[] bufs = buffers(batchEvents, id);
                @SuppressWarnings("unchecked")
                CompletableFuture<AppendAck>[] inFlight = new CompletableFuture[WINDOW];
                long n = 0;
                while (System.nanoTime() < end) {
                    int slot = (int) (n & (WINDOW - 1));
                    if (inFlight[slot] != null) {
                        inFlight[slot].join();
                    }
                    inFlight[slot] = pipeline.append(tps.get((int) ((n + id) % PARTITIONS)), bufs[slot].duplicate(), acks);
                    n++;
                }
                for (CompletableFuture<AppendAck> f : inFlight) {
                    if (f != null) {
                        f.join();
                    }
                }
                done.addAndGet(n);
            });
            threads.add(th);
            th.start();
        }
        long start = System.nanoTime();
        for (Thread th : threads) {
            th.join();
        }
        return done.get() / ((System.nanoTime() - start) / 1e9);
    }

    /** Open loop: each publisher sends at a fixed pace; latency is measured from the intended send time. */
    private static void runPaced(IngestPipeline pipeline, List<TopicPartition> tps, int publishers, int batchEvents,
                                 Acks acks, double rate, int seconds, ConcurrentHistogram h) throws InterruptedException {
        long intervalNanos = (long) (1e9 * publishers / rate);
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(10);
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < publishers; t++) {
            int id = t;
            Thread th = new Thread(() -> {
                ByteBuffer[] bufs = buffers(batchEvents, id);
                @SuppressWarnings("unchecked")
                CompletableFuture<AppendAck>[] inFlight = new CompletableFuture[WINDOW];
                long first = start + intervalNanos * id / publishers;
                for (long n = 0; ; n++) {
                    long intended = first + n * intervalNanos;
                    if (intended >= end) {
                        break;
                    }
                    long wait;
                    while ((wait = intended - System.nanoTime()) > 0) {
                        if (wait > 60_000) {
                            LockSupport.parkNanos(wait - 50_000);
                        } else {
                            Thread.onSpinWait();
                        }
                    }
                    int slot = (int) (n & (WINDOW - 1));
                    if (inFlight[slot] != null) {
                        inFlight[slot].join();
                    }
                    CompletableFuture<AppendAck> f = pipeline.append(tps.get((int) ((n + id) % PARTITIONS)),
                            bufs[slot].duplicate(), acks);
                    if (h != null) {
                        f.thenRun(() -> h.recordValue(Math.max(0, System.nanoTime() - intended)));
                    }
                    inFlight[slot] = f;
                }
                for (CompletableFuture<AppendAck> f : inFlight) {
                    if (f != null) {
                        f.join();
                    }
                }
            });
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) {
            th.join();
        }
    }

}
