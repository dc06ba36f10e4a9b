package io.tierlog.server;

import io.tierlog.cold.ObjectMeta;
import io.tierlog.cold.ObjectNotFoundException;
import io.tierlog.cold.ObjectStore;
import io.tierlog.cold.ObjectStoreException;

import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The object store as the server sees it, for {@code /v1/health}: wraps the cold tier's {@link ObjectStore} and
 * remembers whether its latest call reached the store. An operator (or a load balancer) can then tell a server
 * whose cold tier is down (hot data still served, offload lag growing) from a healthy one without reading logs.
 * A missing object is an answer from the store, so it counts as reachable.
 */
final class ObjectStoreWatch implements ObjectStore {
    private final ObjectStore store;
    private volatile boolean reachable = true;
    private volatile long changedAtMs = System.currentTimeMillis();
    private volatile String lastError;

    ObjectStoreWatch(ObjectStore store) {
        this.store = store;
    }

    /** True unless the latest call failed for a reason other than a missing object. */
    boolean reachable() {
        return reachable;
    }

    /** When {@link #reachable()} last changed (epoch ms). */
    long changedAtMs() {
        return changedAtMs;
    }

    /** The latest failure's message (null before any). */
    String lastError() {
        return lastError;
    }

    private <T> T watch(Supplier<T> call) {
        try {
            T result = call.get();
            mark(true);
            return result;
        } catch (ObjectNotFoundException e) {
            mark(true);
            throw e;
        } catch (ObjectStoreException e) {
            lastError = e.getMessage();
            mark(false);
            throw e;
        }
    }

    private void watchRun(Runnable call) {
        watch(() -> {
            call.run();
            return null;
        });
    }

    private void mark(boolean ok) {
        if (reachable != ok) {
            changedAtMs = System.currentTimeMillis();
            reachable = ok;
        }
    }

    @Override
    public void put(String key, byte[] bytes) {
        watchRun(() -> store.put(key, bytes));
    }

    @Override
    public void putFile(String key, Path file, long length, byte[] trailer) {
        watchRun(() -> store.putFile(key, file, length, trailer));
    }

    @Override
    public byte[] getRange(String key, long offset, int length) {
        return watch(() -> store.getRange(key, offset, length));
    }

    @Override
    public byte[] get(String key) {
        return watch(() -> store.get(key));
    }

    @Override
    public Optional<ObjectMeta> head(String key) {
        return watch(() -> store.head(key));
    }

    @Override
    public List<ObjectMeta> list(String prefix) {
        return watch(() -> store.list(prefix));
    }

    @Override
    public void delete(String key) {
        watchRun(() -> store.delete(key));
    }

    @Override
    public void deleteAll(Collection<String> keys) {
        watchRun(() -> store.deleteAll(keys));
    }

    @Override
    public void close() {
        store.close();
    }
}
