package io.tierlog.hot;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * In-memory copy of a segment's sparse offset index (relative offset -> file position), the form readers
 * search. Written by the single writer thread only; readers see a consistent prefix without locking because
 * the array is published before the count that covers it. The {@code .index} file holds the same entries as
 * big-endian (int relativeOffset, int position) pairs.
 */
final class OffsetIndex {
    static final int ENTRY_SIZE = 8;

    private volatile long[] entries = new long[16];
    private volatile int count;

    void add(int relativeOffset, int position) {
        long[] a = entries;
        int n = count;
        if (n == a.length) {
            a = Arrays.copyOf(a, n * 2);
            entries = a;
        }
        a[n] = ((long) relativeOffset << 32) | (position & 0xffffffffL);
        count = n + 1;
    }

    void clear() {
        count = 0;
    }

    int size() {
        return count;
    }

    /** File position of the last indexed batch whose relative base offset is <= {@code relativeOffset}, else 0. */
    int lookup(int relativeOffset) {
        int n = count;
        long[] a = entries;
        int lo = 0;
        int hi = n - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if ((int) (a[mid] >>> 32) <= relativeOffset) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found < 0 ? 0 : (int) a[found];
    }

    static void writeEntry(ByteBuffer out, int relativeOffset, int position) {
        out.putInt(relativeOffset).putInt(position);
    }

    byte[] toBytes() {
        int n = count;
        long[] a = entries;
        ByteBuffer b = ByteBuffer.allocate(n * ENTRY_SIZE);
        for (int i = 0; i < n; i++) {
            writeEntry(b, (int) (a[i] >>> 32), (int) a[i]);
        }
        return b.array();
    }
}
