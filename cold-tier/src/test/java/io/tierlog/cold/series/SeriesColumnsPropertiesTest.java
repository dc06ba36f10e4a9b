package io.tierlog.cold.series;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The series column codecs: every column round-trips exactly (raw bits of doubles, every long), the value codec picks
 * the smaller form, and hostile or truncated input fails as {@link SeriesFormatException} within its bounds.
 */
class SeriesColumnsPropertiesTest {
    private static final int MAX = 5000;

    // ------------------------------------------------------------------ generators

    /** Any double, NaN payloads included (from raw bits), with the special values mixed in often. */
    private static Arbitrary<Double> anyDouble() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, Arbitraries.longs().map(Double::longBitsToDouble)),
                net.jqwik.api.Tuple.of(2, Arbitraries.of(Double.NaN, Double.longBitsToDouble(0x7ff0000000000001L),
                        Double.longBitsToDouble(0xfff8000000000abcL), Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
                        -0.0, 0.0, Double.MIN_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE, 1.0, 0.1)),
                net.jqwik.api.Tuple.of(3, Arbitraries.doubles()),
                net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(-100_000, 100_000).map(i -> i / 100.0)));
    }

    /** Counters with resets: rising by small integer steps, back to 0 now and then. */
    private static Arbitrary<double[]> counters() {
        return Combinators.combine(Arbitraries.integers().between(0, 50).list().ofMinSize(1).ofMaxSize(MAX),
                        Arbitraries.integers().between(0, 200), Arbitraries.longs().between(0, 1L << 40))
                .as((steps, resetEvery, start) -> {
                    double[] out = new double[steps.size()];
                    double v = start;
                    for (int i = 0; i < out.length; i++) {
                        v = resetEvery > 0 && i % (resetEvery + 1) == resetEvery ? 0 : v + steps.get(i);
                        out[i] = v;
                    }
                    return out;
                });
    }

    @Provide
    Arbitrary<double[]> values() {
        return Arbitraries.oneOf(
                anyDouble().list().ofMaxSize(300).map(SeriesColumnsPropertiesTest::toDoubles),
                counters(),
                Arbitraries.integers().between(0, 10_000).list().ofMaxSize(MAX)
                        .map(l -> l.stream().mapToDouble(i -> i / 10_000.0).toArray()), // ratios
                Combinators.combine(anyDouble(), Arbitraries.integers().between(0, MAX))
                        .as((v, n) -> { double[] a = new double[n]; Arrays.fill(a, v); return a; }));
    }

    @Provide
    Arbitrary<long[]> timestamps() {
        Arbitrary<long[]> regular = Combinators.combine(Arbitraries.longs().between(0, 4_000_000_000_000L),
                        Arbitraries.integers().between(0, 20).list().ofMaxSize(MAX), Arbitraries.of(0, 1, 5, 100))
                .as((start, jitter, scale) -> {
                    long[] t = new long[jitter.size()];
                    for (int i = 0; i < t.length; i++) {
                        t[i] = start + i * 10_000L + (long) (jitter.get(i) - 10) * scale;
                    }
                    return t;
                });
        Arbitrary<long[]> messy = Arbitraries.oneOf(Arbitraries.longs(),
                        Arbitraries.longs().between(1_700_000_000_000L, 1_700_000_100_000L),
                        Arbitraries.of(Long.MIN_VALUE, Long.MAX_VALUE, 0L, -1L))
                .list().ofMaxSize(300).map(SeriesColumnsPropertiesTest::toLongs);
        Arbitrary<long[]> duplicatesAndDisorder = Arbitraries.longs().between(1_700_000_000_000L, 1_700_000_000_100L)
                .list().ofMaxSize(1000).map(SeriesColumnsPropertiesTest::toLongs);
        return Arbitraries.oneOf(regular, messy, duplicatesAndDisorder);
    }

    @Provide
    Arbitrary<long[]> offsets() {
        Arbitrary<long[]> rising = Combinators.combine(Arbitraries.longs().between(0, Long.MAX_VALUE / 2),
                        Arbitraries.longs().between(1, 5000).list().ofMaxSize(MAX))
                .as((start, gaps) -> {
                    long[] o = new long[gaps.size()];
                    long v = start;
                    for (int i = 0; i < o.length; i++) {
                        o[i] = v;
                        v += gaps.get(i);
                    }
                    return o;
                });
        return Arbitraries.oneOf(rising, Arbitraries.longs().list().ofMaxSize(300).map(SeriesColumnsPropertiesTest::toLongs));
    }

    private static double[] toDoubles(List<Double> l) {
        return l.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static long[] toLongs(List<Long> l) {
        return l.stream().mapToLong(Long::longValue).toArray();
    }

    private static long[] rawBits(double[] v) {
        return Arrays.stream(v).mapToLong(Double::doubleToRawLongBits).toArray();
    }

    // ------------------------------------------------------------------ round trips

    @Property
    void timestampsRoundTripExactly(@ForAll("timestamps") long[] ts) {
        assertThat(TimestampColumn.decode(TimestampColumn.encode(ts), ts.length)).containsExactly(ts);
    }

    @Property
    void valuesRoundTripBitForBitWhicheverCodecIsChosen(@ForAll("values") double[] v) {
        byte[] column = ValueColumn.encode(v);
        assertThat(rawBits(ValueColumn.decode(column, v.length))).containsExactly(rawBits(v));
        assertThat(rawBits(GorillaValues.decode(GorillaValues.encode(v), v.length))).containsExactly(rawBits(v));
        Optional<byte[]> decimal = DecimalValues.encode(v);
        decimal.ifPresent(d -> assertThat(rawBits(DecimalValues.decode(d, v.length))).containsExactly(rawBits(v)));
        boolean smallerThanGorilla = column.length <= GorillaValues.encode(v).length + 1;
        boolean packedUnderTheFloor = column.length * 8L <= (long) v.length * ValueColumn.GORILLA_FLOOR_BITS + 64;
        assertThat(smallerThanGorilla || packedUnderTheFloor)
                .as("never larger than Gorilla plus its tag, unless a packed layout is already under the floor").isTrue();
        DecimalValues.Scaled scaled = DecimalValues.scaled(v);
        if (scaled != null) {
            int packed = Math.min(PackedLongs.encode(scaled.mantissas(), true).length, PackedLongs.encode(scaled.mantissas(), false).length);
            assertThat(column.length).as("never larger than the packed decimals").isLessThanOrEqualTo(packed + 1 + 4);
        }
        assertThat(ValueColumn.codecOf(column)).isIn(ValueColumn.GORILLA, ValueColumn.DECIMAL_PACKED_DELTAS, ValueColumn.DECIMAL_PACKED);
    }

    @Property
    void packedLongsRoundTripExactlyInBothModes(@ForAll("offsets") long[] values, @ForAll("timestamps") long[] ts) {
        for (boolean delta : new boolean[] {true, false}) {
            assertThat(PackedLongs.decode(PackedLongs.encode(values, delta), values.length, delta)).containsExactly(values);
            assertThat(PackedLongs.decode(PackedLongs.encode(ts, delta), ts.length, delta)).containsExactly(ts);
        }
    }

    @Example
    void packedLongsUseADivisorAndSparseBlocks() {
        long[] pages = new long[640];
        long[] mostlyStill = new long[640];
        long p = 1_000_000;
        for (int i = 0; i < pages.length; i++) {
            p += (i * 7919L % 41 - 20) * 4096;
            pages[i] = p;
            mostlyStill[i] = 100 + (i % 10 == 0 ? i : 0);
        }
        // deltas of +-20 pages cost 6 bits, not the 18 of +-81920 bytes
        assertThat(PackedLongs.encode(pages, true).length).isLessThanOrEqualTo(640 * 6 / 8 + 40);
        assertThat(PackedLongs.decode(PackedLongs.encode(pages, true), 640, true)).containsExactly(pages);
        // a value that moves once in ten scrapes pays a bitmap bit for the others
        assertThat(PackedLongs.encode(mostlyStill, true).length).isLessThan(640 * 10 / 8 / 2);
        assertThat(PackedLongs.decode(PackedLongs.encode(mostlyStill, true), 640, true)).containsExactly(mostlyStill);
    }

    @Property
    void offsetsRoundTripExactly(@ForAll("offsets") long[] offsets) {
        assertThat(OffsetColumn.decode(OffsetColumn.encode(offsets), offsets.length)).containsExactly(offsets);
    }

    @Property
    void specialValuesNeverTakeTheDecimalForm(@ForAll("values") double[] v, @ForAll @IntRange(min = 0, max = 3) int which) {
        double special = new double[]{Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0}[which];
        double[] withSpecial = Arrays.copyOf(v, v.length + 1);
        withSpecial[v.length] = special;
        assertThat(DecimalValues.encode(withSpecial)).isEmpty();
        assertThat(rawBits(ValueColumn.decode(ValueColumn.encode(withSpecial), withSpecial.length)))
                .containsExactly(rawBits(withSpecial));
    }

    @Example
    void countersAndRegularScrapesAreSmall() {
        double[] counter = new double[1000];
        long[] ts = new long[1000];
        for (int i = 0; i < 1000; i++) {
            counter[i] = 1_000_000 + i * 3 + (i % 7);
            ts[i] = 1_732_470_000_000L + i * 10_000L;
        }
        assertThat(ValueColumn.codecOf(ValueColumn.encode(counter))).isEqualTo(ValueColumn.DECIMAL_PACKED_DELTAS);
        assertThat(ValueColumn.encode(counter).length).as("increments of 3..9: 3 bits per sample").isLessThanOrEqualTo(375 + 48);
        assertThat(ValueColumn.codecOf(ValueColumn.encodeVersion1(counter))).isEqualTo(ValueColumn.DECIMAL);
        assertThat(TimestampColumn.encode(ts).length).as("a bit per regular sample").isLessThanOrEqualTo(125 + 16);
        assertThat(PackedLongs.encode(ts, true).length).as("no bits per regular sample").isLessThanOrEqualTo(2 * 16 + 16);
        double[] ratios = {0.25, 0.5, 0.75, 0.125, 0.3, 0.7};
        assertThat(ValueColumn.codecOf(ValueColumn.encode(ratios))).isIn(ValueColumn.DECIMAL_PACKED_DELTAS, ValueColumn.DECIMAL_PACKED);
        double[] noisy = {Math.PI, Math.E, Math.sqrt(2), 1 / 3.0};
        assertThat(ValueColumn.codecOf(ValueColumn.encode(noisy))).isEqualTo(ValueColumn.GORILLA);
    }

    // ------------------------------------------------------------------ hostile input

    private static final List<BiFunction<byte[], Integer, Object>> DECODERS = List.of(
            TimestampColumn::decode, GorillaValues::decode, DecimalValues::decode, ValueColumn::decode, OffsetColumn::decode,
            (column, max) -> PackedLongs.decode(column, max, true), (column, max) -> PackedLongs.decode(column, max, false));

    @Property
    void arbitraryBytesDecodeWithinTheBoundOrFailAsAFormatError(@ForAll @Size(max = 200) byte[] junk,
                                                                @ForAll @IntRange(min = 0, max = 1000) int maxCount) {
        for (BiFunction<byte[], Integer, Object> decoder : DECODERS) {
            try {
                Object out = decoder.apply(junk, maxCount);
                int n = out instanceof long[] l ? l.length : ((double[]) out).length;
                assertThat(n).isLessThanOrEqualTo(maxCount);
            } catch (SeriesFormatException expected) {
                assertThat(expected.getMessage()).isNotBlank();
            }
        }
    }

    @Property
    void everyTruncatedColumnFails(@ForAll("timestamps") long[] ts, @ForAll("values") double[] v,
                                   @ForAll("offsets") long[] offsets, @ForAll @IntRange(min = 1, max = 64) int cut) {
        assertTruncationFails(TimestampColumn.encode(ts), ts.length, cut, TimestampColumn::decode);
        assertTruncationFails(ValueColumn.encode(v), v.length, cut, ValueColumn::decode);
        assertTruncationFails(OffsetColumn.encode(offsets), offsets.length, cut, OffsetColumn::decode);
        assertTruncationFails(PackedLongs.encode(offsets, true), offsets.length, cut, (c, n) -> PackedLongs.decode(c, n, true));
        assertTruncationFails(PackedLongs.encode(ts, false), ts.length, cut, (c, n) -> PackedLongs.decode(c, n, false));
    }

    private static void assertTruncationFails(byte[] column, int n, int cut, BiFunction<byte[], Integer, Object> decoder) {
        byte[] shorter = Arrays.copyOf(column, Math.max(0, column.length - cut));
        assertThatThrownBy(() -> decoder.apply(shorter, n)).isInstanceOf(SeriesFormatException.class);
    }

    @Property
    void aColumnClaimingMoreThanTheBoundIsRefusedBeforeAllocating(@ForAll("offsets") long[] offsets) {
        if (offsets.length == 0) {
            return;
        }
        assertThatThrownBy(() -> OffsetColumn.decode(OffsetColumn.encode(offsets), offsets.length - 1))
                .isInstanceOf(SeriesFormatException.class).hasMessageContaining("more than");
        byte[] huge = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0x7F}; // count 268435455, nothing after
        assertThatThrownBy(() -> TimestampColumn.decode(huge, Integer.MAX_VALUE)).isInstanceOf(SeriesFormatException.class)
                .hasMessageContaining("holds only");
    }
}
