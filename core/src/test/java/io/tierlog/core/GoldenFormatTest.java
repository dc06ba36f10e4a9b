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
 * Decodes batches checked in under {@code src/test/resources/golden}, written by an earlier build, so that the
 * stored format (docs/format.md) cannot change by accident. To regenerate after a deliberate format change
 * (new magic), run with {@code -Dtierlog.golden.write=core/src/test/resources/golden}.
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

    @ParameterizedTest
    @EnumSource(Compression.class)
    void checkedInBatchDecodesToTheKnownRecords(Compression c) throws IOException {
        String name = "batch-v1-" + c.name().toLowerCase(Locale.ROOT) + ".bin";
        String writeTo = System.getProperty("tierlog.golden.write");
        if (writeTo != null) {
            Files.write(Path.of(writeTo, name), toArray(encode(c).buffer()));
        }
        byte[] golden;
        try (InputStream in = getClass().getResourceAsStream("/golden/" + name)) {
            assertThat(in).as("fixture %s", name).isNotNull();
            golden = in.readAllBytes();
        }
        RecordBatch batch = RecordBatch.parseAll(ByteBuffer.wrap(golden)).getFirst();
        assertThat(batch.magic()).isEqualTo(RecordBatch.MAGIC);
        assertThat(batch.compression()).isEqualTo(c);
        assertThat(batch.baseOffset()).isEqualTo(BASE_OFFSET);
        assertThat(batch.recordCount()).isEqualTo(3);
        assertThat(batch.minTimestamp()).isEqualTo(1_732_469_999_000L);
        assertThat(batch.maxTimestamp()).isEqualTo(1_732_470_000_500L);
        assertThat(batch.records()).containsExactlyElementsOf(goldenRecords());
        assertThat(MetricCodec.decode(batch.records().getFirst()))
                .isEqualTo(new MetricEvent("cpu.usage", new java.util.TreeMap<>(Map.of("dc", "eu-1", "host", "a")),
                        1_732_470_000_000L, 0.42, MetricType.GAUGE));
        if (c == Compression.NONE) {
            // the uncompressed encoding is fully determined by the format: byte for byte
            assertThat(toArray(encode(c).buffer())).isEqualTo(golden);
        }
    }

    private static byte[] toArray(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return a;
    }
}
