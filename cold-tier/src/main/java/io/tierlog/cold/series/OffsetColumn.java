package io.tierlog.cold.series;

/**
 * A series' record offsets, delta-encoded: within one series of a segment they rise by small steps (the records of
 * other series in between), so each costs a byte or two. Deltas are zigzag varints with wrapping arithmetic, so any
 * sequence of longs round-trips exactly.
 *
 * <p>Layout: count (varint), first offset (zigzag varint), then deltas (zigzag varints).
 */
public final class OffsetColumn {
    private OffsetColumn() {
    }

    public static byte[] encode(long[] offsets) {
        BitWriter w = new BitWriter();
        w.writeVarint(offsets.length);
        for (int i = 0; i < offsets.length; i++) {
            w.writeVarint(BitReader.zigzag(i == 0 ? offsets[0] : offsets[i] - offsets[i - 1]));
        }
        return w.toByteArray();
    }

    /** Decodes a column of at most {@code maxCount} offsets; throws {@link SeriesFormatException} on damage. */
    public static long[] decode(byte[] column, int maxCount) {
        BitReader r = new BitReader(column);
        int n = r.readCount(maxCount, 8);
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            long d = BitReader.unzigzag(r.readVarint());
            out[i] = i == 0 ? d : out[i - 1] + d;
        }
        return out;
    }
}
