package io.tierlog.cold.testing;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tierlog.cold.ColdTier;
import io.tierlog.cold.ColdTierConfig;
import io.tierlog.cold.ObjectStore;
import io.tierlog.hot.LogManager;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.UUID;

/**
 * What each cold-tier integration test sets up and tears down alike: a hot-tier log manager in the test's directory,
 * a meter registry, a configuration whose key prefix no other test uses (the S3 server is shared by a class), and the
 * cold tiers and other resources it opened, closed in reverse order at the end.
 */
public final class TierTestBed implements AutoCloseable {
    private final LogManager logs;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ColdTierConfig config;
    private final Deque<AutoCloseable> closers = new ArrayDeque<>();

    /** Logs under {@code dir/data}; keys under {@code <tag>-<uuid>}; upload retries backing off from min to max. */
    public TierTestBed(Path dir, String tag, Duration retryMin, Duration retryMax) {
        this.logs = new LogManager(dir.resolve("data"));
        this.config = ColdTierConfig.DEFAULTS.withKeyPrefix(tag + "-" + UUID.randomUUID()).withRetryBackoff(retryMin, retryMax);
    }

    public LogManager logs() {
        return logs;
    }

    public SimpleMeterRegistry registry() {
        return registry;
    }

    public ColdTierConfig config() {
        return config;
    }

    /** A started cold tier over {@code store}, closed at the end. */
    public ColdTier tier(ObjectStore store, ColdTierConfig c, MeterRegistry meters) {
        ColdTier t = closeAtEnd(new ColdTier(store, c, meters));
        t.start();
        return t;
    }

    /** Closes {@code resource} at the end (before the ones registered earlier). */
    public <T extends AutoCloseable> T closeAtEnd(T resource) {
        closers.push(resource);
        return resource;
    }

    @Override
    public void close() throws Exception {
        while (!closers.isEmpty()) {
            closers.pop().close();
        }
        logs.close();
    }
}
