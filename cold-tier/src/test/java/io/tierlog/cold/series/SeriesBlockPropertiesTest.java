package io.tierlog.cold.series;

import io.tierlog.core.BatchBuilder;
import io.tierlog.core.Compression;
import io.tierlog.core.Header;
import io.tierlog.core.MetricCodec;
import io.tierlog.core.MetricType;
import io.tierlog.core.Record;
import io.tierlog.core.SeriesKey;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Series blocks are exact: whatever a segment held (samples with NaN payloads, infinities, -0.0, counter resets,
 * out-of-order and duplicate timestamps, series appearing mid-segment, and records that are not samples at all),
 * reading any offset range returns the very records appended. Reads stay within three ranged reads, and damage
 * anywhere the reader looks fails as {@link SeriesFormatException}.
 */
class SeriesBlockPropertiesTest {

    // ------------------------------------------------------------------ generators

    private static Arbitrary<Double> anyDouble() {
        return Arbitraries.frequencyOf(
                Tuple.of(2, Arbitraries.longs().map(Double::longBitsToDouble)),
                Tuple.of(2, Arbitraries.of(Double.NaN, Double.longBitsToDouble(0x7ff0000000000001L),
                        Double.longBitsToDouble(0xfff8000000000abcL), Double.POSITIVE_INFINITY,
                        Double.NEGATIVE_INFINITY, -0.0, 0.0, 0.0, 1.0)),
                Tuple.of(4, Arbitraries.integers().between(0, 100_000).map(i -> i / 100.0)));
    }

    /** One thing to append: a sample of a series (index into a pool), or a non-sample record. */
    private sealed interface Step permits Sample, Odd {
    }

    private record Sample(int series, double value, byte type, long timeStep) implements Step {
    }

    private record Odd(byte[] key, byte[] value, List<Header> headers, long timeStep) implements Step {
    }

    private static Arbitrary<Long> timeStep() {
        return Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.just(10_000L)),
                Tuple.of(3, Arbitraries.longs().between(9_990, 10_010)),   // millisecond jitter
                Tuple.of(1, Arbitraries.of(0L, -5_000L, -1L)),              // duplicates and out of order
                Tuple.of(1, Arbitraries.longs()));                          // anything
    }

    private static Arbitrary<byte[]> bytes(int max) {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(max);
    }

    private static Arbitrary<Step> step() {
        Arbitrary<Step> sample = Combinators.combine(Arbitraries.integers().between(0, 11), anyDouble(),
                Arbitraries.frequencyOf(Tuple.of(8, Arbitraries.of((byte) 1, (byte) 2)), Tuple.of(1, Arbitraries.bytes())),
                timeStep()).as(Sample::new);
        Arbitrary<byte[]> oddKey = Arbitraries.oneOf(bytes(12).injectNull(0.3),
                Arbitraries.of("bad{x", "m{a=1", "cpu{host=a}").map(s -> s.getBytes(StandardCharsets.UTF_8)));
        Arbitrary<byte[]> oddValue = Arbitraries.oneOf(bytes(20).injectNull(0.3),
                Arbitraries.just(MetricCodec.encodeValue(1.5, MetricType.GAUGE)));
        Arbitrary<List<Header>> headers = Combinators.combine(Arbitraries.strings().alpha().ofMaxLength(6),
                        bytes(6).injectNull(0.3))
                .as(Header::new).list().ofMaxSize(3);
        Arbitrary<Step> odd = Combinators.combine(oddKey, oddValue, headers, timeStep()).as(Odd::new);
        return Arbitraries.frequencyOf(Tuple.of(8, sample), Tuple.of(1, odd));
    }

    private static final String[] NAMES = {"http_requests_total", "cpu_ratio", "latency_seconds"};

    private static byte[] seriesKey(int i) {
        return SeriesKey.of(NAMES[i % NAMES.length], Map.of("host", "h" + (i % 4), "region", i < 6 ? "eu" : "us"))
                .toBytes();
    }

    /** Builds what a segment would hold: ascending offsets with gaps now and then, per-series counters with resets. */
    private static List<Record> records(List<Step> steps, long baseOffset, long startTime, int gapEvery) {
        List<Record> out = new ArrayList<>();
        long offset = baseOffset;
        long time = startTime;
        double[] counters = new double[12];
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            switch (s) {
                case Sample x -> {
                    time += x.timeStep();
                    double v = x.value();
                    if (x.type() == 2 && x.series() % 2 == 0) { // a counter: rises, resets to 0 now and then
                        counters[x.series()] = i % 37 == 36 ? 0 : counters[x.series()] + Math.abs(x.value() % 50);
                        v = counters[x.series()];
                    }
                    out.add(new Record(offset, time, seriesKey(x.series()), value(x.type(), v)));
                }
                case Odd x -> {
                    time += x.timeStep();
                    out.add(new Record(offset, time, x.key(), x.value(), x.headers()));
                }
            }
            offset += gapEvery > 0 && i % gapEvery == gapEvery - 1 ? 3 : 1;
        }
        return out;
    }

    private static byte[] value(byte type, double v) {
        return ByteBuffer.allocate(9).put(type).putLong(Double.doubleToRawLongBits(v)).array();
    }

    @Provide
    Arbitrary<List<Record>> segments() {
        return Combinators.combine(step().list().ofMaxSize(400), Arbitraries.longs().between(0, 1L << 40),
                        Arbitraries.longs().between(-1L << 41, 1L << 41), Arbitraries.integers().between(0, 30))
                .as(SeriesBlockPropertiesTest::records);
    }

    /** A source over an array that counts ranged reads and checks they stay in the object. */
    private static final class CountingSource implements RangeSource {
        final byte[] object;
        final AtomicInteger reads = new AtomicInteger();

        CountingSource(byte[] object) {
            this.object = object;
        }

        @Override
        public byte[] read(long position, int length) {
            assertThat(position).isNotNegative();
            assertThat(position + length).isLessThanOrEqualTo(object.length);
            reads.incrementAndGet();
            return Arrays.copyOfRange(object, (int) position, (int) position + length);
        }
    }

    // ------------------------------------------------------------------ properties

    @Property(tries = 300)
    void reading_any_offset_range_returns_exactly_the_records_appended(
            @ForAll("segments") List<Record> appended, @ForAll @IntRange(min = 1, max = 64) int rowGroupRecords,
            @ForAll @IntRange(min = 0, max = 500) int fromIndex, @ForAll @IntRange(min = 0, max = 500) int maxRecords) {
        byte[] block = SeriesBlockWriter.write(appended, rowGroupRecords);
        SeriesBlockReader reader = SeriesBlockReader.open(new CountingSource(block), block.length);

        assertThat(reader.recordCount()).isEqualTo(appended.size());
        assertThat(reader.read(Long.MIN_VALUE, Integer.MAX_VALUE)).containsExactlyElementsOf(appended);

        // an offset of a record, or the one before it (which may fall in a gap between records)
        long from = appended.isEmpty() ? fromIndex : appended.get(fromIndex % appended.size()).offset() + fromIndex % 2 - 1;
        List<Record> expected = appended.stream().filter(r -> r.offset() >= from).limit(maxRecords).toList();
        assertThat(reader.read(from, maxRecords)).containsExactlyElementsOf(expected);
        if (!appended.isEmpty()) {
            assertThat(reader.firstOffset()).isEqualTo(appended.getFirst().offset());
            assertThat(reader.lastOffset()).isEqualTo(appended.getLast().offset());
            assertThat(reader.minTimestamp()).isEqualTo(appended.stream().mapToLong(Record::timestamp).min().orElseThrow());
            assertThat(reader.maxTimestamp()).isEqualTo(appended.stream().mapToLong(Record::timestamp).max().orElseThrow());
        }
    }

    @Property(tries = 100)
    void a_random_offset_read_within_one_row_group_costs_at_most_three_ranged_reads(
            @ForAll("segments") List<Record> appended, @ForAll @IntRange(min = 0, max = 400) int at) {
        if (appended.isEmpty()) {
            return;
        }
        byte[] block = SeriesBlockWriter.write(appended, 32);
        CountingSource source = new CountingSource(block);
        SeriesBlockReader reader = SeriesBlockReader.open(source, block.length);
        Record target = appended.get(at % appended.size());

        assertThat(reader.read(target.offset(), 1)).containsExactly(target);
        assertThat(source.reads.get()).isLessThanOrEqualTo(3);
    }

    @Property(tries = 200)
    void reads_through_cached_decoded_groups_equal_the_records_and_fetch_each_group_once(
            @ForAll("segments") List<Record> appended, @ForAll @IntRange(min = 1, max = 64) int rowGroupRecords,
            @ForAll @IntRange(min = 1, max = 50) int fetchRecords) {
        byte[] block = SeriesBlockWriter.write(appended, rowGroupRecords);
        CountingSource source = new CountingSource(block);
        Map<Integer, SeriesBlockReader.DecodedGroup> cache = new java.util.HashMap<>();
        SeriesBlockReader reader = SeriesBlockReader.open(source, block.length, (index, load) -> cache.computeIfAbsent(index, i -> load.get()));
        int opened = source.reads.get();

        List<Record> replayed = new ArrayList<>();
        long next = Long.MIN_VALUE;
        while (true) { // a consumer's replay: fetch after fetch from the offset after the last record
            List<Record> fetched = reader.read(next, fetchRecords);
            if (fetched.isEmpty()) {
                break;
            }
            replayed.addAll(fetched);
            next = fetched.getLast().offset() + 1;
        }
        assertThat(replayed).containsExactlyElementsOf(appended);
        assertThat(source.reads.get() - opened).as("one GET per row group").isEqualTo(reader.rowGroups().size());
    }

    @Property(tries = 100)
    void a_selective_read_of_a_one_group_block_costs_at_most_three_ranged_reads(
            @ForAll("segments") List<Record> appended, @ForAll("matchers") Map<String, String> labels) {
        byte[] block = SeriesBlockWriter.write(appended, Math.max(1, appended.size()));
        CountingSource source = new CountingSource(block);
        SeriesBlockReader reader = SeriesBlockReader.open(source, block.length);

        reader.select(labels, Long.MIN_VALUE, Long.MAX_VALUE);
        assertThat(source.reads.get()).as("tail (footer, dictionary, postings, timestamps), then the matching chunks")
                .isLessThanOrEqualTo(2);
    }

    @Property(tries = 200)
    void version_one_and_two_blocks_written_before_stay_readable(
            @ForAll("segments") List<Record> appended, @ForAll @IntRange(min = 1, max = 64) int rowGroupRecords,
            @ForAll("matchers") Map<String, String> labels) {
        byte[] v1 = VersionOneBlockWriter.write(appended, rowGroupRecords);
        SeriesBlockWriter.Builder withoutRollups = SeriesBlockWriter.builder(rowGroupRecords, new long[0]);
        appended.forEach(withoutRollups::add);
        byte[] v2 = withoutRollups.finish();
        byte[] v3 = SeriesBlockWriter.write(appended, rowGroupRecords);
        SeriesBlockReader old = SeriesBlockReader.open(new CountingSource(v1), v1.length);
        SeriesBlockReader second = SeriesBlockReader.open(new CountingSource(v2), v2.length);
        SeriesBlockReader current = SeriesBlockReader.open(new CountingSource(v3), v3.length);

        assertThat(old.version()).isEqualTo(1);
        assertThat(second.version()).isEqualTo(2);
        assertThat(current.version()).isEqualTo(3);
        assertThat(second.rollupResolutions()).isEmpty();
        assertThat(current.rollupResolutions()).containsExactly(SeriesBlockWriter.DEFAULT_ROLLUPS);
        assertThat(old.read(Long.MIN_VALUE, Integer.MAX_VALUE)).containsExactlyElementsOf(appended);
        assertThat(second.read(Long.MIN_VALUE, Integer.MAX_VALUE)).containsExactlyElementsOf(appended);
        assertThat(describe(old.select(labels, Long.MIN_VALUE, Long.MAX_VALUE)))
                .isEqualTo(describe(current.select(labels, Long.MIN_VALUE, Long.MAX_VALUE)))
                .isEqualTo(describe(second.select(labels, Long.MIN_VALUE, Long.MAX_VALUE)));
    }

    private static Map<ByteBuffer, List<String>> describe(List<SeriesBlockReader.SeriesSamples> selected) {
        Map<ByteBuffer, List<String>> out = new java.util.HashMap<>();
        for (SeriesBlockReader.SeriesSamples s : selected) {
            List<String> samples = new ArrayList<>();
            for (int i = 0; i < s.timestamps().length; i++) {
                samples.add(s.timestamps()[i] + "=" + s.types()[i] + "/" + Double.doubleToRawLongBits(s.values()[i]));
            }
            out.put(ByteBuffer.wrap(s.key()), samples);
        }
        return out;
    }

    @Property(tries = 100)
    void postings_list_every_series_under_its_name_and_each_tag(@ForAll("segments") List<Record> appended) {
        byte[] block = SeriesBlockWriter.write(appended, 50);
        SeriesBlockReader reader = SeriesBlockReader.open(new CountingSource(block), block.length);
        List<byte[]> dictionary = reader.dictionary();
        Map<String, Map<String, int[]>> postings = reader.postings();

        for (int id = 0; id < dictionary.size(); id++) {
            SeriesKey key = SeriesKey.parse(dictionary.get(id));
            assertThat(postings.get(SeriesBlockReader.NAME_LABEL).get(key.name())).contains(id);
            for (var tag : key.tags().entrySet()) {
                assertThat(postings.get(tag.getKey()).get(tag.getValue())).contains(id);
            }
        }
        List<ByteBuffer> sampleKeys = appended.stream().filter(SeriesBlockWriter::isSample)
                .map(r -> ByteBuffer.wrap(r.key())).distinct().toList();
        assertThat(dictionary.stream().map(ByteBuffer::wrap).toList()).doesNotHaveDuplicates()
                .allMatch(sampleKeys::contains);
        for (int i = 0; i < 12; i++) { // every series of the pool that has a sample is in the dictionary
            ByteBuffer key = ByteBuffer.wrap(seriesKey(i));
            if (sampleKeys.contains(key)) {
                assertThat(dictionary.stream().map(ByteBuffer::wrap).toList()).contains(key);
            }
        }
    }

    @Provide
    Arbitrary<Map<String, String>> matchers() {
        return Arbitraries.of(Map.of(), Map.of(SeriesBlockReader.NAME_LABEL, NAMES[0]), Map.of("host", "h1"),
                Map.of(SeriesBlockReader.NAME_LABEL, NAMES[1], "region", "eu"), Map.of("host", "nowhere"));
    }

    @Property(tries = 200)
    void select_returns_exactly_the_samples_of_the_matching_series_in_the_time_range(
            @ForAll("segments") List<Record> appended, @ForAll("matchers") Map<String, String> labels,
            @ForAll @IntRange(min = 0, max = 400) int from, @ForAll @IntRange(min = 0, max = 400) int to) {
        byte[] block = SeriesBlockWriter.write(appended, 37);
        SeriesBlockReader reader = SeriesBlockReader.open(new CountingSource(block), block.length);
        long minTs = appended.isEmpty() ? 0 : appended.get(from % appended.size()).timestamp();
        long maxTs = appended.isEmpty() ? 0 : appended.get(to % appended.size()).timestamp();
        Map<ByteBuffer, List<String>> expected = new java.util.HashMap<>();
        for (Record r : appended) {
            if (!SeriesBlockWriter.isSample(r) || r.timestamp() < minTs || r.timestamp() > maxTs) {
                continue;
            }
            SeriesKey key;
            try {
                key = SeriesKey.parse(r.key());
            } catch (io.tierlog.core.CorruptBatchException notASeriesKey) {
                continue; // kept as a side record, not a sample
            }
            boolean matches = labels.entrySet().stream().allMatch(l -> l.getKey().equals(SeriesBlockReader.NAME_LABEL)
                    ? key.name().equals(l.getValue()) : l.getValue().equals(key.tags().get(l.getKey())));
            if (matches) {
                expected.computeIfAbsent(ByteBuffer.wrap(r.key()), k -> new ArrayList<>()).add(r.timestamp()
                        + "=" + r.value()[0] + "/" + ByteBuffer.wrap(r.value(), 1, 8).getLong());
            }
        }

        Map<ByteBuffer, List<String>> selected = new java.util.HashMap<>();
        for (SeriesBlockReader.SeriesSamples s : reader.select(labels, minTs, maxTs)) {
            List<String> samples = new ArrayList<>();
            for (int i = 0; i < s.timestamps().length; i++) {
                samples.add(s.timestamps()[i] + "=" + s.types()[i] + "/"
                        + Double.doubleToRawLongBits(s.values()[i]));
            }
            assertThat(selected.put(ByteBuffer.wrap(s.key()), samples)).as("one entry per series").isNull();
        }
        assertThat(selected).isEqualTo(expected);
    }

    @Property(tries = 200)
    void damage_anywhere_after_the_header_fails_as_a_format_error(
            @ForAll("segments") List<Record> appended, @ForAll @IntRange(min = 0, max = 1_000_000) int where,
            @ForAll @IntRange(min = 1, max = 255) int flip) {
        byte[] block = SeriesBlockWriter.write(appended, 16);
        int position = SeriesBlockWriter.HEADER_SIZE + where % (block.length - SeriesBlockWriter.HEADER_SIZE);
        block[position] ^= (byte) flip;

        assertThatThrownBy(() -> {
            SeriesBlockReader reader = SeriesBlockReader.open(new CountingSource(block), block.length);
            reader.read(Long.MIN_VALUE, Integer.MAX_VALUE);
            reader.dictionary();
            reader.postings();
            for (long resolution : reader.rollupResolutions()) {
                reader.rollups(Map.of(), key -> true, resolution, Long.MIN_VALUE, Long.MAX_VALUE);
            }
        }).isInstanceOf(SeriesFormatException.class);
    }

    @Property(tries = 100)
    void a_truncated_block_fails_as_a_format_error(
            @ForAll("segments") List<Record> appended, @ForAll @IntRange(min = 1, max = 1_000_000) int cut) {
        byte[] whole = SeriesBlockWriter.write(appended, 16);
        byte[] block = Arrays.copyOf(whole, whole.length - 1 - cut % whole.length);

        assertThatThrownBy(() -> SeriesBlockReader.open(new CountingSource(block), block.length)
                .read(Long.MIN_VALUE, Integer.MAX_VALUE)).isInstanceOf(SeriesFormatException.class);
    }

    @Example
    void records_out_of_offset_order_are_refused_by_the_writer() {
        List<Record> records = List.of(new Record(5, 0, null, null), new Record(5, 0, null, null));

        assertThatThrownBy(() -> SeriesBlockWriter.write(records)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ascending offset order");
    }

    @Example
    void offset_for_timestamp_uses_the_row_groups_time_bounds() {
        List<Record> records = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            records.add(new Record(1000 + i, 1_000_000L + i * 10_000L, seriesKey(i % 3), value((byte) 1, i)));
        }
        byte[] block = SeriesBlockWriter.write(records, 10);
        SeriesBlockReader reader = SeriesBlockReader.open(new CountingSource(block), block.length);

        assertThat(reader.offsetForTimestamp(0)).isEqualTo(1000);
        assertThat(reader.offsetForTimestamp(1_000_000L + 55 * 10_000L)).isEqualTo(1050);
        assertThat(reader.offsetForTimestamp(1_000_000L + 99 * 10_000L)).isEqualTo(1090);
        assertThat(reader.offsetForTimestamp(1_000_000L + 100 * 10_000L)).isEqualTo(-1);
    }

    /**
     * 1000 series (counters with resets, integer gauges, decimal ratios) x 360 scrapes at 10 s with millisecond
     * jitter: the series block against the same records as uncompressed v2 batches of 1000 records (what the
     * server builds from HTTP/JSON) and as zstd batches. The figures are printed for docs/cold-tier.md.
     */
    @Example
    void a_metrics_segment_costs_a_few_bytes_per_sample() {
        Random random = new Random(42);
        List<Record> records = new ArrayList<>();
        byte[][] keys = new byte[1000][];
        for (int s = 0; s < keys.length; s++) {
            String name = switch (s % 3) { case 0 -> "http_requests_total"; case 1 -> "queue_depth"; default -> "cache_hit_ratio"; };
            keys[s] = SeriesKey.of(name, Map.of("host", "host-" + (s % 50), "service", "svc-" + (s / 50),
                    "env", "prod")).toBytes();
        }
        double[] last = new double[keys.length];
        long offset = 0;
        for (int scrape = 0; scrape < 360; scrape++) {
            for (int s = 0; s < keys.length; s++) {
                long time = 1_764_000_000_000L + scrape * 10_000L + random.nextInt(5);
                double v = 0;
                MetricType type = MetricType.GAUGE;
                switch (s % 3) {
                    case 0 -> { v = random.nextInt(1000) == 0 ? 0 : last[s] + random.nextInt(20); type = MetricType.COUNTER; }
                    case 1 -> { v = random.nextInt(100); type = MetricType.GAUGE; }
                    default -> { v = Math.round(random.nextDouble() * 1000) / 1000.0; type = MetricType.GAUGE; }
                }
                last[s] = v;
                records.add(new Record(offset++, time, keys[s], MetricCodec.encodeValue(v, type)));
            }
        }
        byte[] block = SeriesBlockWriter.write(records);
        long plain = batchBytes(records, Compression.NONE);
        long zstd = batchBytes(records, Compression.ZSTD);
        SeriesBlockReader reader = SeriesBlockReader.open(new CountingSource(block), block.length);

        assertThat(reader.read(0, Integer.MAX_VALUE)).containsExactlyElementsOf(records);
        double perSample = (double) block.length / records.size();
        System.out.printf("series block: %d bytes, %.2f B/sample; uncompressed batches %.2f B/sample; zstd batches %.2f B/sample%n",
                block.length, perSample, (double) plain / records.size(), (double) zstd / records.size());
        assertThat(perSample).isLessThan(plain / (double) records.size() / 10).isLessThan(2.0); // 1.59 measured (version 1: 3.65)
        assertThat((long) block.length).isLessThan(zstd);
    }

    private static long batchBytes(List<Record> records, Compression compression) {
        long total = 0;
        for (int from = 0; from < records.size(); from += 1000) {
            BatchBuilder b = new BatchBuilder(compression);
            for (Record r : records.subList(from, Math.min(records.size(), from + 1000))) {
                b.add(r.timestamp(), r.key(), r.value());
            }
            total += b.build(from).sizeInBytes();
        }
        return total;
    }
}
