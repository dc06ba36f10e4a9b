package io.tierlog.core;

import org.xerial.snappy.Snappy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Decodes snappy as Kafka's snappy codec writes it (xerial-snappy's stream: a 16-byte magic header, then chunks of a
 * 4-byte big-endian length and one snappy block), and, as xerial's {@code SnappyInputStream} does, a bare snappy
 * block without the header. Unlike that stream class, which allocates whatever a block's length header declares
 * (a 5-byte input declares 2 GiB), every block is checked before its output is allocated: its declared length must
 * fit what remains of the limit, and the block must be valid snappy, which proves that its operations produce exactly
 * that many bytes (so the declared length cannot exceed what the input can expand to).
 */
final class SnappyFrames {
    private static final byte[] MAGIC = {(byte) 0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
    /** The magic, then the writer's version and the oldest compatible version (two ints). */
    private static final int HEADER_SIZE = MAGIC.length + 8;

    private SnappyFrames() {
    }

    /**
     * Decodes {@code src} (position to limit; the buffer is not moved) into {@code initial}, replaced by a larger
     * array when needed (at most {@code maxOutput} bytes), and returns the bytes as a buffer over that array
     * (position 0, limit = length). Malformed input and output past the limit throw {@link CorruptBatchException}.
     */
    static ByteBuffer decodeInto(ByteBuffer src, byte[] initial, int maxOutput) {
        byte[] in;
        int pos;
        int end;
        if (src.hasArray()) {
            in = src.array();
            pos = src.arrayOffset() + src.position();
        } else {
            in = new byte[src.remaining()];
            src.duplicate().get(in);
            pos = 0;
        }
        end = pos + src.remaining();
        Output out = new Output(initial, maxOutput);
        if (!startsWithMagic(in, pos, end)) {
            block(in, pos, end - pos, out); // a bare block, as xerial's stream reader accepts
            return out.buffer();
        }
        while (pos < end) {
            if (startsWithMagic(in, pos, end)) { // a header, at the start or where two streams were concatenated
                if (end - pos < HEADER_SIZE) {
                    throw new CorruptBatchException("snappy stream header is truncated");
                }
                pos += HEADER_SIZE;
                continue;
            }
            if (end - pos < 4) {
                throw new CorruptBatchException("snappy chunk length is truncated (" + (end - pos) + " bytes left)");
            }
            int len = ((in[pos] & 0xff) << 24) | ((in[pos + 1] & 0xff) << 16) | ((in[pos + 2] & 0xff) << 8) | (in[pos + 3] & 0xff);
            pos += 4;
            if (len < 0 || len > end - pos) {
                throw new CorruptBatchException("snappy chunk of " + Integer.toUnsignedString(len)
                        + " bytes does not fit the " + (end - pos) + " bytes left");
            }
            block(in, pos, len, out);
            pos += len;
        }
        return out.buffer();
    }

    private static boolean startsWithMagic(byte[] in, int pos, int end) {
        return end - pos >= MAGIC.length && Arrays.equals(in, pos, pos + MAGIC.length, MAGIC, 0, MAGIC.length);
    }

    /** Decodes one snappy block after checking its declared length and its validity. */
    private static void block(byte[] in, int off, int len, Output out) {
        try {
            int declared = Snappy.uncompressedLength(in, off, len);
            if (declared < 0 || declared > out.max - out.n) {
                throw new CorruptBatchException(declared < 0 || declared > out.max
                        ? "snappy block declares " + Integer.toUnsignedString(declared) + " bytes, more than " + out.max
                        : "record section decompresses to more than " + out.max + " bytes");
            }
            if (!Snappy.isValidCompressedBuffer(in, off, len)) {
                throw new CorruptBatchException("snappy block is corrupt");
            }
            out.ensure(declared);
            out.n += Snappy.uncompress(in, off, len, out.bytes, out.n);
        } catch (IOException | RuntimeException e) {
            if (e instanceof CorruptBatchException c) {
                throw c;
            }
            throw new CorruptBatchException("snappy block is corrupt: " + e.getMessage(), e);
        }
    }

    /** The growing output array. */
    private static final class Output {
        byte[] bytes;
        int n;
        final int max;

        Output(byte[] initial, int max) {
            this.bytes = initial;
            this.max = max;
        }

        void ensure(int more) {
            long need = (long) n + more;
            if (need > bytes.length) {
                bytes = Arrays.copyOf(bytes, (int) Math.min(max, Math.max(need, Math.max(256L, 2L * bytes.length))));
            }
        }

        ByteBuffer buffer() {
            return ByteBuffer.wrap(bytes, 0, n);
        }
    }
}
