package io.tierlog.cold.series;

import io.tierlog.core.Record;
import io.tierlog.core.SeriesKey;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A series block's rollups equal, bucket for bucket and bit for bit, the aggregates of the samples it holds: the
 * reference below recomputes them from the appended records with the bucket rule of {@link RollupSection}
 * ({@code end - resolution < timestamp <= end}, staleness markers left out, min/max folded as Prometheus does), and a
 * series whose timestamps do not strictly increase is reported not clean, never aggregated.
 */
class SeriesBlockRollupsTest {
    private static final long STALE = RollupSection.STALE_NAN_BITS;
    private static final long MINUTE = 60_000;
    private static final long HOUR = 3_600_000;

    private record Sample(int series, long timeStep, double value) {
    }

    private static Arbitrary<Double> values() {
        return Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.integers().between(-5_000, 100_000).map(i -> i / 100.0)),
                Tuple.of(2, Arbitraries.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 0.0,
                        Double.longBitsToDouble(STALE), Double.longBitsToDouble(0xfff8000000000abcL))),
                Tuple.of(1, Arbitraries.longs().map(Double::longBitsToDouble)));
    }

    private static Arbitrary<Long> timeSteps() {
        return Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.just(10_000L)),
                Tuple.of(3, Arbitraries.longs().between(1, 900_000)),
                Tuple.of(1, Arbitraries.of(0L, -1L, -20_000L)));   // a duplicate or out of order: not clean
    }

    @Provide
    Arbitrary<List<Record>> segments() {
        Arbitrary<Sample> sample = Combinators.combine(Arbitraries.integers().between(0, 5), timeSteps(), values())
                .as(Sample::new);
        return Combinators.combine(sample.list().ofMaxSize(300),
                        Arbitraries.longs().between(-3 * HOUR, 3 * HOUR).map(t -> t - Math.floorMod(t, MINUTE)),
                        Arbitraries.integers().between(0, 3))
                .as(SeriesBlockRollupsTest::records);
    }

    /** Samples of six series; each series has its own clock so that most are clean, some not. */
    private static List<Record> records(List<Sample> samples, long start, int edgeShift) {
        List<Record> out = new ArrayList<>();
        long[] clock = new long[6];
        Arrays.fill(clock, start);
        long offset = 0;
        for (Sample s : samples) {
            clock[s.series()] += s.timeStep();
            long t = clock[s.series()];
            if (edgeShift == 1 && s.timeStep() == 10_000L) {
                t = t - Math.floorMod(t, MINUTE);   // many samples exactly on bucket edges
            }
            out.add(new Record(offset++, t, key(s.series()), value(s.value())));
        }
        return out;
    }

    private static byte[] key(int series) {
        return SeriesKey.of(series % 2 == 0 ? "cpu_seconds_total" : "queue_depth",
                Map.of("host", "h" + series % 3, "zone", series < 3 ? "a" : "b")).toBytes();
    }

    private static byte[] value(double v) {
        return ByteBuffer.allocate(9).put((byte) 1).putLong(Double.doubleToRawLongBits(v)).array();
    }

    // ------------------------------------------------------------------ the reference

    /** Per series key (as text), its buckets as comparable strings, or "not clean". */
    private static Map<String, List<String>> expected(List<Record> records, long resolution, long minEnd, long maxEnd,
                                                      java.util.function.Predicate<String> wanted) {
        Map<String, List<Record>> bySeries = new LinkedHashMap<>();
        for (Record r : records) {
            bySeries.computeIfAbsent(new String(r.key(), java.nio.charset.StandardCharsets.UTF_8), k -> new ArrayList<>()).add(r);
        }
        Map<String, List<String>> out = new TreeMap<>();
        bySeries.forEach((key, rs) -> {
            if (!wanted.test(key)) {
                return;
            }
            for (int i = 1; i < rs.size(); i++) {
                if (rs.get(i).timestamp() <= rs.get(i - 1).timestamp()) {
                    out.put(key, List.of("not clean"));
                    return;
                }
            }
            TreeMap<Long, List<double[]>> buckets = new TreeMap<>(); // end -> [timestamp, value] in time order
            for (Record r : rs) {
                double v = ByteBuffer.wrap(r.value(), 1, 8).getDouble();
                if (Double.doubleToRawLongBits(v) == STALE) {
                    continue;
                }
                long end = Math.ceilDiv(r.timestamp(), resolution) * resolution;
                if (end >= minEnd && end <= maxEnd) {
                    buckets.computeIfAbsent(end, e -> new ArrayList<>()).add(new double[] {r.timestamp(), v});
                }
            }
            if (buckets.isEmpty()) {
                return;
            }
            List<String> described = new ArrayList<>();
            buckets.forEach((end, samples) -> {
                double sum = 0;
                double min = samples.getFirst()[1];
                double max = min;
                for (double[] s : samples) {
                    sum += s[1];
                    if (s[1] < min || Double.isNaN(min)) {
                        min = s[1];
                    }
                    if (s[1] > max || Double.isNaN(max)) {
                        max = s[1];
                    }
                }
                described.add(describe(end, samples.size(), sum, min, max, (long) samples.getFirst()[0],
                        (long) samples.getLast()[0], samples.getLast()[1]));
            });
            out.put(key, described);
        });
        return out;
    }

    private static String describe(long end, long count, double sum, double min, double max, long first, long last,
                                   double lastValue) {
        // a sum holding NaN is NaN, but which NaN payload survives an addition is up to the CPU and the JIT
        return end + ":" + count + "/" + (Double.isNaN(sum) ? "NaN" : Double.doubleToRawLongBits(sum)) + "/" + Double.doubleToRawLongBits(min) + "/"
                + Double.doubleToRawLongBits(max) + "/" + first + "/" + last + "/" + Double.doubleToRawLongBits(lastValue);
    }

    private static Map<String, List<String>> actual(List<SeriesBlockReader.SeriesRollups> rollups) {
        Map<String, List<String>> out = new TreeMap<>();
        for (SeriesBlockReader.SeriesRollups r : rollups) {
            String key = new String(r.key(), java.nio.charset.StandardCharsets.UTF_8);
            if (!r.clean()) {
                assertThat(r.bucketEnds()).isEmpty();
                assertThat(out.put(key, List.of("not clean"))).isNull();
                continue;
            }
            List<String> described = new ArrayList<>();
            for (int i = 0; i < r.bucketEnds().length; i++) {
                described.add(describe(r.bucketEnds()[i], r.counts()[i], r.sums()[i], r.mins()[i], r.maxs()[i],
                        r.firstTimestamps()[i], r.lastTimestamps()[i], r.lasts()[i]));
            }
            assertThat(out.put(key, described)).isNull();
        }
        return out;
    }

    // ------------------------------------------------------------------ properties

    @Property(tries = 300)
    void rollups_equal_the_aggregates_of_the_samples_bit_for_bit(
            @ForAll("segments") List<Record> appended, @ForAll @IntRange(min = 1, max = 80) int rowGroupRecords,
            @ForAll @IntRange(min = -200, max = 200) int fromMinute, @ForAll @IntRange(min = 0, max = 400) int minutes,
            @ForAll boolean onlyCpu) {
        SeriesBlockWriter.Builder b = SeriesBlockWriter.builder(rowGroupRecords, new long[] {MINUTE, HOUR});
        appended.forEach(b::add);
        byte[] block = b.finish();
        SeriesBlockReader reader = SeriesBlockReader.open(new ArraySource(block), block.length);
        assertThat(reader.rollupResolutions()).containsExactly(MINUTE, HOUR);

        Map<String, String> labels = onlyCpu ? Map.of(SeriesBlockReader.NAME_LABEL, "cpu_seconds_total") : Map.of();
        java.util.function.Predicate<String> wanted = key -> !onlyCpu || key.startsWith("cpu_seconds_total");
        long minEnd = fromMinute * MINUTE;
        long maxEnd = minEnd + minutes * MINUTE;
        for (long resolution : new long[] {MINUTE, HOUR}) {
            assertThat(actual(reader.rollups(labels, key -> true, resolution, minEnd, maxEnd)))
                    .as("rollups at %d ms, bucket ends in [%d, %d]", resolution, minEnd, maxEnd)
                    .isEqualTo(expected(appended, resolution, minEnd, maxEnd, wanted));
        }
        // the whole time line
        assertThat(actual(reader.rollups(Map.of(), key -> true, HOUR, Long.MIN_VALUE, Long.MAX_VALUE)))
                .isEqualTo(expected(appended, HOUR, Long.MIN_VALUE, Long.MAX_VALUE, key -> true));
        // the samples are unchanged by rollups
        assertThat(reader.read(Long.MIN_VALUE, Integer.MAX_VALUE)).containsExactlyElementsOf(appended);
    }

    @Property(tries = 100)
    void damage_in_the_rollup_section_fails_as_a_format_error(@ForAll("segments") List<Record> appended,
                                                             @ForAll @IntRange(min = 0, max = 1 << 20) int where,
                                                             @ForAll @IntRange(min = 1, max = 255) int flip) {
        SeriesBlockWriter.Builder b = SeriesBlockWriter.builder(64, new long[] {MINUTE});
        appended.forEach(b::add);
        byte[] block = b.finish();
        Map<Long, Integer> sections = new HashMap<>(); // what the reader fetches for the rollups: the section
        RangeSource spy = (position, length) -> {
            sections.put(position, length);
            return Arrays.copyOfRange(block, (int) position, (int) position + length);
        };
        SeriesBlockReader opened = SeriesBlockReader.open(spy, block.length);
        sections.clear();
        opened.rollups(Map.of(), key -> true, MINUTE, Long.MIN_VALUE, Long.MAX_VALUE);
        if (sections.isEmpty()) {
            return; // no series: nothing to read
        }
        assertThat(sections).hasSize(1);
        Map.Entry<Long, Integer> section = sections.entrySet().iterator().next();
        byte[] damaged = block.clone();
        int at = (int) (section.getKey() + where % section.getValue());
        damaged[at] ^= (byte) flip;
        SeriesBlockReader broken = SeriesBlockReader.open(new ArraySource(damaged), damaged.length);
        assertThatThrownBy(() -> broken.rollups(Map.of(), key -> true, MINUTE, Long.MIN_VALUE, Long.MAX_VALUE))
                .isInstanceOf(SeriesFormatException.class);
    }

    @Test
    void a_sample_on_a_bucket_end_belongs_to_the_bucket_that_ends_there() {
        List<Record> rs = List.of(
                new Record(0, HOUR, key(0), value(1)),              // closes bucket (0, 1h]
                new Record(1, HOUR + 1, key(0), value(5)),          // opens (1h, 2h]
                new Record(2, 2 * HOUR, key(0), value(3)),
                new Record(3, 2 * HOUR + 10, key(0), value(Double.longBitsToDouble(STALE))),
                new Record(4, -HOUR + 1, key(2), value(7)),         // negative time: bucket (-1h, 0]
                new Record(5, -HOUR + 2, key(2), value(Double.NaN)));
        byte[] block = SeriesBlockWriter.write(rs, 10);
        SeriesBlockReader reader = SeriesBlockReader.open(new ArraySource(block), block.length);
        List<SeriesBlockReader.SeriesRollups> all = reader.rollups(Map.of(), k -> true, HOUR, Long.MIN_VALUE, Long.MAX_VALUE);
        assertThat(all).hasSize(2);
        SeriesBlockReader.SeriesRollups cpu = all.stream().filter(r -> Arrays.equals(r.key(), key(0))).findFirst().orElseThrow();
        assertThat(cpu.bucketEnds()).containsExactly(HOUR, 2 * HOUR);
        assertThat(cpu.counts()).containsExactly(1, 2);
        assertThat(cpu.lastTimestamps()).containsExactly(HOUR, 2 * HOUR);
        assertThat(cpu.lasts()).containsExactly(1.0, 3.0);
        assertThat(cpu.maxs()).containsExactly(1.0, 5.0);
        SeriesBlockReader.SeriesRollups neg = all.stream().filter(r -> Arrays.equals(r.key(), key(2))).findFirst().orElseThrow();
        assertThat(neg.bucketEnds()).containsExactly(0L);
        assertThat(neg.counts()).containsExactly(2);
        assertThat(neg.mins()).containsExactly(7.0); // NaN never replaces a number
        assertThat(neg.sums()[0]).isNaN();
        assertThatThrownBy(() -> reader.rollups(Map.of(), k -> true, MINUTE, 0, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no rollups at 60000 ms");
    }

    private record ArraySource(byte[] object) implements RangeSource {
        @Override
        public byte[] read(long position, int length) {
            return Arrays.copyOfRange(object, (int) position, (int) position + length);
        }
    }
}
