package io.tierlog.query;

import java.util.ArrayList;
import java.util.List;

/**
 * A per-query summary of where one partition's records of the query window lie: offset ranges with the
 * min/max timestamps of their records, built in one pass so that each time slice of a cross-partition query
 * reads only the batches overlapping that slice instead of whole segments again (the active segment has no
 * time bounds at all). Bounded: when {@code capacity} entries are reached, neighbours are merged pairwise
 * (ranges and bounds unioned), which halves the entries and only makes later reads less selective.
 */
final class BatchIndex {
    private final int capacity;
    private long[] starts;
    private long[] ends;
    private long[] mins;
    private long[] maxs;
    private int size;

    BatchIndex(int capacity) {
        if (capacity < 2) {
            throw new IllegalArgumentException("capacity must be >= 2, was " + capacity);
        }
        this.capacity = capacity;
        int initial = Math.min(capacity, 64);
        starts = new long[initial];
        ends = new long[initial];
        mins = new long[initial];
        maxs = new long[initial];
    }

    /** Adds the offsets [start, end) holding timestamps within [min, max]; calls come in offset order. */
    void add(long start, long end, long min, long max) {
        if (size == capacity) {
            compact();
        }
        if (size == starts.length) {
            int n = Math.min(capacity, size * 2);
            starts = java.util.Arrays.copyOf(starts, n);
            ends = java.util.Arrays.copyOf(ends, n);
            mins = java.util.Arrays.copyOf(mins, n);
            maxs = java.util.Arrays.copyOf(maxs, n);
        }
        starts[size] = start;
        ends[size] = end;
        mins[size] = min;
        maxs[size] = max;
        size++;
    }

    private void compact() {
        int out = 0;
        for (int i = 0; i < size; i += 2) {
            if (i + 1 < size) {
                starts[out] = starts[i];
                ends[out] = ends[i + 1];
                mins[out] = Math.min(mins[i], mins[i + 1]);
                maxs[out] = Math.max(maxs[i], maxs[i + 1]);
            } else {
                starts[out] = starts[i];
                ends[out] = ends[i];
                mins[out] = mins[i];
                maxs[out] = maxs[i];
            }
            out++;
        }
        size = out;
    }

    int size() {
        return size;
    }

    /** Offset ranges whose records may have timestamps in [from, to), merged where adjacent, in order. */
    List<long[]> ranges(long from, long to) {
        List<long[]> out = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            if (maxs[i] >= from && mins[i] < to) {
                QueryService.addRange(out, starts[i], ends[i]);
            }
        }
        return out;
    }
}
