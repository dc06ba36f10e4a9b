package io.tierlog.core;

import java.util.concurrent.ConcurrentHashMap;

/**
 * A bounded, thread-safe cache keyed by the content of byte arrays. Metric topics hold few distinct series
 * and many samples of each, so work done once per series key (parsing, validation) is worth remembering;
 * when the cache is full it is cleared wholesale, which keeps it bounded without per-entry bookkeeping.
 */
public final class BytesKeyedCache<V> {
    private final int maxEntries;
    private final ConcurrentHashMap<ByteKey, V> map = new ConcurrentHashMap<>();

    public BytesKeyedCache(int maxEntries) {
        if (maxEntries <= 0) {
            throw new IllegalArgumentException("maxEntries must be > 0, was " + maxEntries);
        }
        this.maxEntries = maxEntries;
    }

    /** The value cached for bytes equal to {@code key}, or null. */
    public V get(byte[] key) {
        return map.get(new ByteKey(key));
    }

    /** Caches {@code value} under a private copy of {@code key}. */
    public void put(byte[] key, V value) {
        if (map.size() >= maxEntries) {
            map.clear();
        }
        map.put(new ByteKey(key.clone()), value);
    }

    public int size() {
        return map.size();
    }
}
