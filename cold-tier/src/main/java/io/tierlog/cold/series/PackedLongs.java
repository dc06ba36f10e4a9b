package io.tierlog.cold.series;

import java.util.Arrays;

/**
 * A column of longs bit-packed in blocks of 64 by frame of reference, optionally over their deltas (as Parquet's
 * DELTA_BINARY_PACKED and the integer codecs of columnar stores do). Each block stores its minimum (relative to the
 * previous block's) and the bit width of the largest value above it, then every value in that many bits. A regular
 * scrape's timestamp deltas are all equal and cost 0 bits; a counter's increments cost the bits of their spread; an
 * outlier (a counter reset, a gap) widens only its own block. Two refinements pay for themselves on metrics: a
 * column-wide divisor (resident memory moves in pages of 4096 bytes: 12 bits saved per value) and sparse blocks,
 * where a bitmap marks the values that are not zero and only those are packed (a gauge that rarely moves, a latency
 * quantile that keeps its value between scrapes). Arithmetic wraps, so every sequence of longs round-trips.
 *
 * <p>Layout: {@code uvarint count}; when count > 0: {@code zvarint first} (delta mode only), {@code uvarint divisor}
 * (>= 1), then per block of up to 64 values (the deltas {@code v[i] - v[i-1]}, i >= 1, in delta mode; the values
 * otherwise): {@code zvarint (min - previous block's min)}, {@code int8 flags} (bit 7 sparse, bits 0-6 the width
 * 0..64); dense: each {@code (value - min) / divisor} in width bits; sparse: a bitmap of {@code ceil(n/8)} bytes
 * (bit set = the value is not 0, most significant bit first), then each non-zero value as {@code (value - min) /
 * divisor} in width bits (min is then the minimum of the non-zero values). Bits are most significant first; each
 * block's bits are padded to a whole byte.
 */
public final class PackedLongs {
    static final int BLOCK = 64;
    private static final int SPARSE = 0x80;

    private PackedLongs() {
    }

    /** Encodes {@code values}: their deltas when {@code delta}, else the values themselves. */
    public static byte[] encode(long[] values, boolean delta) {
        Sink out = new Sink(16 + values.length);
        out.varint(values.length);
        if (values.length == 0) {
            return out.toByteArray();
        }
        int from = 0;
        if (delta) {
            out.varint(BitReader.zigzag(values[0]));
            from = 1;
        }
        long[] packed = new long[values.length - from];
        for (int i = from; i < values.length; i++) {
            packed[i - from] = delta ? values[i] - values[i - 1] : values[i];
        }
        long divisor = divisor(packed);
        byte[] blocks = blocks(packed, divisor);
        if (blocks == null) {
            divisor = 1; // wrapping differences that the divisor does not divide after all: pack them plainly
            blocks = blocks(packed, divisor);
        }
        out.varint(divisor);
        out.raw(blocks);
        return out.toByteArray();
    }

    /** The blocks of {@code packed} with {@code divisor}, or null when some value minus its block minimum is not a multiple. */
    private static byte[] blocks(long[] packed, long divisor) {
        Sink out = new Sink(16 + packed.length);
        long previousMin = 0;
        long[] dense = new long[BLOCK];
        long[] nonZero = new long[BLOCK];
        for (int i = 0; i < packed.length; i += BLOCK) {
            int n = Math.min(BLOCK, packed.length - i);
            long min = Long.MAX_VALUE;
            long nzMin = Long.MAX_VALUE;
            int nz = 0;
            for (int j = 0; j < n; j++) {
                long v = packed[i + j];
                dense[j] = v;
                min = Math.min(min, v);
                if (v != 0) {
                    nonZero[nz++] = v;
                    nzMin = Math.min(nzMin, v);
                }
            }
            int denseWidth = width(dense, n, min, divisor);
            int sparseWidth = nz == 0 ? 0 : width(nonZero, nz, nzMin, divisor);
            if (denseWidth < 0 || sparseWidth < 0) {
                return null;
            }
            long denseBits = (long) n * denseWidth;
            long sparseBits = (n + 7) / 8 * 8L + (long) nz * sparseWidth;
            if (nz > 0 && sparseBits < denseBits) {
                out.varint(BitReader.zigzag(nzMin - previousMin));
                out.put(SPARSE | sparseWidth);
                previousMin = nzMin;
                byte[] bitmap = new byte[(n + 7) / 8];
                for (int j = 0; j < n; j++) {
                    if (dense[j] != 0) {
                        bitmap[j >>> 3] |= (byte) (0x80 >>> (j & 7));
                    }
                }
                out.raw(bitmap);
                out.pack(nonZero, nz, nzMin, divisor, sparseWidth);
            } else {
                out.varint(BitReader.zigzag(min - previousMin));
                out.put(denseWidth);
                previousMin = min;
                out.pack(dense, n, min, divisor, denseWidth);
            }
        }
        return out.toByteArray();
    }

    /** The largest divisor of every pairwise difference (so of every value minus any block minimum), at least 1. */
    private static long divisor(long[] values) {
        if (values.length < 2) {
            return 1;
        }
        long g = 0;
        for (int i = 1; i < values.length; i++) {
            long d = values[i] - values[0];
            g = gcd(g, d == Long.MIN_VALUE ? 1 : Math.abs(d));
            if (g == 1) {
                return 1;
            }
        }
        return g == 0 ? 1 : g;
    }

    private static long gcd(long a, long b) {
        while (b != 0) {
            long t = a % b;
            a = b;
            b = t;
        }
        return a;
    }

    /** Bits for the largest {@code (value - min) / divisor}, or -1 when a difference is not a multiple of the divisor. */
    private static int width(long[] values, int n, long min, long divisor) {
        long spread = 0;
        for (int j = 0; j < n; j++) {
            if (divisor != 1 && Long.remainderUnsigned(values[j] - min, divisor) != 0) {
                return -1;
            }
            spread |= Long.divideUnsigned(values[j] - min, divisor);
        }
        return 64 - Long.numberOfLeadingZeros(spread);
    }

    /**
     * Decodes a column of at most {@code maxCount} values written with the same {@code delta}; throws
     * {@link SeriesFormatException} on damage, before allocating for a count the column cannot hold.
     */
    public static long[] decode(byte[] column, int maxCount, boolean delta) {
        BlockBytes.Source in = new BlockBytes.Source(column);
        long claimed = in.varint();
        long packedValues = delta ? claimed - 1 : claimed;
        // every block of up to 64 values takes at least two bytes (its min and flags)
        if (claimed < 0 || claimed > maxCount || (packedValues + BLOCK - 1) / BLOCK * 2 > in.remaining()) {
            throw new SeriesFormatException("packed column claims " + claimed + " values (max " + maxCount + ", "
                    + in.remaining() + " bytes left)");
        }
        int n = (int) claimed;
        long[] out = new long[n];
        if (n == 0) {
            return out;
        }
        int from = 0;
        if (delta) {
            out[0] = in.zigzag();
            from = 1;
        }
        long divisor = in.varint();
        if (divisor < 1) {
            throw new SeriesFormatException("packed column divisor " + Long.toUnsignedString(divisor) + " is not positive");
        }
        long min = 0;
        for (int i = from; i < n; i += BLOCK) {
            int count = Math.min(BLOCK, n - i);
            min += in.zigzag();
            int flags = in.raw(1)[0] & 0xFF;
            int width = flags & ~SPARSE;
            if (width > 64) {
                throw new SeriesFormatException("packed block width " + width + " outside 0..64");
            }
            byte[] bitmap = null;
            int packedCount = count;
            if ((flags & SPARSE) != 0) {
                bitmap = in.raw((count + 7) / 8);
                packedCount = 0;
                for (byte b : bitmap) {
                    packedCount += Integer.bitCount(b & 0xFF);
                }
            }
            Unpacker bits = new Unpacker(in.raw((int) (((long) packedCount * width + 7) >>> 3)));
            for (int j = 0; j < count; j++) {
                long value = 0;
                if (bitmap == null || (bitmap[j >>> 3] & (0x80 >>> (j & 7))) != 0) {
                    value = bits.next(width) * divisor + min;
                }
                out[i + j] = delta ? out[i + j - 1] + value : value;
            }
        }
        if (in.remaining() != 0) {
            throw new SeriesFormatException("packed column has " + in.remaining() + " bytes after its last block");
        }
        return out;
    }

    /** Reads fixed-width unsigned values, most significant bit first, from a block's bytes. */
    private static final class Unpacker {
        private final byte[] bytes;
        private int p;
        private long acc;
        private int accBits;

        Unpacker(byte[] bytes) {
            this.bytes = bytes;
        }

        long next(int width) {
            long v = 0;
            int need = width;
            while (need > 0) {
                if (accBits == 0) {
                    acc = bytes[p++] & 0xFF;
                    accBits = 8;
                }
                int take = Math.min(need, accBits);
                v = (v << take) | ((acc >>> (accBits - take)) & ((1L << take) - 1));
                accBits -= take;
                need -= take;
            }
            return v;
        }
    }

    /** A growable byte array with varints and a bit packer. */
    private static final class Sink {
        private byte[] buf;
        private int size;

        Sink(int capacity) {
            buf = new byte[capacity];
        }

        void put(int b) {
            if (size == buf.length) {
                buf = Arrays.copyOf(buf, buf.length * 2);
            }
            buf[size++] = (byte) b;
        }

        void raw(byte[] bytes) {
            for (byte b : bytes) {
                put(b);
            }
        }

        void varint(long v) {
            while ((v & ~0x7FL) != 0) {
                put((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            put((int) v);
        }

        /** {@code (values[0..n) - min) / divisor} in {@code width} bits each, most significant first, padded to a byte. */
        void pack(long[] values, int n, long min, long divisor, int width) {
            if (width == 0) {
                return;
            }
            long acc = 0;
            int accBits = 0;
            for (int j = 0; j < n; j++) {
                long v = Long.divideUnsigned(values[j] - min, divisor);
                int left = width;
                while (left > 0) {
                    int take = Math.min(left, 8 - accBits);
                    acc = (acc << take) | ((v >>> (left - take)) & ((1L << take) - 1));
                    accBits += take;
                    left -= take;
                    if (accBits == 8) {
                        put((int) acc);
                        acc = 0;
                        accBits = 0;
                    }
                }
            }
            if (accBits > 0) {
                put((int) (acc << (8 - accBits)));
            }
        }

        byte[] toByteArray() {
            return Arrays.copyOf(buf, size);
        }
    }
}
