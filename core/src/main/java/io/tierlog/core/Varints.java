package io.tierlog.core;

import java.nio.ByteBuffer;

/** Zig-zag varints, as in Kafka's v2 record format: small signed numbers take one byte. */
final class Varints {
    private Varints() {
    }

    static int sizeOfVarint(int value) {
        int v = (value << 1) ^ (value >> 31);
        int bytes = 1;
        while ((v & 0xffffff80) != 0) {
            bytes++;
            v >>>= 7;
        }
        return bytes;
    }

    static int sizeOfVarlong(long value) {
        long v = (value << 1) ^ (value >> 63);
        int bytes = 1;
        while ((v & 0xffffffffffffff80L) != 0L) {
            bytes++;
            v >>>= 7;
        }
        return bytes;
    }

    static void writeVarint(int value, ByteBuffer out) {
        int v = (value << 1) ^ (value >> 31);
        while ((v & 0xffffff80) != 0) {
            out.put((byte) ((v & 0x7f) | 0x80));
            v >>>= 7;
        }
        out.put((byte) v);
    }

    static void writeVarlong(long value, ByteBuffer out) {
        long v = (value << 1) ^ (value >> 63);
        while ((v & 0xffffffffffffff80L) != 0L) {
            out.put((byte) ((v & 0x7f) | 0x80));
            v >>>= 7;
        }
        out.put((byte) v);
    }

    static int readVarint(ByteBuffer in) {
        int value = 0;
        int shift = 0;
        int b;
        do {
            if (shift > 28) {
                throw new CorruptBatchException("varint longer than 5 bytes");
            }
            b = in.get();
            value |= (b & 0x7f) << shift;
            shift += 7;
        } while ((b & 0x80) != 0);
        return (value >>> 1) ^ -(value & 1);
    }

    static long readVarlong(ByteBuffer in) {
        long value = 0;
        int shift = 0;
        long b;
        do {
            if (shift > 63) {
                throw new CorruptBatchException("varlong longer than 10 bytes");
            }
            b = in.get();
            value |= (b & 0x7f) << shift;
            shift += 7;
        } while ((b & 0x80) != 0);
        return (value >>> 1) ^ -(value & 1);
    }
}
