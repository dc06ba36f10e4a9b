package io.tierlog.cold.series;

import java.util.Optional;

/**
 * A chunk of float values in whichever codec is smallest for it: one tag byte, then that codec's column. Exact for
 * every double. {@code 0} Gorilla XOR ({@link GorillaValues}: any double); {@code 2} scaled decimal, the mantissas'
 * deltas bit-packed (counters, wandering gauges); {@code 3} scaled decimal, the mantissas themselves bit-packed
 * (values that jump around a level, such as latency quantiles): both {@code zvarint scale} then a
 * {@link PackedLongs} column. Tag {@code 1} (scaled decimal with varint deltas, {@link DecimalValues}) is what
 * version-1 blocks hold; it is read, no longer written.
 */
public final class ValueColumn {
    static final byte GORILLA = 0;
    static final byte DECIMAL = 1;
    static final byte DECIMAL_PACKED_DELTAS = 2;
    static final byte DECIMAL_PACKED = 3;
    /** Below this many bits per value a packed decimal layout is kept without trying Gorilla. */
    static final int GORILLA_FLOOR_BITS = 12;

    private ValueColumn() {
    }

    /**
     * The smallest of Gorilla and the two packed decimal layouts (what version-2 blocks hold). Gorilla is not even
     * tried when a packed layout takes at most {@link #GORILLA_FLOOR_BITS} bits per value: XOR costs at least that much
     * for any value that changes, so it only wins on columns a packed layout does not suit.
     */
    public static byte[] encode(double[] values) {
        byte[] best = null;
        DecimalValues.Scaled scaled = DecimalValues.scaled(values);
        if (scaled != null) {
            byte[] scale = new BlockBytes.Sink().zigzag(scaled.scale()).toByteArray();
            for (boolean delta : new boolean[] {true, false}) {
                byte[] packed = PackedLongs.encode(scaled.mantissas(), delta);
                if (best == null || scale.length + packed.length + 1 < best.length) {
                    byte[] out = new byte[1 + scale.length + packed.length];
                    out[0] = delta ? DECIMAL_PACKED_DELTAS : DECIMAL_PACKED;
                    System.arraycopy(scale, 0, out, 1, scale.length);
                    System.arraycopy(packed, 0, out, 1 + scale.length, packed.length);
                    best = out;
                }
            }
        }
        if (best == null || best.length * 8L > (long) values.length * GORILLA_FLOOR_BITS + 64) {
            byte[] gorilla = tagged(GORILLA, GorillaValues.encode(values));
            if (best == null || gorilla.length < best.length) {
                best = gorilla;
            }
        }
        return best;
    }

    private static byte[] tagged(byte tag, byte[] body) {
        byte[] out = new byte[body.length + 1];
        out[0] = tag;
        System.arraycopy(body, 0, out, 1, body.length);
        return out;
    }

    /** The version-1 choice between Gorilla and varint decimal deltas (kept so tests can write version-1 columns). */
    static byte[] encodeVersion1(double[] values) {
        byte[] gorilla = GorillaValues.encode(values);
        Optional<byte[]> decimal = DecimalValues.encode(values);
        boolean useDecimal = decimal.isPresent() && decimal.get().length < gorilla.length;
        byte[] body = useDecimal ? decimal.get() : gorilla;
        byte[] out = new byte[body.length + 1];
        out[0] = useDecimal ? DECIMAL : GORILLA;
        System.arraycopy(body, 0, out, 1, body.length);
        return out;
    }

    /** The codec {@link #encode} chose for this column. */
    static byte codecOf(byte[] column) {
        if (column.length == 0) {
            throw new SeriesFormatException("empty value column");
        }
        return column[0];
    }

    /** Decodes a column of at most {@code maxCount} values; throws {@link SeriesFormatException} on damage. */
    public static double[] decode(byte[] column, int maxCount) {
        byte[] body = java.util.Arrays.copyOfRange(column, Math.min(1, column.length), column.length);
        return switch (codecOf(column)) {
            case GORILLA -> GorillaValues.decode(body, maxCount);
            case DECIMAL -> DecimalValues.decode(body, maxCount);
            case DECIMAL_PACKED_DELTAS, DECIMAL_PACKED -> {
                BlockBytes.Source in = new BlockBytes.Source(body);
                long scale = in.zigzag();
                byte[] rest = in.raw(in.remaining());
                yield DecimalValues.unscale(PackedLongs.decode(rest, maxCount, column[0] == DECIMAL_PACKED_DELTAS), scale);
            }
            default -> throw new SeriesFormatException("unknown value codec " + column[0]);
        };
    }
}
