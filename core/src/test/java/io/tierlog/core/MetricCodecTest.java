package io.tierlog.core;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MetricCodecTest {

    @Test
    void eventsRoundTripThroughABatch() {
        List<MetricEvent> events = List.of(
                new MetricEvent("cpu.usage", Map.of("host", "a"), 1_000, 0.5),
                new MetricEvent("requests_total", new java.util.TreeMap<>(Map.of("code", "200")), 999, 12.0, MetricType.COUNTER),
                new MetricEvent("temp", Map.of(), 1_001, Double.NaN));
        RecordBatch batch = MetricCodec.encode(events, Compression.ZSTD, Limits.DEFAULTS);
        List<MetricEvent> back = batch.records().stream().map(MetricCodec::decode).toList();
        assertThat(back).hasSize(3);
        assertThat(back.get(0)).isEqualTo(events.get(0));
        assertThat(back.get(1)).isEqualTo(events.get(1));
        assertThat(back.get(2).value()).isNaN();
        assertThat(batch.minTimestamp()).isEqualTo(999);
        assertThat(batch.maxTimestamp()).isEqualTo(1_001);
    }

    @Test
    void invalidEventsAreRejectedBeforeEncoding() {
        assertThatThrownBy(() -> MetricCodec.encode(List.of(new MetricEvent("bad name", Map.of(), 1, 1)),
                Compression.NONE, Limits.DEFAULTS)).isInstanceOf(InvalidInputException.class).hasMessageContaining("bad name");
        assertThatThrownBy(() -> MetricCodec.encode(List.of(new MetricEvent("m", Map.of(), -5, 1)),
                Compression.NONE, Limits.DEFAULTS)).hasMessageContaining("timestamp -5");
    }

    @Test
    void aNonMetricRecordIsNotDecodedAsOne() {
        assertThatThrownBy(() -> MetricCodec.decode(new Record(3, 1, null, new byte[9])))
                .isInstanceOf(CorruptBatchException.class).hasMessageContaining("offset 3");
    }

    @Test
    void typeIdsRoundTripAndUnknownOnesAreCorrupt() {
        for (MetricType t : MetricType.values()) {
            assertThat(MetricType.fromId(t.id())).isSameAs(t);
        }
        assertThatThrownBy(() -> MetricType.fromId(5)).isInstanceOf(CorruptBatchException.class);
        assertThatThrownBy(() -> MetricType.fromId(-1)).isInstanceOf(CorruptBatchException.class);
    }

    @Test
    void tagsAreImmutableCopiesThatDecodedSamplesShareWithTheirSeriesKey() {
        java.util.Map<String, String> mutable = new java.util.HashMap<>(Map.of("host", "a", "dc", "eu"));
        MetricEvent e = new MetricEvent("m", mutable, 1, 1.0);
        mutable.put("host", "changed");
        assertThat(e.tags()).containsExactly(Map.entry("dc", "eu"), Map.entry("host", "a"));
        assertThatThrownBy(() -> e.tags().put("x", "y")).isInstanceOf(UnsupportedOperationException.class);
        assertThat(new MetricEvent("m", Map.of(), 1, 1.0).tags()).isEmpty();

        RecordBatch batch = MetricCodec.encode(List.of(e, e), Compression.NONE, Limits.DEFAULTS);
        List<MetricEvent> decoded = batch.records().stream().map(MetricCodec::decode).toList();
        assertThat(decoded.get(0)).isEqualTo(decoded.get(1)).isEqualTo(e);
        assertThat(decoded.get(0).tags()).isSameAs(decoded.get(1).tags()); // no copy per sample
        assertThat(decoded.get(0).tags().firstKey()).isEqualTo("dc");
    }
}
