package io.tierlog.cold.series;

/**
 * Where a {@link SeriesBlockReader} gets its bytes: a ranged GET on an object store, or an array in tests. The reader
 * asks only for the trailer, the footer and the sections it needs, so the seam is one method.
 */
@FunctionalInterface
public interface RangeSource {
    /** Exactly {@code length} bytes starting at {@code position} of an object of known size. */
    byte[] read(long position, int length);
}
