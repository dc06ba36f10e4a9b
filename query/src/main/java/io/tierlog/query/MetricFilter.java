package io.tierlog.query;

import io.tierlog.core.CorruptBatchException;
import io.tierlog.core.InvalidInputException;
import io.tierlog.core.Limits;
import io.tierlog.core.Record;
import io.tierlog.core.SeriesKey;
import io.tierlog.core.Validation;

import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * The {@code name=} and {@code tag=k:v} filters of the cross-partition query over a metrics topic, as a
 * record predicate. Only the record key (the canonical {@link SeriesKey}) is parsed, never the value, so
 * filtering costs one string parse per record. Records that are not metric samples never match.
 */
public final class MetricFilter implements Predicate<Record> {
    private final String name;
    private final SortedMap<String, String> tags;

    private MetricFilter(String name, SortedMap<String, String> tags) {
        this.name = name;
        this.tags = tags;
    }

    /**
     * A filter on an optional metric name ({@code null} = any) and tags that must all be present with these
     * values. Names and tag keys are validated like stored ones, so a typo is reported rather than matching
     * nothing silently.
     */
    public static MetricFilter of(String name, Map<String, String> tags) {
        if (name != null) {
            Validation.metricName(name, Limits.DEFAULTS);
        }
        TreeMap<String, String> t = new TreeMap<>();
        if (tags != null) {
            Validation.tags(tags, Limits.DEFAULTS);
            t.putAll(tags);
        }
        return new MetricFilter(name, t);
    }

    /** Parses the HTTP form: {@code name} may be null, each tag is {@code key:value} (split at the first ':'). */
    public static MetricFilter parse(String name, Collection<String> tagParams) {
        TreeMap<String, String> tags = new TreeMap<>();
        if (tagParams != null) {
            for (String p : tagParams) {
                int colon = p == null ? -1 : p.indexOf(':');
                if (colon <= 0) {
                    throw new InvalidInputException("tag filter '" + p + "' must have the form key:value");
                }
                String key = p.substring(0, colon);
                String value = p.substring(colon + 1);
                String previous = tags.put(key, value);
                if (previous != null && !previous.equals(value)) {
                    throw new InvalidInputException("tag filter '" + key + "' is given twice with different values");
                }
            }
        }
        return of(name == null || name.isEmpty() ? null : name, tags);
    }

    /** True when this filter accepts every record (no name and no tags). */
    public boolean matchesAll() {
        return name == null && tags.isEmpty();
    }

    @Override
    public boolean test(Record record) {
        if (matchesAll()) {
            return true;
        }
        if (record.key() == null) {
            return false;
        }
        SeriesKey key;
        try {
            key = SeriesKey.parse(record.key());
        } catch (CorruptBatchException e) {
            return false;
        }
        if (name != null && !name.equals(key.name())) {
            return false;
        }
        for (Map.Entry<String, String> e : tags.entrySet()) {
            if (!Objects.equals(e.getValue(), key.tags().get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return "MetricFilter[name=" + name + ", tags=" + tags + "]";
    }
}
