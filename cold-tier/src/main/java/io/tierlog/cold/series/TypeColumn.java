package io.tierlog.cold.series;

/**
 * A series' metric type bytes (the first byte of each 9-byte metric value), run-length encoded: a series keeps one
 * type, so the column is one run of a few bytes. The raw byte is kept, not a validated {@code MetricType}, so even a
 * type id this version does not know round-trips exactly.
 *
 * <p>Layout: run count (varint), then per run the type byte and the run length (varint).
 */
final class TypeColumn {
    private TypeColumn() {
    }

    static byte[] encode(byte[] types) {
        BlockBytes.Sink runs = new BlockBytes.Sink();
        int count = 0;
        for (int i = 0; i < types.length; ) {
            int j = i;
            while (j < types.length && types[j] == types[i]) {
                j++;
            }
            runs.raw(new byte[] {types[i]}).varint(j - i);
            count++;
            i = j;
        }
        return new BlockBytes.Sink().varint(count).raw(runs.toByteArray()).toByteArray();
    }

    /** Decodes exactly {@code expected} types; throws {@link SeriesFormatException} when the runs say otherwise. */
    static byte[] decode(byte[] column, int expected) {
        BlockBytes.Source in = new BlockBytes.Source(column);
        int runs = in.count(expected, "type run");
        byte[] out = new byte[expected];
        int filled = 0;
        for (int r = 0; r < runs; r++) {
            byte type = in.raw(1)[0];
            long length = in.bounded(expected - filled, "type run length");
            java.util.Arrays.fill(out, filled, filled + (int) length, type);
            filled += (int) length;
        }
        if (filled != expected) {
            throw new SeriesFormatException("type column holds " + filled + " types, its chunk " + expected);
        }
        return out;
    }
}
