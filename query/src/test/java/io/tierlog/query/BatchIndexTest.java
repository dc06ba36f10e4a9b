package io.tierlog.query;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class BatchIndexTest {

    /** Whatever the capacity, every added batch overlapping a window lies inside one of the returned ranges. */
    @Property(tries = 300)
    void rangesCoverEveryOverlappingBatchAndStayBounded(
            @ForAll @Size(min = 1, max = 200) List<@LongRange(min = 0, max = 1000) Long> minTimestamps,
            @ForAll @IntRange(min = 2, max = 16) int capacity,
            @ForAll @LongRange(min = 0, max = 1100) long a, @ForAll @LongRange(min = 0, max = 1100) long b) {
        long from = Math.min(a, b);
        long to = Math.max(a, b);
        BatchIndex index = new BatchIndex(capacity);
        long offset = 0;
        for (int i = 0; i < minTimestamps.size(); i++) {
            long min = minTimestamps.get(i);
            index.add(offset, offset + 3, min, min + i % 7);
            offset += 3 + i % 2; // some gaps between batches, as for batches outside the window
        }
        assertThat(index.size()).isLessThanOrEqualTo(capacity);
        List<long[]> ranges = index.ranges(from, to);
        for (int i = 1; i < ranges.size(); i++) {
            assertThat(ranges.get(i)[0]).isGreaterThan(ranges.get(i - 1)[1]);
        }
        offset = 0;
        for (int i = 0; i < minTimestamps.size(); i++) {
            long min = minTimestamps.get(i);
            long max = min + i % 7;
            if (max >= from && min < to) {
                long start = offset;
                assertThat(ranges).as("batch at %d", start).anyMatch(r -> r[0] <= start && start + 3 <= r[1]);
            }
            offset += 3 + i % 2;
        }
    }
}
