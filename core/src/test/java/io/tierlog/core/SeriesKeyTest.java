package io.tierlog.core;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SeriesKeyTest {

    @Test
    void canonicalFormSortsTagsAndEscapesSeparators() {
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put("z", "a,b");
        tags.put("a", "x=y}");
        assertThat(SeriesKey.of("cpu.usage", tags).canonical()).isEqualTo("cpu.usage{a=x\\=y\\},z=a\\,b}");
        assertThat(SeriesKey.of("up", Map.of()).canonical()).isEqualTo("up{}");
    }

    @Test
    void equalSeriesHashToTheSamePartitionWhateverTheTagOrder() {
        Map<String, String> a = new LinkedHashMap<>();
        a.put("host", "a");
        a.put("dc", "eu");
        Map<String, String> b = new LinkedHashMap<>();
        b.put("dc", "eu");
        b.put("host", "a");
        assertThat(SeriesKey.partitionFor(SeriesKey.of("m", a).toBytes(), 16))
                .isEqualTo(SeriesKey.partitionFor(SeriesKey.of("m", b).toBytes(), 16));
    }

    @Test
    void partitionHashIsStableAcrossReleases() {
        // stored data depends on this mapping: changing the hash would move series between partitions
        assertThat(SeriesKey.hash("cpu{host=a}".getBytes())).isEqualTo(0x1644083d);
    }

    @Test
    void malformedKeysAreRejected() {
        assertThatThrownBy(() -> SeriesKey.parse("no-braces")).isInstanceOf(CorruptBatchException.class);
        assertThatThrownBy(() -> SeriesKey.parse("m{a}")).isInstanceOf(CorruptBatchException.class);
    }

    @Property(tries = 1000)
    void parseInvertsCanonical(@ForAll("names") String name, @ForAll("tags") Map<String, String> tags) {
        SeriesKey key = SeriesKey.of(name, tags);
        SeriesKey back = SeriesKey.parse(key.toBytes());
        assertThat(back.name()).isEqualTo(name);
        assertThat(back.tags()).isEqualTo(new TreeMap<>(tags));
    }

    @Property(tries = 1000)
    void partitionIsAlwaysInRange(@ForAll byte[] key, @ForAll("partitionCounts") int partitions) {
        assertThat(SeriesKey.partitionFor(key, partitions)).isBetween(0, partitions - 1);
    }

    @Provide
    Arbitrary<Integer> partitionCounts() {
        return Arbitraries.integers().between(1, 1024);
    }

    @Provide
    Arbitrary<String> names() {
        return Arbitraries.strings().withChars("abcXYZ_:.0123").ofMinLength(1).ofMaxLength(20)
                .filter(s -> !Character.isDigit(s.charAt(0)) && s.charAt(0) != '.');
    }

    @Provide
    Arbitrary<Map<String, String>> tags() {
        return Arbitraries.maps(names(), Arbitraries.strings().withChars("ab,={}\\ é").ofMaxLength(10)).ofMaxSize(5);
    }
}
