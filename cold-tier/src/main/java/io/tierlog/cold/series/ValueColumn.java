package io.tierlog.cold.series;

import java.util.Optional;

/**
 * A chunk of float values in whichever of {@link DecimalValues} and {@link GorillaValues} is smaller for it: one tag
 * byte ({@code 0} Gorilla, {@code 1} decimal) then that codec's column. Exact for every double.
 */
public final class ValueColumn {
    static final byte GORILLA = 0;
    static final byte DECIMAL = 1;

    private ValueColumn() {
    }

    public static byte[] encode(double[] values) {
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
            default -> throw new SeriesFormatException("unknown value codec " + column[0]);
        };
    }
}
