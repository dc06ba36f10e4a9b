package io.tierlog.sdk;

import io.tierlog.core.Header;
import io.tierlog.core.MetricEvent;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One record as a consumer or a query sees it: its position (topic, partition, offset), its timestamp, and
 * either raw key/value/headers (bytes topics) or the decoded sample in {@link #metric()} (metrics topics,
 * where key and value hold the stored series key and encoded sample).
 */
public record ConsumedRecord(String topic, int partition, long offset, long timestamp, byte[] key, byte[] value,
                             List<Header> headers, MetricEvent metric) {

    public ConsumedRecord {
        headers = headers == null ? List.of() : List.copyOf(headers);
    }

    /** True for a record of a metrics topic. */
    public boolean isMetric() {
        return metric != null;
    }

    /** The key as UTF-8 text, or null. */
    public String keyString() {
        return key == null ? null : new String(key, StandardCharsets.UTF_8);
    }

    /** The value as UTF-8 text, or null. */
    public String valueString() {
        return value == null ? null : new String(value, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConsumedRecord r && topic.equals(r.topic) && partition == r.partition && offset == r.offset
                && timestamp == r.timestamp && Arrays.equals(key, r.key) && Arrays.equals(value, r.value)
                && headers.equals(r.headers) && Objects.equals(metric, r.metric);
    }

    @Override
    public int hashCode() {
        return Objects.hash(topic, partition, offset, timestamp, Arrays.hashCode(key), Arrays.hashCode(value));
    }

    @Override
    public String toString() {
        return "ConsumedRecord[" + topic + "-" + partition + "@" + offset + ", ts=" + timestamp
                + (metric != null ? ", " + metric.seriesKey() + "=" + metric.value()
                : ", key=" + (key == null ? "null" : key.length + "B") + ", value=" + (value == null ? "null" : value.length + "B"))
                + "]";
    }
}
