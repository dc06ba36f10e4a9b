package io.tierlog.server;

import io.tierlog.core.BatchBuilder;
import io.tierlog.core.Compression;
import io.tierlog.core.Limits;
import io.tierlog.core.MetricEvent;
import io.tierlog.core.MetricCodec;
import io.tierlog.core.MetricType;
import io.tierlog.core.RecordBatch;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

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
            b = m.apply(b, m.value() % 4 == 0 ? 0 : RecordBatch.HEADER_SIZE - CRC_START); // a quarter in the header
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

    /** One change to a batch, at or after {@code from} bytes past the CRC's start (the header's later fields). */
    record Mutation(int kind, int at, int value, int length) {
        byte[] apply(byte[] in, int from) {
            int lo = Math.min(CRC_START + from, in.length);
            if (in.length - lo <= 0) {
                return in;
            }
            int p = lo + Math.floorMod(at, in.length - lo);
            return switch (kind) {
                case 0 -> {
                    byte[] b = in.clone();
                    b[p] ^= (byte) (1 << (value & 7));
                    yield b;
                }
                case 1 -> {
                    byte[] b = in.clone();
                    b[p] = (byte) value;
                    yield b;
                }
                case 2 -> Arrays.copyOf(in, p);
                case 3 -> { // a maximal zig-zag varint (a length or count of about 2^31)
                    byte[] big = {(byte) 0xfe, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f};
                    byte[] b = in.clone();
                    System.arraycopy(big, 0, b, p, Math.min(big.length, b.length - p));
                    yield b;
                }
                default -> {
                    int n = Math.min(length, in.length - p);
                    byte[] b = Arrays.copyOf(in, in.length + n);
                    System.arraycopy(in, p, b, p + n, in.length - p);
                    yield b;
                }
            };
        }
    }

    @Provide
    Arbitrary<List<Mutation>> mutations() {
        return Combinators.combine(Arbitraries.integers().between(0, 4), Arbitraries.integers(),
                        Arbitraries.integers().between(0, 255), Arbitraries.integers().between(1, 32))
                .as(Mutation::new).list().ofMinSize(1).ofMaxSize(3);
    }
}
