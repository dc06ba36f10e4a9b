package io.tierlog.core;

import io.tierlog.core.testing.Allocations;
import io.tierlog.core.testing.Mutations;
import io.tierlog.core.testing.Mutations.Huge;
import io.tierlog.core.testing.Mutations.Mutation;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

import static io.tierlog.core.testing.Mutations.Kind.DUPLICATE;
import static io.tierlog.core.testing.Mutations.Kind.FLIP;
import static io.tierlog.core.testing.Mutations.Kind.INSERT_HUGE;
import static io.tierlog.core.testing.Mutations.Kind.SET;
import static io.tierlog.core.testing.Mutations.Kind.TRUNCATE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Batches come from clients (HTTP binary produce, the Kafka listener) and from storage: whatever the bytes, parsing
 * and decoding fail only with {@link CorruptBatchException}, and the memory one decode allocates stays within what the
 * input can describe: a header or a varint declaring gigabytes is refused before anything that size is allocated, and
 * a compressed record section costs at most its codec's expansion of the input, never more than twice
 * {@link Compression#MAX_DECOMPRESSED_BYTES} (the doubling output buffer).
 *
 * <p>Random bytes almost never pass the CRC, so most properties here are structure-aware: a valid batch is built,
 * its record section (plain or compressed) is mutated, and the header and CRC are rewritten around it so that the
 * mutation reaches the decompressors and the record parser.
 */
class RecordBatchFuzzTest {
    /** Fixed cost of one decode: views, exceptions with their stack traces, the first pooled scratch array. */
    private static final long BASE_BYTES = 1024 * 1024;
    /** Objects per input byte when records are materialised (a Record, its arrays and list per 7-byte record). */
    private static final long PER_INPUT_BYTE = 64;

    /** What one decode of stored or client bytes does: full validation, then every reader of a batch. */
    private static void decode(ByteBuffer bytes) {
        for (RecordBatch b : RecordBatch.parseAll(bytes.duplicate())) {
            b.records();
            b.minTimestamp();
        }
    }

    /** The readers that do not validate first (recovery scans, the minimum timestamp of a stored batch). */
    private static void decodeUnvalidated(ByteBuffer bytes) {
        for (RecordBatch b : RecordBatch.iterate(bytes.duplicate())) {
            b.isValidHeaderAndCrc();
            b.minTimestamp();
            b.records();
        }
    }

    /**
     * The most a decode of {@code inputBytes} of {@code c} may allocate: the fixed base, the materialised records,
     * and the decompressed section (at most the codec's worst expansion of the input, capped by the declared limit)
     * twice over for the doubling output buffer, plus lz4's window of its largest declarable block (4 MiB).
     */
    private static long bound(Compression c, int inputBytes) {
        long expansion = switch (c) {
            case NONE -> 0;
            case GZIP -> 1032L; // deflate's maximum ratio
            case SNAPPY -> 64L;
            case LZ4 -> 256L;
            case ZSTD -> 65_536L; // an RLE block: 3 bytes of header for up to 128 KiB
        };
        long decompressed = Math.min(Compression.MAX_DECOMPRESSED_BYTES, expansion * inputBytes);
        long window = c == Compression.LZ4 ? 8L * 1024 * 1024 : c == Compression.ZSTD ? 512 * 1024 : 0;
        return BASE_BYTES + PER_INPUT_BYTE * inputBytes + 3 * decompressed + window;
    }

    private static void assertOnlyCorruptBatchAndBounded(byte[] bytes, Compression c) {
        long limit = bound(c, bytes.length);
        for (Runnable r : List.<Runnable>of(() -> decode(ByteBuffer.wrap(bytes)), () -> decodeUnvalidated(ByteBuffer.wrap(bytes)))) {
            Allocations.Outcome o = Allocations.measure(r);
            if (o.thrown() != null && !(o.thrown() instanceof CorruptBatchException)) {
                throw new AssertionError("expected only CorruptBatchException, got " + o.thrown(), o.thrown());
            }
            assertThat(o.allocatedBytes()).as("bytes allocated decoding %d input bytes (%s)", bytes.length, c)
                    .isLessThanOrEqualTo(limit);
        }
    }

    // ---------------------------------------------------------------- unstructured

    @Property(tries = 2000)
    void arbitraryBytesFailOnlyWithCorruptBatchAndAllocateLittle(@ForAll @Size(max = 2000) byte[] bytes) {
        assertOnlyCorruptBatchAndBounded(bytes, Compression.NONE);
    }

    /** A header declaring any length, up to 2 GiB, over a short buffer: refused before it is allocated. */
    @Property(tries = 1000)
    void anyDeclaredBatchLengthIsCheckedBeforeAllocating(@ForAll int declaredLength, @ForAll @Size(max = 200) byte[] rest) {
        ByteBuffer b = ByteBuffer.allocate(RecordBatch.HEADER_SIZE + rest.length);
        b.putLong(0).putInt(declaredLength).putInt(0).put(RecordBatch.MAGIC).position(RecordBatch.HEADER_SIZE);
        b.put(rest);
        Allocations.Outcome o = Allocations.measure(() -> decode(ByteBuffer.wrap(b.array())));
        assertThat(o.thrown()).isInstanceOf(CorruptBatchException.class);
        assertThat(o.allocatedBytes()).isLessThan(256 * 1024);
    }

    // ---------------------------------------------------------------- structure-aware

    /** A record section (already in {@code c}'s stream format) wrapped in a header with a valid CRC. */
    static byte[] batch(Compression c, byte[] section, int count, long baseTimestamp, long maxTimestamp) {
        ByteBuffer out = ByteBuffer.allocate(RecordBatch.HEADER_SIZE + section.length);
        out.position(RecordBatch.HEADER_SIZE);
        out.put(section);
        out.flip();
        RecordBatch.writeHeader(out, 0, c, count - 1, baseTimestamp, maxTimestamp, RecordBatch.NO_PRODUCER_ID,
                RecordBatch.NO_PRODUCER_EPOCH, RecordBatch.NO_SEQUENCE, count);
        return out.array();
    }

    /** A valid batch of {@code values.size()} records, to be mutated. */
    private static RecordBatch valid(Compression c, List<byte[]> values) {
        BatchBuilder b = new BatchBuilder(c);
        long ts = 1_732_470_000_000L;
        for (byte[] v : values) {
            b.add(ts++, v.length > 2 ? Arrays.copyOf(v, 2) : null, v, v.length > 4 ? List.of(new Header("h", v)) : List.of());
        }
        return b.build(0);
    }

    /** Bit flips, bytes set (twice as often), cuts, maximal zig-zag varints inserted, repeated runs. */
    private static final Mutations MUTATIONS = Mutations.of(FLIP, SET, SET, TRUNCATE, INSERT_HUGE, DUPLICATE)
            .huge(Huge.ZIGZAG_VARINT).maxRun(64).maxCount(4);

    @Provide
    Arbitrary<List<Mutation>> mutations() {
        return MUTATIONS.arbitrary();
    }

    @Provide
    Arbitrary<List<byte[]>> values() {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(120).list().ofMinSize(1).ofMaxSize(12);
    }

    /**
     * The plain record section mutated, then compressed with {@code c}: decompression succeeds and the record parser
     * meets damaged framing, lengths, varints and header counts.
     */
    @Property(tries = 1500)
    void mutatedRecordSectionsBehindAValidCrcFailOnlyWithCorruptBatch(@ForAll("values") List<byte[]> values,
                                                                      @ForAll Compression c,
                                                                      @ForAll("mutations") List<Mutation> mutations,
                                                                      @ForAll @IntRange(min = -2, max = 2) int countSkew) {
        RecordBatch v = valid(Compression.NONE, values);
        byte[] plain = new byte[v.sizeInBytes() - RecordBatch.HEADER_SIZE];
        v.buffer().position(RecordBatch.HEADER_SIZE).get(plain);
        plain = MUTATIONS.apply(plain, mutations);
        byte[] section = c.compress(plain, 0, plain.length);
        int count = Math.max(1, values.size() + countSkew);
        assertOnlyCorruptBatchAndBounded(batch(c, section, count, v.baseTimestamp(), v.maxTimestamp()), c);
    }

    /** The compressed stream itself mutated (the CRC rewritten): what the decompressors see from a hostile client. */
    @Property(tries = 2500)
    void mutatedCompressedStreamsFailOnlyWithCorruptBatchAndStayBounded(@ForAll("values") List<byte[]> values,
                                                                        @ForAll("codecs") Compression c,
                                                                        @ForAll("mutations") List<Mutation> mutations) {
        RecordBatch v = valid(c, values);
        byte[] section = new byte[v.sizeInBytes() - RecordBatch.HEADER_SIZE];
        v.buffer().position(RecordBatch.HEADER_SIZE).get(section);
        section = MUTATIONS.apply(section, mutations);
        assertOnlyCorruptBatchAndBounded(batch(c, section, values.size(), v.baseTimestamp(), v.maxTimestamp()), c);
    }

    /** Arbitrary bytes as a compressed section behind a valid header and CRC. */
    @Property(tries = 1500)
    void arbitraryCompressedSectionsFailOnlyWithCorruptBatch(@ForAll("codecs") Compression c,
                                                             @ForAll @Size(max = 400) byte[] section,
                                                             @ForAll @IntRange(min = 1, max = 1000) int count) {
        assertOnlyCorruptBatchAndBounded(batch(c, section, count, 0, 0), c);
    }

    /**
     * Found by {@code arbitraryCompressedSectionsFailOnlyWithCorruptBatch}: a snappy section that is not
     * xerial-framed and whose block header declares 2 GiB made xerial's SnappyInputStream allocate it (an
     * OutOfMemoryError from a 66-byte client batch).
     */
    @Example
    void aSnappySectionDeclaring2GiBIsRefusedBeforeAllocatingIt() {
        byte[] section = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07};
        assertOnlyCorruptBatchAndBounded(batch(Compression.SNAPPY, section, 1, 0, 0), Compression.SNAPPY);
    }

    @Provide
    Arbitrary<Compression> codecs() {
        return Arbitraries.of(Compression.GZIP, Compression.SNAPPY, Compression.LZ4, Compression.ZSTD);
    }

    /**
     * A compression bomb: 129 MiB of zeros in a zstd section of a few KiB. Decoding stops at the declared limit,
     * having allocated the doubling output buffer (at most twice the limit) and nothing else of that size.
     */
    @Example
    void aCompressionBombStopsAtTheDecompressionLimit() {
        int size = Compression.MAX_DECOMPRESSED_BYTES + 1024 * 1024;
        byte[] section = Compression.ZSTD.compress(new byte[size], 0, size);
        assertThat(section.length).isLessThan(64 * 1024);
        byte[] bytes = batch(Compression.ZSTD, section, 1, 0, 0);
        Allocations.Outcome o = Allocations.measure(() -> RecordBatch.parseAll(ByteBuffer.wrap(bytes)));
        assertThat(o.thrown()).isInstanceOf(CorruptBatchException.class).hasMessageContaining("more than");
        assertThat(o.allocatedBytes()).isLessThanOrEqualTo(2L * Compression.MAX_DECOMPRESSED_BYTES + BASE_BYTES);
    }
}
