package io.tierlog.cold.series;

import java.util.Arrays;

/** Appends bits most-significant first into a growing byte array; the last byte is zero-padded. */
final class BitWriter {
    private byte[] buf = new byte[64];
    private long bits;

    /** Writes the low {@code n} bits of {@code value} (0 <= n <= 64), highest first. */
    void write(long value, int n) {
        for (int i = n - 1; i >= 0; i--) {
            writeBit((value >>> i) & 1L);
        }
    }

    void writeBit(long bit) {
        int byteIndex = (int) (bits >>> 3);
        if (byteIndex == buf.length) {
            buf = Arrays.copyOf(buf, buf.length * 2);
        }
        if (bit != 0) {
            buf[byteIndex] |= (byte) (0x80 >>> (bits & 7));
        }
        bits++;
    }

    /** An unsigned LEB128 varint, byte-aligned relative to nothing (bits are simply appended). */
    void writeVarint(long v) {
        while ((v & ~0x7FL) != 0) {
            write((v & 0x7F) | 0x80, 8);
            v >>>= 7;
        }
        write(v, 8);
    }

    byte[] toByteArray() {
        return Arrays.copyOf(buf, (int) ((bits + 7) >>> 3));
    }
}
