package io.tierlog.server;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A start-up step that needs a remote peer (the object store's bucket check), retried on a daemon thread with
 * doubling, jittered backoff until it succeeds or the server closes. It exists so that an object-store outage
 * at a restart does not keep the server, and with it ingest and the hot tier, from starting.
 */
final class BackgroundRetry implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BackgroundRetry.class);

    private final String what;
    private final Runnable step;
    private final Duration initial;
    private final Duration max;
    private final Thread thread;
    private volatile boolean succeeded;

    private BackgroundRetry(String what, Runnable step, Duration initial, Duration max) {
        this.what = what;
        this.step = step;
        this.initial = initial;
        this.max = max;
        this.thread = Thread.ofPlatform().daemon().name("tierlog-retry-" + what.replace(' ', '-')).unstarted(this::loop);
    }

    /** Starts retrying {@code step} (its first attempt runs after {@code initial}). */
    static BackgroundRetry start(String what, Runnable step, Duration initial, Duration max) {
        BackgroundRetry r = new BackgroundRetry(what, step, initial, max);
        r.thread.start();
        return r;
    }

    /** True once the step ran without throwing. */
    boolean succeeded() {
        return succeeded;
    }

    private void loop() {
        long delayMs = initial.toMillis();
        for (int attempt = 1; ; attempt++) {
            try {
                // the backoff between attempts against a peer that is down, not a test synchronisation
                Thread.sleep(delayMs / 2 + ThreadLocalRandom.current().nextLong(delayMs / 2 + 1));
            } catch (InterruptedException e) {
                return;
            }
            try {
                step.run();
                succeeded = true;
                LOG.info("{}: succeeded after {} background attempt(s)", what, attempt);
                return;
            } catch (RuntimeException e) {
                if (attempt == 1 || attempt % 10 == 0) {
                    LOG.warn("{}: attempt {} failed, retrying in the background: {}", what, attempt, e.getMessage());
                }
            }
            delayMs = Math.min(delayMs * 2, max.toMillis());
        }
    }

    /** Stops retrying (a step in progress finishes first, within its own timeouts). */
    @Override
    public void close() {
        thread.interrupt();
    }
}
