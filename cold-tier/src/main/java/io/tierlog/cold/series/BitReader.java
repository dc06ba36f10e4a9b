package io.tierlog.cold.series;

/** Reads bits most-significant first; every read is bounds-checked and a short input throws. */
final class BitReader {
    private final byte[] buf;
    private final long limit;
    private long pos;

    BitReader(byte[] buf) {
        this.buf = buf;
        this.limit = (long) buf.length * 8;
    }

    long remaining() {
        return limit - pos;
    }

    int readBit() {
        if (pos >= limit) {
            throw new SeriesFormatException("column truncated at bit " + pos);
        }
        int b = (buf[(int) (pos >>> 3)] >>> (7 - (pos & 7))) & 1;
        pos++;
        return b;
    }

    /** Reads {@code n} bits (0 <= n <= 64) as an unsigned value. */
    long read(int n) {
        if (n > remaining()) {
            throw new SeriesFormatException("column truncated: " + n + " bits needed at bit " + pos + ", " + remaining() + " left");
        }
        long v = 0;
        for (int i = 0; i < n; i++) {
            v = (v << 1) | readBit();
        }
        return v;
    }

    /** An unsigned LEB128 varint of at most 10 bytes. */
    long readVarint() {
        long v = 0;
        for (int shift = 0; shift < 70; shift += 7) {
            long b = read(8);
            v |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                if (shift == 63 && b > 1) {
                    throw new SeriesFormatException("varint overflows 64 bits");
                }
                return v;
            }
        }
        throw new SeriesFormatException("varint longer than 10 bytes");
    }

    /**
     * Reads a value count and checks it against {@code maxCount} and against what the remaining bits can hold at
     * {@code minBitsPerValue} each, before the caller allocates anything for it.
     */
    int readCount(int maxCount, int minBitsPerValue) {
        long n = readVarint();
        if (n < 0 || n > maxCount) {
            throw new SeriesFormatException("column claims " + Long.toUnsignedString(n) + " values, more than " + maxCount);
        }
        if (n > 1 && (n - 1) * (long) minBitsPerValue > remaining()) {
            throw new SeriesFormatException("column claims " + n + " values but holds only " + remaining() + " bits");
        }
        return (int) n;
    }

    static long zigzag(long v) {
        return (v << 1) ^ (v >> 63);
    }

    static long unzigzag(long v) {
        return (v >>> 1) ^ -(v & 1);
    }
}
