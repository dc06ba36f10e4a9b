package io.tierlog.core;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

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
}
