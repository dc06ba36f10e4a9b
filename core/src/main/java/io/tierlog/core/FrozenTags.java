package io.tierlog.core;

import java.util.AbstractMap;
import java.util.Collections;
import java.util.Comparator;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * An immutable, sorted tag map that {@link MetricEvent} and {@link SeriesKey} can share without copying. A
 * decoded metric sample takes its tags from a cached series key; copying them into a fresh map per sample
 * was the largest cost of decoding metric events. Only this class can create instances, always from a private
 * copy, so sharing one is safe.
 */
final class FrozenTags extends AbstractMap<String, String> implements SortedMap<String, String> {
    static final FrozenTags EMPTY = new FrozenTags(new TreeMap<>());

    private final SortedMap<String, String> view;

    private FrozenTags(TreeMap<String, String> privateCopy) {
        this.view = Collections.unmodifiableSortedMap(privateCopy);
    }

    /** {@code tags} itself when it is already frozen, else a sorted immutable copy (null = empty). */
    static SortedMap<String, String> of(Map<String, String> tags) {
        if (tags instanceof FrozenTags f) {
            return f;
        }
        if (tags == null || tags.isEmpty()) {
            return EMPTY;
        }
        return new FrozenTags(new TreeMap<>(tags));
    }

    @Override
    public Set<Entry<String, String>> entrySet() {
        return view.entrySet();
    }

    @Override
    public String get(Object key) {
        return view.get(key);
    }

    @Override
    public boolean containsKey(Object key) {
        return view.containsKey(key);
    }

    @Override
    public int size() {
        return view.size();
    }

    @Override
    public Comparator<? super String> comparator() {
        return view.comparator();
    }

    @Override
    public SortedMap<String, String> subMap(String fromKey, String toKey) {
        return view.subMap(fromKey, toKey);
    }

    @Override
    public SortedMap<String, String> headMap(String toKey) {
        return view.headMap(toKey);
    }

    @Override
    public SortedMap<String, String> tailMap(String fromKey) {
        return view.tailMap(fromKey);
    }

    @Override
    public String firstKey() {
        return view.firstKey();
    }

    @Override
    public String lastKey() {
        return view.lastKey();
    }

    @Override
    public Set<String> keySet() {
        return view.keySet();
    }

    @Override
    public java.util.Collection<String> values() {
        return view.values();
    }
}
