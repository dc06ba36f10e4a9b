package io.tierlog.hot;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * In-memory copy of a segment's sparse time index: entries (max timestamp so far, relative offset of the
 * batch that raised the maximum to it), strictly increasing in both. An entry (M, r) states that no record up
 * to and including batch r has a timestamp above M, which lets a lookup for T skip every batch up to the last
 * entry with M &lt; T. Same publication scheme as {@link OffsetIndex}; the {@code .timeindex} file holds
 * big-endian (long timestamp, int relativeOffset) entries and, once the segment is closed, a trailer with the
 * segment's minimum timestamp.
 */
final class TimeIndex {
    static final int ENTRY_SIZE = 12;
    /** A closed segment's file ends with its minimum record timestamp (int64) after the entries. */
    static final int TRAILER_SIZE = 8;

    private volatile long[] entries = new long[32];
    private volatile int count;

    void add(long timestamp, int relativeOffset) {
        long[] a = entries;
        int n = count;
        if (2 * n + 1 >= a.length) {
            a = Arrays.copyOf(a, a.length * 2);
            entries = a;
        }
        a[2 * n] = timestamp;
        a[2 * n + 1] = relativeOffset;
        count = n + 1;
    }

    void clear() {
        count = 0;
    }

    int size() {
        return count;
    }

    /** Largest indexed timestamp, or Long.MIN_VALUE when empty. */
    long lastTimestamp() {
        int n = count;
        return n == 0 ? Long.MIN_VALUE : entries[2 * (n - 1)];
    }

    /**
     * Relative offset of the last entry whose timestamp is below {@code timestamp}: every record up to that
     * batch is older than {@code timestamp}. Returns 0 when there is none (scan from the segment start).
     */
    int lastRelativeOffsetBelow(long timestamp) {
        int n = count;
        long[] a = entries;
        int lo = 0;
        int hi = n - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (a[2 * mid] < timestamp) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found < 0 ? 0 : (int) a[2 * found + 1];
    }

    static void writeEntry(ByteBuffer out, long timestamp, int relativeOffset) {
        out.putLong(timestamp).putInt(relativeOffset);
    }

    byte[] toBytes() {
        int n = count;
        long[] a = entries;
        ByteBuffer b = ByteBuffer.allocate(n * ENTRY_SIZE);
        for (int i = 0; i < n; i++) {
            writeEntry(b, a[2 * i], (int) a[2 * i + 1]);
        }
        return b.array();
    }
}
