package io.tierlog.cold.series;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The byte-level vocabulary of a series block: LEB128 varints, zigzag varints and length-prefixed (optionally null)
 * byte strings, written to a growable buffer and read back from a bounded slice. One place, so the writer and the
 * reader cannot drift apart; every read is checked against the slice so a damaged object fails as
 * {@link SeriesFormatException} before anything is allocated from a length it claims.
 */
final class BlockBytes {
    private BlockBytes() {
    }

    /** An append-only byte sink. */
    static final class Sink {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        long position() {
            return out.size();
        }

        Sink varint(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
            return this;
        }

        Sink zigzag(long v) {
            return varint(BitReader.zigzag(v));
        }

        Sink raw(byte[] bytes) {
            out.write(bytes, 0, bytes.length);
            return this;
        }

        Sink bytes(byte[] bytes) {
            return varint(bytes.length).raw(bytes);
        }

        /** Length + 1, so that 0 means null. */
        Sink nullableBytes(byte[] bytes) {
            return bytes == null ? varint(0) : varint(bytes.length + 1L).raw(bytes);
        }

        Sink int32(int v) {
            out.write(v >>> 24);
            out.write(v >>> 16);
            out.write(v >>> 8);
            out.write(v);
            return this;
        }

        byte[] toByteArray() {
            return out.toByteArray();
        }
    }

    /** A bounded cursor over one section of a block. */
    static final class Source {
        private final byte[] buf;
        private int pos;
        private final int limit;

        Source(byte[] buf) {
            this(buf, 0, buf.length);
        }

        Source(byte[] buf, int from, int to) {
            this.buf = buf;
            this.pos = from;
            this.limit = to;
        }

        int remaining() {
            return limit - pos;
        }

        long varint() {
            long v = 0;
            for (int shift = 0; shift < 70; shift += 7) {
                if (pos >= limit) {
                    throw new SeriesFormatException("series block section truncated inside a varint");
                }
                int b = buf[pos++] & 0xFF;
                if (shift == 63 && (b & 0x7E) != 0) {
                    throw new SeriesFormatException("varint overflows 64 bits");
                }
                v |= (long) (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    return v;
                }
            }
            throw new SeriesFormatException("varint longer than 10 bytes");
        }

        long zigzag() {
            return BitReader.unzigzag(varint());
        }

        /** A count that is non-negative, at most {@code max}, and (each item taking a byte or more) fits the rest. */
        int count(long max, String what) {
            long n = varint();
            if (n < 0 || n > max || n > remaining()) {
                throw new SeriesFormatException(what + " count " + n + " out of bounds (max " + Math.min(max, remaining()) + ")");
            }
            return (int) n;
        }

        /** A non-negative position or length that fits {@code max}. */
        long bounded(long max, String what) {
            long n = varint();
            if (n < 0 || n > max) {
                throw new SeriesFormatException(what + " " + n + " out of bounds (max " + max + ")");
            }
            return n;
        }

        byte[] raw(int n) {
            if (n < 0 || n > remaining()) {
                throw new SeriesFormatException("series block section truncated: needs " + n + " bytes, has " + remaining());
            }
            byte[] out = java.util.Arrays.copyOfRange(buf, pos, pos + n);
            pos += n;
            return out;
        }

        byte[] bytes() {
            long n = varint();
            if (n < 0 || n > remaining()) {
                throw new SeriesFormatException("byte string of " + n + " bytes overruns its section (" + remaining() + " left)");
            }
            return raw((int) n);
        }

        /** Skips a length-prefixed byte string without copying it. */
        void skipBytes() {
            long n = varint();
            if (n < 0 || n > remaining()) {
                throw new SeriesFormatException("byte string of " + n + " bytes overruns its section (" + remaining() + " left)");
            }
            pos += (int) n;
        }

        byte[] nullableBytes() {
            long n = varint();
            if (n == 0) {
                return null;
            }
            if (n < 0 || n - 1 > remaining()) {
                throw new SeriesFormatException("byte string of " + (n - 1) + " bytes overruns its section (" + remaining() + " left)");
            }
            return raw((int) (n - 1));
        }

        String string() {
            return new String(bytes(), StandardCharsets.UTF_8);
        }

        int int32() {
            byte[] b = raw(4);
            return ((b[0] & 0xFF) << 24) | ((b[1] & 0xFF) << 16) | ((b[2] & 0xFF) << 8) | (b[3] & 0xFF);
        }
    }
}
