package io.tierlog.cold.series;

/**
 * A series' timestamps (epoch ms) as delta-of-delta, Gorilla's scheme with Prometheus' bucket widths: regular scrapes
 * cost one bit per sample, millisecond jitter 16 bits, and any other value (out of order, duplicates, far jumps)
 * still round-trips exactly through the 64-bit escape. Arithmetic wraps, so every long is representable.
 *
 * <p>Layout: count (varint), first timestamp (zigzag varint), first delta (zigzag varint), then per further
 * timestamp the delta-of-delta: {@code 0} = 0; {@code 10} + 14 bits, {@code 110} + 17 bits, {@code 1110} + 20 bits
 * (two's complement); {@code 1111} + 64 bits.
 */
public final class TimestampColumn {
    private static final int[] WIDTHS = {14, 17, 20};

    private TimestampColumn() {
    }

    public static byte[] encode(long[] timestamps) {
        BitWriter w = new BitWriter();
        w.writeVarint(timestamps.length);
        if (timestamps.length == 0) {
            return w.toByteArray();
        }
        w.writeVarint(BitReader.zigzag(timestamps[0]));
        if (timestamps.length == 1) {
            return w.toByteArray();
        }
        long delta = timestamps[1] - timestamps[0];
        w.writeVarint(BitReader.zigzag(delta));
        for (int i = 2; i < timestamps.length; i++) {
            long d = timestamps[i] - timestamps[i - 1];
            long dod = d - delta;
            delta = d;
            writeDod(w, dod);
        }
        return w.toByteArray();
    }

    private static void writeDod(BitWriter w, long dod) {
        if (dod == 0) {
            w.writeBit(0);
            return;
        }
        for (int b = 0; b < WIDTHS.length; b++) {
            int width = WIDTHS[b];
            if (dod >= -(1L << (width - 1)) && dod < (1L << (width - 1))) {
                w.write((1L << (b + 2)) - 2, b + 2); // b+1 ones then a zero
                w.write(dod, width);
                return;
            }
        }
        w.write(0b1111, 4);
        w.write(dod, 64);
    }

    /** Decodes a column of at most {@code maxCount} timestamps; throws {@link SeriesFormatException} on damage. */
    public static long[] decode(byte[] column, int maxCount) {
        BitReader r = new BitReader(column);
        int n = r.readCount(maxCount, 1);
        long[] out = new long[n];
        if (n == 0) {
            return out;
        }
        out[0] = BitReader.unzigzag(r.readVarint());
        if (n == 1) {
            return out;
        }
        long delta = BitReader.unzigzag(r.readVarint());
        out[1] = out[0] + delta;
        for (int i = 2; i < n; i++) {
            delta += readDod(r);
            out[i] = out[i - 1] + delta;
        }
        return out;
    }

    private static long readDod(BitReader r) {
        int ones = 0;
        while (ones < 4 && r.readBit() == 1) {
            ones++;
        }
        if (ones == 0) {
            return 0;
        }
        if (ones == 4) {
            return r.read(64);
        }
        int width = WIDTHS[ones - 1];
        long raw = r.read(width);
        return (raw << (64 - width)) >> (64 - width); // sign-extend
    }
}
