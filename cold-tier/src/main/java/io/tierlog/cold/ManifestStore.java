package io.tierlog.cold;

import io.tierlog.core.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToIntFunction;

/**
 * The partitions' manifests: the only thing that makes a remote segment visible. Loads each manifest once and
 * keeps it current through this instance's own changes, each written to the store (one whole-object PUT, atomic
 * in S3) before it becomes visible in memory; sweeps orphans (segment objects no manifest names) at start or,
 * when that failed, per partition before its first upload.
 *
 * <p>Thread safety: each partition has one lock held across manifest loads and rewrites (network I/O); the
 * current manifest is readable without it. Callers that also take a lock of their own take this one first.
 */
final class ManifestStore {
    private static final Logger LOG = LoggerFactory.getLogger(ManifestStore.class);

    private final ObjectStore store;
    private final ObjectKeys keys;
    private final ConcurrentHashMap<TopicPartition, Partition> partitions = new ConcurrentHashMap<>();
    private volatile boolean orphansSweptAtStart;

    /** One partition's manifest state; a handle stays valid after its topic is deleted, then {@link #isDeleted()}. */
    static final class Partition {
        final TopicPartition tp;
        final String prefix;
        final String manifestKey;
        private final Object lock = new Object();
        private volatile Manifest manifest;
        private volatile boolean deleted;
        private boolean swept;

        private Partition(TopicPartition tp, ObjectKeys keys) {
            this.tp = tp;
            this.prefix = keys.partition(tp);
            this.manifestKey = keys.manifest(tp);
        }

        /** The manifest as last loaded or written, without I/O; null before the first load. */
        Manifest loaded() {
            return manifest;
        }

        /** True once the partition's topic was deleted: uploads finishing now must delete their object instead. */
        boolean isDeleted() {
            return deleted;
        }
    }

    ManifestStore(ObjectStore store, ObjectKeys keys) {
        this.store = store;
        this.keys = keys;
    }

    /** The live handle of {@code tp} (created on first use). */
    Partition partition(TopicPartition tp) {
        Partition p = partitions.get(tp);
        if (p != null && !p.deleted) {
            return p;
        }
        // a handle of a deleted topic is replaced: the topic may have been created again
        return partitions.compute(tp, (t, old) -> old == null || old.deleted ? new Partition(t, keys) : old);
    }

    /** The manifest of {@code tp} if loaded, without I/O; null when not (yet) known. */
    Manifest loaded(TopicPartition tp) {
        Partition p = partitions.get(tp);
        return p == null ? null : p.manifest;
    }

    /** The manifest of {@code tp}, loading it on first use; throws when the store cannot be read. */
    Manifest forRead(TopicPartition tp) {
        Partition p = partition(tp);
        Manifest m = p.manifest;
        if (m != null) {
            return m;
        }
        synchronized (p.lock) {
            return ensureLoaded(p);
        }
    }

    /** Reloads {@code tp}'s manifest from the store (another process may write it). */
    Manifest refresh(TopicPartition tp) {
        Partition p = partition(tp);
        synchronized (p.lock) {
            p.manifest = null;
            return ensureLoaded(p);
        }
    }

    /**
     * Deletes every segment object under the key prefix that its partition's manifest does not name. Best effort:
     * returns false (and logs) when the store could not be listed or read, so that partitions are swept on their
     * first write instead.
     */
    boolean sweepAllOrphans() {
        try {
            Map<String, List<String>> segmentKeys = new HashMap<>();
            Set<String> manifests = new HashSet<>();
            for (ObjectMeta m : store.list(keys.root())) {
                String dir = ObjectKeys.directory(m.key());
                if (ObjectKeys.isManifest(m.key())) {
                    manifests.add(dir);
                } else if (ObjectKeys.isSegment(m.key())) {
                    segmentKeys.computeIfAbsent(dir, d -> new ArrayList<>()).add(m.key());
                }
            }
            int removed = 0;
            for (Map.Entry<String, List<String>> e : segmentKeys.entrySet()) {
                Set<String> live = new HashSet<>();
                if (manifests.contains(e.getKey())) {
                    String manifestKey = e.getKey() + ObjectKeys.MANIFEST;
                    for (Manifest.Entry s : Manifest.decode(store.get(manifestKey), null, manifestKey).segments()) {
                        live.add(s.key());
                    }
                }
                List<String> orphans = e.getValue().stream().filter(k -> !live.contains(k)).toList();
                if (!orphans.isEmpty()) {
                    store.deleteAll(orphans);
                    removed += orphans.size();
                }
            }
            orphansSweptAtStart = true;
            LOG.info("cold tier started: {} partitions with remote data, {} orphan objects removed", segmentKeys.size(), removed);
            return true;
        } catch (RuntimeException e) {
            LOG.warn("cold tier start: orphan sweep failed, partitions will be swept on registration: {}", e.toString());
            return false;
        }
    }

    /** Writer-side load: the manifest, plus an orphan sweep of the partition when the start-up sweep did not run. */
    Manifest loadForWrite(Partition p) {
        synchronized (p.lock) {
            Manifest m = ensureLoaded(p);
            if (p.swept || orphansSweptAtStart) {
                return m;
            }
            Set<String> live = new HashSet<>();
            m.segments().forEach(e -> live.add(e.key()));
            List<String> orphans = store.list(p.prefix).stream().map(ObjectMeta::key)
                    .filter(k -> ObjectKeys.isSegment(k) && !live.contains(k)).toList();
            store.deleteAll(orphans);
            if (!orphans.isEmpty()) {
                LOG.info("{}: removed {} orphan segment objects", p.tp, orphans.size());
            }
            p.swept = true;
            return m;
        }
    }

    /**
     * Makes an uploaded segment visible: writes the manifest naming it, then publishes it in memory. Returns false,
     * writing nothing, when the partition's topic was deleted meanwhile (the caller then deletes its object).
     * A failed PUT throws and leaves the manifest as it was (the object becomes an orphan for the next sweep).
     */
    boolean append(Partition p, Manifest.Entry entry) {
        synchronized (p.lock) {
            if (p.deleted) {
                return false;
            }
            Manifest next = ensureLoaded(p).append(entry);
            store.put(p.manifestKey, next.encode());
            p.manifest = next;
            return true;
        }
    }

    /**
     * Removes the oldest segments from {@code tp}'s manifest: {@code howMany} is asked, under the partition's lock,
     * how many of the current segments to drop. The manifest is written before the removal is visible; the dropped
     * entries are returned so that the caller deletes their objects afterwards.
     */
    List<Manifest.Entry> dropOldest(TopicPartition tp, ToIntFunction<List<Manifest.Entry>> howMany) {
        Partition p = partition(tp);
        synchronized (p.lock) {
            Manifest m = ensureLoaded(p);
            int k = howMany.applyAsInt(m.segments());
            if (k <= 0) {
                return List.of();
            }
            Manifest next = m.dropOldest(k);
            store.put(p.manifestKey, next.encode());
            p.manifest = next;
            return m.segments().subList(0, k);
        }
    }

    /** Forgets every partition of {@code topic} (their handles turn deleted) and deletes all its objects. */
    int deleteTopic(String topic) {
        for (Partition p : partitions.values()) {
            if (p.tp.topic().equals(topic)) {
                synchronized (p.lock) {
                    p.deleted = true;
                    p.manifest = Manifest.EMPTY;
                }
                partitions.remove(p.tp, p);
            }
        }
        return store.deletePrefix(keys.topic(topic));
    }

    /** Loads the manifest once (caller holds the partition's lock). */
    private Manifest ensureLoaded(Partition p) {
        Manifest m = p.manifest;
        if (m != null) {
            return m;
        }
        try {
            m = Manifest.decode(store.get(p.manifestKey), p.tp, p.manifestKey);
        } catch (ObjectNotFoundException e) {
            m = Manifest.EMPTY;
        }
        p.manifest = m;
        return m;
    }
}
