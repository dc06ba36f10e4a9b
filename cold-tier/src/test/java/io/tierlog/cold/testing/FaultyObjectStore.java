package io.tierlog.cold.testing;

import io.tierlog.cold.ObjectMeta;
import io.tierlog.cold.ObjectStore;
import io.tierlog.cold.ObjectStoreException;

import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An {@link ObjectStore} wrapper that injects faults on demand: the next N segment uploads or manifest writes
 * fail (as an S3 500/503 would after the SDK's own retries), every write fails while "down", calls are slowed
 * down, or the whole delegate is swapped (e.g. for a client whose endpoint refuses connections). Counts calls.
 */
public final class FaultyObjectStore implements ObjectStore {
    private final AtomicReference<ObjectStore> delegate;
    public final AtomicInteger failSegmentPuts = new AtomicInteger();
    public final AtomicInteger failManifestPuts = new AtomicInteger();
    public volatile boolean manifestWritesDown;
    public volatile boolean writesDown;
    public volatile long delayMs;
    /** When set, manifest writes wait until it opens (a hung S3 request). */
    public volatile java.util.concurrent.CountDownLatch manifestGate;
    public final AtomicInteger segmentPuts = new AtomicInteger();
    public final AtomicInteger manifestPuts = new AtomicInteger();
    public final AtomicInteger rangedGets = new AtomicInteger();
    public final AtomicInteger injectedFailures = new AtomicInteger();
    public final AtomicLong lastFailureNanos = new AtomicLong();

    public FaultyObjectStore(ObjectStore delegate) {
        this.delegate = new AtomicReference<>(delegate);
    }

    /** Routes every later call to {@code next}; returns the previous delegate. */
    public ObjectStore swap(ObjectStore next) {
        return delegate.getAndSet(next);
    }

    private ObjectStore d() {
        if (delayMs > 0) {
            try {
                Thread.sleep(delayMs); // simulates a slow server, not test synchronisation
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ObjectStoreException("interrupted", e);
            }
        }
        return delegate.get();
    }

    private void fail(String what) {
        injectedFailures.incrementAndGet();
        lastFailureNanos.set(System.nanoTime());
        throw new ObjectStoreException("injected fault: S3 " + what + " failed: 503 SlowDown");
    }

    @Override
    public void put(String key, byte[] bytes) {
        if (key.endsWith("manifest.bin")) {
            manifestPuts.incrementAndGet();
            java.util.concurrent.CountDownLatch gate = manifestGate;
            if (gate != null) {
                try {
                    gate.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ObjectStoreException("interrupted", e);
                }
            }
            if (writesDown || manifestWritesDown || decrementIfPositive(failManifestPuts)) {
                fail("put " + key);
            }
        } else if (writesDown) {
            fail("put " + key);
        }
        d().put(key, bytes);
    }

    @Override
    public void putFile(String key, Path file, long length, byte[] trailer) {
        segmentPuts.incrementAndGet();
        if (writesDown || decrementIfPositive(failSegmentPuts)) {
            fail("put " + key);
        }
        d().putFile(key, file, length, trailer);
    }

    private static boolean decrementIfPositive(AtomicInteger n) {
        return n.getAndUpdate(v -> v > 0 ? v - 1 : 0) > 0;
    }

    @Override
    public byte[] getRange(String key, long offset, int length) {
        rangedGets.incrementAndGet();
        return d().getRange(key, offset, length);
    }

    @Override
    public byte[] get(String key) {
        return d().get(key);
    }

    @Override
    public Optional<ObjectMeta> head(String key) {
        return d().head(key);
    }

    @Override
    public List<ObjectMeta> list(String prefix) {
        return d().list(prefix);
    }

    @Override
    public void delete(String key) {
        if (writesDown) {
            fail("delete " + key);
        }
        d().delete(key);
    }

    @Override
    public void deleteAll(Collection<String> keys) {
        if (writesDown) {
            fail("delete " + keys.size() + " objects");
        }
        d().deleteAll(keys);
    }

    @Override
    public void close() {
        delegate.get().close();
    }
}
