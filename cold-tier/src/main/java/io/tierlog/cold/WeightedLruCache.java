package io.tierlog.cold;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * A weight-bounded least-recently-used cache for few, large values read in sequence: decoded series-block row groups
 * (about 29 MB for a group of a million records) during a replay. A frequency-based admission policy (Caffeine's
 * W-TinyLFU) refuses such a newcomer in favour of the group a replay has just finished with, which made every fetch of
 * a multi-group block decode its group again; here the newest value always gets in and the least recently used
 * leave. A value heavier than the whole bound is returned but not kept. Loads run outside the lock (two threads may
 * load the same key at once; the first stored wins). Thread-safe.
 */
final class WeightedLruCache<K, V> {
    private record Entry<V>(V value, long weight) {
    }

    private final long maxWeight;
    private final ToLongFunction<V> weigher;
    private final LinkedHashMap<K, Entry<V>> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long weight;

    WeightedLruCache(long maxWeight, ToLongFunction<V> weigher) {
        if (maxWeight < 0) {
            throw new IllegalArgumentException("maxWeight must be >= 0, was " + maxWeight);
        }
        this.maxWeight = maxWeight;
        this.weigher = Objects.requireNonNull(weigher, "weigher");
    }

    /** The value of {@code key}, loaded with {@code loader} (which must not return null) when absent. */
    V get(K key, Supplier<V> loader) {
        synchronized (this) {
            Entry<V> e = entries.get(key);
            if (e != null) {
                return e.value();
            }
        }
        V loaded = Objects.requireNonNull(loader.get(), "loader returned null");
        long w = weigher.applyAsLong(loaded);
        synchronized (this) {
            Entry<V> raced = entries.get(key);
            if (raced != null) {
                return raced.value();
            }
            if (w <= maxWeight) {
                entries.put(key, new Entry<>(loaded, w));
                weight += w;
                Iterator<Map.Entry<K, Entry<V>>> eldest = entries.entrySet().iterator();
                while (weight > maxWeight) {
                    Map.Entry<K, Entry<V>> victim = eldest.next();
                    weight -= victim.getValue().weight();
                    eldest.remove();
                }
            }
        }
        return loaded;
    }

    synchronized boolean contains(K key) {
        return entries.containsKey(key);
    }

    /** Sum of the kept values' weights. */
    synchronized long weight() {
        return weight;
    }

    synchronized void removeIf(Predicate<K> which) {
        Iterator<Map.Entry<K, Entry<V>>> it = entries.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<K, Entry<V>> e = it.next();
            if (which.test(e.getKey())) {
                weight -= e.getValue().weight();
                it.remove();
            }
        }
    }

    synchronized void invalidateAll() {
        entries.clear();
        weight = 0;
    }
}
