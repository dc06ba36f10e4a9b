package io.tierlog.core;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Decodes batches checked in under {@code src/test/resources/golden}, written by an earlier build and by
 * kafka-clients, so that the stored format (Kafka's RecordBatch v2, docs/format.md) cannot change by accident.
 * To regenerate after a deliberate change, run with {@code -Dtierlog.golden.write=$PWD/src/test/resources/golden}.
 */
class GoldenFormatTest {
    private static final long BASE_OFFSET = 1_000;

    static List<Record> goldenRecords() {
        byte[] metricValue = MetricCodec.encodeValue(0.42, MetricType.GAUGE);
        return List.of(
                new Record(BASE_OFFSET, 1_732_470_000_000L,
                        SeriesKey.of("cpu.usage", Map.of("host", "a", "dc", "eu-1")).toBytes(), metricValue),
                new Record(BASE_OFFSET + 1, 1_732_469_999_000L, null, "late, no key".getBytes(StandardCharsets.UTF_8)),
                new Record(BASE_OFFSET + 2, 1_732_470_000_500L, "k".getBytes(StandardCharsets.UTF_8), null,
                        List.of(new Header("trace", new byte[]{1, 2, 3}), new Header("empty", null))));
    }

    static RecordBatch encode(Compression c) {
        BatchBuilder b = new BatchBuilder(c);
        goldenRecords().forEach(r -> b.add(r.timestamp(), r.key(), r.value(), r.headers()));
        return b.build(BASE_OFFSET);
    }

    /** Our writer's batch: uncompressed it is fully determined by the format, so it must match byte for byte. */
    @ParameterizedTest
    @EnumSource(Compression.class)
    void checkedInBatchDecodesToTheKnownRecords(Compression c) throws IOException {
        String name = "batch-v2-" + c.name().toLowerCase(Locale.ROOT) + ".bin";
        maybeWrite(name, encode(c).buffer());
        byte[] golden = read(name);
        RecordBatch batch = checkGolden(golden, c);
        if (c == Compression.NONE) {
            assertThat(toArray(encode(c).buffer())).isEqualTo(golden);
        }
        assertThat(KafkaBatches.decode(batch.buffer())).containsExactlyElementsOf(goldenRecords());
    }

    /** The same records written by kafka-clients' own batch writer (MemoryRecordsBuilder), for every codec. */
    @ParameterizedTest
    @EnumSource(Compression.class)
    void batchWrittenByKafkaClientsDecodesToTheKnownRecords(Compression c) throws IOException {
        String name = "kafka-clients-" + c.name().toLowerCase(Locale.ROOT) + ".bin";
        maybeWrite(name, KafkaBatches.encode(c, BASE_OFFSET, goldenRecords()));
        checkGolden(read(name), c);
    }

    /**
     * The same records produced by the real kafka-clients producer through Tierlog's Kafka listener and read back
     * as stored (written and compared byte for byte by the server's {@code KafkaProducerGoldenTest}).
     */
    @ParameterizedTest
    @EnumSource(Compression.class)
    void batchProducedByTheRealKafkaProducerDecodesToTheKnownRecords(Compression c) throws IOException {
        byte[] golden = read("kafka-producer-" + c.name().toLowerCase(Locale.ROOT) + ".bin");
        RecordBatch batch = RecordBatch.parseAll(ByteBuffer.wrap(golden)).getFirst();
        assertThat(batch.compression()).isEqualTo(c);
        assertThat(batch.baseOffset()).isZero();
        assertThat(batch.partitionLeaderEpoch()).isEqualTo(RecordBatch.LEADER_EPOCH);
        assertThat(batch.minTimestamp()).isEqualTo(1_732_469_999_000L);
        assertThat(batch.maxTimestamp()).isEqualTo(1_732_470_000_500L);
        assertThat(batch.records()).containsExactlyElementsOf(goldenRecords().stream()
                .map(r -> new Record(r.offset() - BASE_OFFSET, r.timestamp(), r.key(), r.value(), r.headers())).toList());
    }

    private static RecordBatch checkGolden(byte[] golden, Compression c) {
        RecordBatch batch = RecordBatch.parseAll(ByteBuffer.wrap(golden)).getFirst();
        assertThat(batch.magic()).isEqualTo(RecordBatch.MAGIC);
        assertThat(batch.compression()).isEqualTo(c);
        assertThat(batch.baseOffset()).isEqualTo(BASE_OFFSET);
        assertThat(batch.recordCount()).isEqualTo(3);
        assertThat(batch.baseTimestamp()).isEqualTo(1_732_470_000_000L);
        assertThat(batch.minTimestamp()).isEqualTo(1_732_469_999_000L);
        assertThat(batch.maxTimestamp()).isEqualTo(1_732_470_000_500L);
        assertThat(batch.producerId()).isEqualTo(RecordBatch.NO_PRODUCER_ID);
        assertThat(batch.records()).containsExactlyElementsOf(goldenRecords());
        assertThat(MetricCodec.decode(batch.records().getFirst()))
                .isEqualTo(new MetricEvent("cpu.usage", new java.util.TreeMap<>(Map.of("dc", "eu-1", "host", "a")),
                        1_732_470_000_000L, 0.42, MetricType.GAUGE));
        return batch;
    }

    private static void maybeWrite(String name, ByteBuffer content) throws IOException {
        String writeTo = System.getProperty("tierlog.golden.write");
        if (writeTo != null) {
            Files.write(Path.of(writeTo, name), toArray(content));
        }
    }

    private byte[] read(String name) throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/golden/" + name)) {
            assertThat(in).as("fixture %s", name).isNotNull();
            return in.readAllBytes();
        }
    }

    private static byte[] toArray(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return a;
    }
}
