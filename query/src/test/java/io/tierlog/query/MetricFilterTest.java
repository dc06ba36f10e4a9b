package io.tierlog.query;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tierlog.core.InvalidInputException;
import io.tierlog.core.MetricCodec;
import io.tierlog.core.MetricEvent;
import io.tierlog.core.Record;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MetricFilterTest {
    @TempDir
    Path dir;

    static Record metric(String name, Map<String, String> tags) {
        MetricEvent e = new MetricEvent(name, tags, 5, 1.5);
        return new Record(0, 5, e.seriesKey().toBytes(), MetricCodec.encodeValue(1.5, e.type()));
    }

    @Test
    void matchesNameAndEveryTag() {
        MetricFilter f = MetricFilter.parse("cpu.usage", List.of("host:a", "dc:eu:1"));
        assertThat(f.test(metric("cpu.usage", Map.of("host", "a", "dc", "eu:1", "core", "3")))).isTrue();
        assertThat(f.test(metric("cpu.usage", Map.of("host", "b", "dc", "eu:1")))).isFalse();
        assertThat(f.test(metric("cpu.usage", Map.of("host", "a")))).isFalse();
        assertThat(f.test(metric("mem.used", Map.of("host", "a", "dc", "eu:1")))).isFalse();
        assertThat(MetricFilter.parse(null, List.of("host:a")).test(metric("x", Map.of("host", "a")))).isTrue();
    }

    @Test
    void nonMetricRecordsNeverMatchAFilter() {
        MetricFilter f = MetricFilter.parse("cpu", List.of());
        assertThat(f.test(new Record(0, 1, null, new byte[]{1}))).isFalse();
        assertThat(f.test(new Record(0, 1, "no braces".getBytes(StandardCharsets.UTF_8), null))).isFalse();
        assertThat(MetricFilter.parse(null, null).test(new Record(0, 1, null, null))).isTrue();
    }

    @Test
    void badFiltersAreRejected() {
        assertThatThrownBy(() -> MetricFilter.parse("cpu", List.of("hosta"))).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("key:value");
        assertThatThrownBy(() -> MetricFilter.parse("1cpu", List.of())).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("metric name");
        assertThatThrownBy(() -> MetricFilter.parse("cpu", List.of("h:a", "h:b"))).isInstanceOf(InvalidInputException.class);
    }

    @Test
    void filtersTheMergedQueryOfAMetricsTopic() {
        Fixture f = new Fixture("metrics", 2);
        f.appendMetrics(0, List.of(new MetricEvent("cpu", Map.of("host", "a"), 30, 1),
                new MetricEvent("cpu", Map.of("host", "b"), 10, 2), new MetricEvent("mem", Map.of("host", "a"), 20, 3)));
        f.roll(0);
        f.tier(0, 1, 1); // partition 0 only in the cold tier
        f.appendMetrics(1, List.of(new MetricEvent("cpu", Map.of("host", "a"), 30, 4),
                new MetricEvent("cpu", Map.of("host", "a"), 5, 5)));
        try (QueryService s = new QueryService(f.lookup(), f.remote, dir, new SimpleMeterRegistry())) {
            List<String> got = new ArrayList<>();
            s.queryTimeRange("metrics", 2, 0, 100, MetricFilter.parse("cpu", List.of("host:a"))).forEachRemaining(r -> {
                MetricEvent e = MetricCodec.decode(r.record());
                got.add(r.partition() + "@" + e.timestamp() + "=" + e.value());
            });
            assertThat(got).containsExactly("1@5=5.0", "0@30=1.0", "1@30=4.0");
        }
    }
}
