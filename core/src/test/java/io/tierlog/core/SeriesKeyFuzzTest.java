package io.tierlog.core;

import io.tierlog.core.testing.Allocations;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Series keys and metric samples are read back from records that clients wrote (a metrics topic's records arrive
 * over HTTP and the Kafka door, and the door's validation decodes them): {@link SeriesKey#parse} either returns a key
 * whose canonical form parses back to itself or throws {@link CorruptBatchException}, {@link MetricCodec#decode}
 * likewise, and both allocate in proportion to the record.
 */
class SeriesKeyFuzzTest {
    /** Fixed cost (exception and its stack trace, the cache entry) plus a String, a TreeMap and builders per char. */
    private static final long BASE_BYTES = 64 * 1024;
    private static final long PER_INPUT_BYTE = 128;

    @Property(tries = 3000)
    void arbitraryBytesParseOrFailWithCorruptBatch(@ForAll @Size(max = 500) byte[] bytes) {
        check(bytes);
    }

    /** Text built from the key grammar's own characters, so that the fuzzer reaches escapes and separators. */
    @Property(tries = 3000)
    void grammarShapedTextParsesOrFailsWithCorruptBatch(@ForAll("keyish") String text) {
        check(text.getBytes(StandardCharsets.UTF_8));
    }

    @Provide
    Arbitrary<String> keyish() {
        return Arbitraries.strings().withChars("{}=,\\ab.é\u0000").ofMaxLength(60);
    }

    @Property(tries = 2000)
    void arbitraryRecordsDecodeAsMetricSamplesOrFailWithCorruptBatch(@ForAll("keyish") String key,
                                                                     @ForAll @Size(max = 12) byte[] value,
                                                                     @ForAll long timestamp) {
        Record r = new Record(7, timestamp, key.getBytes(StandardCharsets.UTF_8), value, java.util.List.of());
        Allocations.Outcome o = Allocations.measure(() -> MetricCodec.decode(r));
        if (o.thrown() != null && !(o.thrown() instanceof CorruptBatchException)) {
            throw new AssertionError("expected only CorruptBatchException, got " + o.thrown(), o.thrown());
        }
        assertThat(o.allocatedBytes()).isLessThanOrEqualTo(BASE_BYTES + PER_INPUT_BYTE * (r.key().length + value.length));
    }

    private static void check(byte[] bytes) {
        SeriesKey[] parsed = new SeriesKey[1];
        Allocations.Outcome o = Allocations.measure(() -> parsed[0] = SeriesKey.parse(bytes.clone()));
        if (o.thrown() != null && !(o.thrown() instanceof CorruptBatchException)) {
            throw new AssertionError("expected only CorruptBatchException, got " + o.thrown(), o.thrown());
        }
        assertThat(o.allocatedBytes()).isLessThanOrEqualTo(BASE_BYTES + PER_INPUT_BYTE * bytes.length);
        if (parsed[0] != null) {
            SeriesKey k = parsed[0];
            assertThat(SeriesKey.parse(k.canonical())).as("canonical form of %s parses back", k).isEqualTo(k);
        }
    }
}
