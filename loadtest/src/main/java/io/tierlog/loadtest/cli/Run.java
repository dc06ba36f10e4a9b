package io.tierlog.loadtest.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * The measurement harness every system under test shares: producer threads (fixed rate with latency taken
 * from the intended send time, which corrects for coordinated omission, or max rate), a tailing consumer for
 * end-to-end latency, a periodic historical query, a progress line per second, warm-up, and the result.
 * At a fixed rate each record carries its intended send time, so end-to-end latency is measured from it too.
 * A record that never made it (its send failed, it was due but never sent before the stop, or it was
 * acknowledged but never consumed) is recorded at the histograms' ceiling ({@link Latencies#MAX_MICROS}) and
 * counted separately: an overloaded system cannot look fast by dropping or delaying work.
 * Subclasses supply how one record is sent, consumed and queried.
 */
abstract class Run {
    /** Sends record number {@code seq}; {@code intendedNanos} is when it was due (System.nanoTime()). */
    interface ProducerLoop {
        void sendOne(long seq, long intendedNanos) throws Exception;
    }

    final String system;
    final Workload w;
    final PrintWriter out;
    final Path outDir;
    Latencies ack;
    Latencies e2e;
    Latencies coldQuery;
    Latencies hotQuery;
    private final AtomicLong ackedCount = new AtomicLong();
    private final AtomicLong ackedBytes = new AtomicLong();
    private final AtomicLong failedCount = new AtomicLong();
    private final AtomicLong consumedCount = new AtomicLong();
    private final AtomicLong unsentCount = new AtomicLong();
    private volatile long stopNanos;
    volatile boolean stopProducers;
    volatile boolean stopConsumer;
    private volatile boolean stopQueries;
    private final List<Throwable> producerErrors = new ArrayList<>();
    /** How long the consumer may take after the stop to read what was acknowledged. */
    Duration drainTimeout = Duration.ofSeconds(10);
    /** How long after the stop a fixed-rate producer may still send records that were due before it. */
    Duration stopGrace = Duration.ofMillis(100);

    Run(String system, Workload w, PrintWriter out, Path outDir) {
        this.system = system;
        this.w = w;
        this.out = out;
        this.outDir = outDir;
    }

    abstract void setUp() throws Exception;

    abstract ProducerLoop producerLoop(int index) throws Exception;

    /** The tailing consumer's loop (runs until {@link #stopConsumer}); subscribed before producers start. */
    abstract Runnable consumerLoop() throws Exception;

    /** One historical query, timed into {@link #coldQuery} or {@link #hotQuery}; may do nothing. */
    abstract void query() throws Exception;

    abstract long failedSends();

    /** Delivers what the producers still hold and closes them. */
    abstract void closeProducers() throws Exception;

    String progressExtra() {
        return "";
    }

    abstract void tearDown() throws Exception;

    /**
     * Callback of a send: records the ack latency from the intended send time; a failed send counts at the
     * ceiling, in the end-to-end latency too (the record will never be consumed).
     */
    final void acked(Throwable err, long intendedNanos, int bytes) {
        if (err == null) {
            ack.recordNanos(System.nanoTime() - intendedNanos);
            ackedCount.incrementAndGet();
            ackedBytes.addAndGet(bytes);
        } else {
            ack.recordMicros(Latencies.MAX_MICROS);
            if (w.consumer()) {
                e2e.recordMicros(Latencies.MAX_MICROS);
            }
            failedCount.incrementAndGet();
        }
    }

    /** Called by the consumer for each record with the stamp it carries: its intended send time ({@link #wallMicros}). */
    final void consumed(long intendedMicros) {
        e2e.recordMicros(nowMicros() - intendedMicros);
        consumedCount.incrementAndGet();
    }

    // one anchor maps System.nanoTime() to wall-clock microseconds: intended send times (nanoTime) are stamped into
    // records and compared with the consumer's clock, and neither moves when the wall clock is adjusted
    private static final long ANCHOR_NANOS = System.nanoTime();
    private static final long ANCHOR_MICROS = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());

    /** The wall-clock microsecond of a {@link System#nanoTime()} instant of this JVM. */
    static long wallMicros(long nanos) {
        return ANCHOR_MICROS + (nanos - ANCHOR_NANOS) / 1000;
    }

    static long nowMicros() {
        return wallMicros(System.nanoTime());
    }

    RunResult execute() throws Exception {
        long startMs = System.currentTimeMillis();
        ack = new Latencies("ack", outDir.resolve(system + "-ack-latency.hlog").toFile(), startMs);
        e2e = new Latencies("e2e", outDir.resolve(system + "-e2e-latency.hlog").toFile(), startMs);
        coldQuery = new Latencies("cold-query", outDir.resolve(system + "-cold-query-latency.hlog").toFile(), startMs);
        hotQuery = new Latencies("hot-query", outDir.resolve(system + "-hot-query-latency.hlog").toFile(), startMs);
        try {
            setUp();
            Thread consumer = null;
            if (w.consumer()) {
                consumer = new Thread(consumerLoop(), system + "-consumer");
                consumer.setDaemon(true);
                consumer.start();
            }
            List<Thread> producers = new ArrayList<>();
            for (int i = 0; i < w.producers(); i++) {
                ProducerLoop loop = producerLoop(i);
                Thread t = new Thread(() -> drive(loop), system + "-producer-" + i);
                t.setDaemon(true);
                producers.add(t);
            }
            Thread queries = null;
            if (w.queryIntervalMs() > 0) {
                queries = new Thread(this::queryLoop, system + "-queries");
                queries.setDaemon(true);
                queries.start();
            }
            producers.forEach(Thread::start);
            long tick = TimeUnit.SECONDS.toNanos(1);
            long warmupTicks = (w.warmup().toMillis() + 999) / 1000;
            long durationTicks = Math.max(1, (w.duration().toMillis() + 999) / 1000);
            long begin = System.nanoTime();
            long windowStartNanos = begin;
            long windowStartAcked = 0;
            long windowStartBytes = 0;
            long windowStartConsumed = 0;
            long lastAcked = 0;
            long lastNanos = begin;
            if (warmupTicks == 0) {
                out.printf("[%s] measuring %d s%n", system, durationTicks);
            } else {
                out.printf("[%s] warming up %d s, then measuring %d s%n", system, warmupTicks, durationTicks);
            }
            for (long k = 1; k <= warmupTicks + durationTicks; k++) {
                long due = begin + k * tick;
                for (long now = System.nanoTime(); due - now > 0; now = System.nanoTime()) {
                    LockSupport.parkNanos(due - now);
                }
                boolean inWindow = k - 1 >= warmupTicks;
                Histogram a = ack.sample(inWindow);
                Histogram e = e2e.sample(inWindow);
                coldQuery.sample(inWindow);
                hotQuery.sample(inWindow);
                long now = System.nanoTime();
                long acked = ackedCount.get();
                double rate = (acked - lastAcked) / ((now - lastNanos) / 1e9);
                out.printf(Locale.ROOT, "[%s %3ds]%s acked %,10.0f/s | ack p50 %s p99 %s max %s | e2e p50 %s p99 %s"
                                + " | lag %,d | failed %,d | %s%n",
                        system, k, inWindow ? "" : " warm-up", rate, p(a, 50), p(a, 99), p(a, 100), p(e, 50), p(e, 99),
                        Math.max(0, acked - consumedCount.get()), failedCount.get(), progressExtra());
                out.flush();
                lastAcked = acked;
                lastNanos = now;
                if (k == warmupTicks) {
                    windowStartNanos = now;
                    windowStartAcked = acked;
                    windowStartBytes = ackedBytes.get();
                    windowStartConsumed = consumedCount.get();
                }
            }
            long windowEndNanos = System.nanoTime();
            long windowAcked = ackedCount.get() - windowStartAcked;
            long windowBytes = ackedBytes.get() - windowStartBytes;
            long windowConsumed = consumedCount.get() - windowStartConsumed;
            stopNanos = windowEndNanos;
            stopProducers = true;
            for (Thread t : producers) {
                // a producer blocked on a full buffer returns within the SDK's / Kafka's max block time
                t.join(TimeUnit.SECONDS.toMillis(90));
                if (t.isAlive()) {
                    throw new IllegalStateException(t.getName() + " did not stop within 90 s");
                }
            }
            closeProducers();
            // acks of records sent inside the window that arrived after it still belong to its latency
            ack.sample(true);
            long undelivered = 0;
            if (consumer != null) {
                long deadline = System.nanoTime() + drainTimeout.toNanos();
                while (consumedCount.get() < ackedCount.get() && System.nanoTime() - deadline < 0) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
                }
                stopConsumer = true;
                consumer.join(TimeUnit.SECONDS.toMillis(5));
                undelivered = Math.max(0, ackedCount.get() - consumedCount.get());
                e2e.recordMicros(Latencies.MAX_MICROS, undelivered);
                e2e.sample(true);
            }
            stopQueries = true;
            if (queries != null) {
                queries.join(TimeUnit.SECONDS.toMillis(30));
            }
            coldQuery.sample(true);
            hotQuery.sample(true);
            synchronized (producerErrors) {
                if (!producerErrors.isEmpty()) {
                    out.printf("[%s] %d producer thread(s) failed, first: %s%n", system, producerErrors.size(),
                            producerErrors.get(0));
                }
            }
            RunResult r = new RunResult(system, windowAcked, Math.max(failedCount.get(), failedSends()), unsentCount.get(),
                    undelivered, (windowEndNanos - windowStartNanos) / 1e9, windowBytes, windowConsumed,
                    ack.total(), e2e.total(), coldQuery.total(), hotQuery.total());
            Map<String, Histogram> series = new LinkedHashMap<>();
            series.put(system + " ack", r.ack());
            series.put(system + " end-to-end", r.e2e());
            series.put(system + " cold query", r.coldQuery());
            series.put(system + " hot query", r.hotQuery());
            Plot.write(outDir.resolve(system + "-latency.html"), system + " latency by percentile", series);
            return r;
        } finally {
            stopProducers = true;
            stopConsumer = true;
            stopQueries = true;
            try {
                tearDown();
            } finally {
                ack.close();
                e2e.close();
                coldQuery.close();
                hotQuery.close();
            }
        }
    }

    private void drive(ProducerLoop loop) {
        long interval = w.sendIntervalNanos();
        long t0 = System.nanoTime();
        long seq = 0;
        try {
            while (true) {
                long intended;
                if (interval > 0) {
                    intended = t0 + seq * interval;
                    if (stopProducers) {
                        // after the stop only records that were due before it, sent late (a pacer a little behind),
                        // for a short grace; the rest (a producer stalled on a full buffer) were never sent
                        if (intended - stopNanos >= 0) {
                            break;
                        }
                        if (System.nanoTime() - stopNanos > stopGrace.toNanos()) {
                            countUnsent(intended, interval);
                            break;
                        }
                    } else {
                        for (long now = System.nanoTime(); intended - now > 0 && !stopProducers; now = System.nanoTime()) {
                            LockSupport.parkNanos(intended - now);
                        }
                        if (stopProducers) {
                            continue;
                        }
                    }
                } else if (stopProducers) {
                    break;
                } else {
                    intended = System.nanoTime();
                }
                loop.sendOne(seq++, intended);
            }
        } catch (Exception | Error e) {
            synchronized (producerErrors) {
                producerErrors.add(e);
            }
        }
    }

    /**
     * The records from {@code nextIntended} on that were due before the stop and still unsent after the grace (the
     * producer was stalled, e.g. blocked on a full buffer) were never sent: they count at the ceiling.
     */
    private void countUnsent(long nextIntended, long interval) {
        long behind = stopNanos - nextIntended;
        if (behind < 0) {
            return;
        }
        long unsent = behind / interval + 1;
        unsentCount.addAndGet(unsent);
        ack.recordMicros(Latencies.MAX_MICROS, unsent);
        if (w.consumer()) {
            e2e.recordMicros(Latencies.MAX_MICROS, unsent);
        }
    }

    private void queryLoop() {
        while (!stopQueries) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(w.queryIntervalMs()));
            if (stopQueries) {
                return;
            }
            try {
                query();
            } catch (Exception e) {
                out.printf("[%s] query failed: %s%n", system, e);
            }
        }
    }

    private static String p(Histogram h, double pct) {
        if (h.getTotalCount() == 0) {
            return "-";
        }
        return RunResult.ms(pct >= 100 ? h.getMaxValue() : h.getValueAtPercentile(pct));
    }
}
