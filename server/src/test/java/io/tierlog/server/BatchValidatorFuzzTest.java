package io.tierlog.server;

import io.tierlog.core.BatchBuilder;
import io.tierlog.core.Compression;
import io.tierlog.core.Limits;
import io.tierlog.core.MetricEvent;
import io.tierlog.core.MetricCodec;
import io.tierlog.core.MetricType;
import io.tierlog.core.RecordBatch;
import io.tierlog.core.testing.Allocations;
import io.tierlog.core.testing.Mutations;
import io.tierlog.core.testing.Mutations.Huge;
import io.tierlog.core.testing.Mutations.Mutation;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

import static io.tierlog.core.testing.Mutations.Kind.DUPLICATE;
import static io.tierlog.core.testing.Mutations.Kind.FLIP;
import static io.tierlog.core.testing.Mutations.Kind.OVERWRITE_HUGE;
import static io.tierlog.core.testing.Mutations.Kind.SET;
import static io.tierlog.core.testing.Mutations.Kind.TRUNCATE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The check both doors run on a client's batches (HTTP binary produce, Kafka Produce) before anything is stored:
 * whatever the bytes, {@link BatchValidator#check} accepts them or throws {@link BatchValidator.RejectedBatchException}
 * (400 / 413 / CORRUPT_MESSAGE / INVALID_RECORD), never another exception, and allocates at most a fixed base plus
 * a bounded multiple of the input and of what its codec can expand it to (capped by the 128 MiB decompression limit).
 * Structure-aware: valid bytes and metric batches are mutated and their CRC rewritten, so the mutations reach the
 * record walk and the metric-sample rules, not only the CRC check.
 */
class BatchValidatorFuzzTest {
    private static final long BASE_BYTES = 2L * 1024 * 1024;
    private static final long PER_INPUT_BYTE = 64;
    /** CRC32C covers the batch from its attributes (byte 21) to the end; it is stored at byte 17. */
    private static final int CRC_OFFSET = 17;
    private static final int CRC_START = 21;

    private final BatchValidator validator = new BatchValidator(Limits.DEFAULTS);

    private void check(byte[] bytes, boolean metrics, Compression c) {
        Allocations.Outcome o = Allocations.measure(() -> validator.check(ByteBuffer.wrap(bytes), metrics));
        if (o.thrown() != null && !(o.thrown() instanceof BatchValidator.RejectedBatchException)) {
            throw new AssertionError("expected only RejectedBatchException, got " + o.thrown(), o.thrown());
        }
        net.jqwik.api.statistics.Statistics.label("outcome").collect(o.thrown() == null ? "accepted"
                : ((BatchValidator.RejectedBatchException) o.thrown()).problem().name());
        long expansion = switch (c) {
            case NONE -> 0;
            case GZIP -> 1032L;
            case SNAPPY -> 64L;
            case LZ4 -> 256L;
            case ZSTD -> 65_536L;
        };
        long decompressed = Math.min(Compression.MAX_DECOMPRESSED_BYTES, expansion * bytes.length);
        long window = c == Compression.LZ4 ? 8L * 1024 * 1024 : 0;
        assertThat(o.allocatedBytes()).as("bytes allocated checking %d bytes (%s)", bytes.length, c)
                .isLessThanOrEqualTo(BASE_BYTES + PER_INPUT_BYTE * bytes.length + (3 + PER_INPUT_BYTE) * decompressed + window);
    }

    @Property(tries = 1500)
    void arbitraryBytesAreRejectedCleanly(@ForAll @Size(max = 1000) byte[] bytes, @ForAll boolean metrics) {
        check(bytes, metrics, Compression.NONE);
    }

    /** Valid batches of both topic kinds and every codec, mutated, with the CRC rewritten over the mutation. */
    @Property(tries = 3000)
    void mutatedBatchesBehindAValidCrcAreAcceptedOrRejectedCleanly(@ForAll boolean metrics, @ForAll Compression c,
                                                                    @ForAll("mutations") List<Mutation> mutations,
                                                                    @ForAll boolean keepLength) {
        RecordBatch valid = metrics ? metricBatch(c) : bytesBatch(c);
        byte[] b = new byte[valid.sizeInBytes()];
        valid.buffer().get(b);
        for (Mutation m : mutations) {
            // a quarter at or after the CRC's start (the header's later fields too), the rest in the records
            b = MUTATIONS.apply(b, m, m.value() % 4 == 0 ? CRC_START : RecordBatch.HEADER_SIZE);
        }
        if (keepLength && b.length >= RecordBatch.HEADER_SIZE) {
            ByteBuffer.wrap(b).putInt(8, b.length - RecordBatch.LOG_OVERHEAD);
        }
        if (b.length >= RecordBatch.HEADER_SIZE) {
            CRC32C crc = new CRC32C();
            crc.update(b, CRC_START, b.length - CRC_START);
            ByteBuffer.wrap(b).putInt(CRC_OFFSET, (int) crc.getValue());
        }
        check(b, metrics, c);
    }

    private static RecordBatch metricBatch(Compression c) {
        return MetricCodec.encode(List.of(
                new MetricEvent("cpu.usage", new java.util.TreeMap<>(Map.of("host", "a", "dc", "eu")), 1_732_470_000_000L, 0.5, MetricType.GAUGE),
                new MetricEvent("requests", new java.util.TreeMap<>(Map.of("code", "200")), 1_732_470_000_001L, 7, MetricType.COUNTER),
                new MetricEvent("up", new java.util.TreeMap<>(), 1_732_470_000_002L, 1, MetricType.UNTYPED)), c, Limits.DEFAULTS);
    }

    private static RecordBatch bytesBatch(Compression c) {
        BatchBuilder b = new BatchBuilder(c);
        b.add(1_732_470_000_000L, "k".getBytes(StandardCharsets.UTF_8), "hello".getBytes(StandardCharsets.UTF_8),
                List.of(new io.tierlog.core.Header("h", new byte[]{1, 2})));
        b.add(1_732_470_000_005L, null, new byte[40]);
        return b.build();
    }

    /**
     * Bit flips, bytes set, cuts, a maximal zig-zag varint (a length or count of about 2^31) written over the batch,
     * repeated runs.
     */
    private static final Mutations MUTATIONS = Mutations.of(FLIP, SET, TRUNCATE, OVERWRITE_HUGE, DUPLICATE)
            .huge(Huge.ZIGZAG_VARINT).maxRun(32).maxCount(3);

    @Provide
    Arbitrary<List<Mutation>> mutations() {
        return MUTATIONS.arbitrary();
    }
}
