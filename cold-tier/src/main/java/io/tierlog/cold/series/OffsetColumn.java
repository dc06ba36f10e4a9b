package io.tierlog.cold.series;

/**
 * A series' record offsets. Within one series of a segment they rise by the number of records of other series in
 * between, which regular scrapes keep nearly constant, so they are stored as delta-of-delta with the
 * {@link TimestampColumn} scheme: a bit per sample when the scrape order repeats, 16 bits when it shifts a little,
 * and exact for any sequence of longs (wrapping arithmetic). Plain deltas cost 2 bytes per sample with 1000 series.
 *
 * <p>Layout: exactly {@link TimestampColumn}'s.
 */
public final class OffsetColumn {
    private OffsetColumn() {
    }

    public static byte[] encode(long[] offsets) {
        return TimestampColumn.encode(offsets);
    }

    /** Decodes a column of at most {@code maxCount} offsets; throws {@link SeriesFormatException} on damage. */
    public static long[] decode(byte[] column, int maxCount) {
        return TimestampColumn.decode(column, maxCount);
    }
}
