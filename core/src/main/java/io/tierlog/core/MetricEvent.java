package io.tierlog.core;

import java.util.Map;
import java.util.SortedMap;

/**
 * One sample of an application metric: what the SDK publishes and what a metrics topic stores (as a
 * record whose key is the {@link SeriesKey} and whose value is the encoded sample, see {@link MetricCodec}).
 * Tags are kept sorted so that equal series compare equal.
 */
public record MetricEvent(String name, SortedMap<String, String> tags, long timestamp, double value, MetricType type) {

    public MetricEvent {
        tags = FrozenTags.of(tags);
        type = type == null ? MetricType.UNTYPED : type;
    }

    public MetricEvent(String name, Map<String, String> tags, long timestamp, double value) {
        this(name, FrozenTags.of(tags), timestamp, value, MetricType.UNTYPED);
    }

    /** The canonical series key of this event (name plus sorted tags). */
    public SeriesKey seriesKey() {
        return SeriesKey.of(name, tags);
    }
}
