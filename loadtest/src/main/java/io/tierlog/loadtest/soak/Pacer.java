package io.tierlog.loadtest.soak;

import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * A bounded request loop at a fixed rate: request {@code k} is due at {@code start + k * interval} (the intended
 * send time, not the end of the previous request, so a slow answer cannot lower the offered rate unnoticed). The
 * loop runs one request at a time; when it falls more than {@code maxLag} behind, the requests due before {@code now
 * - maxLag} are skipped and counted as unsent instead of being sent in a burst. So there is no queue of work at all:
 * what the server could not take shows up as unsent. Not thread-safe: one pacer per loop thread.
 */
final class Pacer {
    /** One request of the loop; {@code seq} counts from 0 over due requests (skipped ones included). */
    interface Step {
        void run(long seq) throws InterruptedException;
    }

    private final long intervalNanos;
    private final long maxLagNanos;
    private final Outcomes outcomes;

    Pacer(long intervalNanos, long maxLagNanos, Outcomes outcomes) {
        if (intervalNanos <= 0 || maxLagNanos < intervalNanos) {
            throw new IllegalArgumentException("interval must be > 0 and max lag >= interval");
        }
        this.intervalNanos = intervalNanos;
        this.maxLagNanos = maxLagNanos;
        this.outcomes = outcomes;
    }

    /** Runs {@code step} on schedule until {@code stop} answers true; returns when stopped or interrupted. */
    void run(long startNanos, BooleanSupplier stop, Step step) throws InterruptedException {
        long seq = 0;
        while (!stop.getAsBoolean()) {
            long due = startNanos + seq * intervalNanos;
            long now = System.nanoTime();
            if (now - due > maxLagNanos) {
                long skip = (now - due - maxLagNanos) / intervalNanos + 1;
                outcomes.unsent(skip);
                seq += skip;
                continue;
            }
            while (due - now > 0 && !stop.getAsBoolean()) {
                LockSupport.parkNanos(Math.min(due - now, 100_000_000L)); // wakes at least every 100 ms to see a stop
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
                now = System.nanoTime();
            }
            if (stop.getAsBoolean()) {
                return;
            }
            step.run(seq++);
        }
    }
}
