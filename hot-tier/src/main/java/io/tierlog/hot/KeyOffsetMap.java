package io.tierlog.hot;

import java.util.Arrays;

/**
 * Compaction's "latest offset per key" map with a memory cap: an open-addressing table of 64-bit key hashes and
 * offsets, 16 bytes per slot, filled to at most 75 % and doubled as it fills, up to the cap. Keys themselves are
 * not kept, which is what bounds the memory; the price is that two keys with the same 64-bit hash count as one
 * key (the older one's records would be removed), a probability of about n^2 / 2^65 for n distinct keys
 * (~3e-6 for 10 million keys).
 */
final class KeyOffsetMap {
    static final int BYTES_PER_SLOT = 16;
    private static final int MIN_SLOTS = 1024;
    private static final long EMPTY = -1;

    private final int maxSlots;
    private long[] hashes;
    private long[] offsets;
    private int mask;
    private int size;

    /** A map that never uses more than about {@code maxBytes} (at least 1024 slots, at most 2^30). */
    KeyOffsetMap(long maxBytes) {
        maxSlots = (int) Long.highestOneBit(Math.max(MIN_SLOTS, Math.min(1L << 30, maxBytes / BYTES_PER_SLOT)));
        allocate(Math.min(maxSlots, 64 * MIN_SLOTS));
    }

    private void allocate(int slots) {
        hashes = new long[slots];
        offsets = new long[slots];
        Arrays.fill(offsets, EMPTY);
        mask = slots - 1;
    }

    int size() {
        return size;
    }

    /** Most distinct keys the cap allows. */
    int capacity() {
        return maxSlots / 4 * 3;
    }

    /**
     * Records {@code offset} as the latest for {@code key}; returns false (and changes nothing) when the key is
     * new and the map is at its cap.
     */
    boolean put(byte[] key, long offset) {
        long h = hash(key);
        int i = slot(h);
        if (offsets[i] != EMPTY) {
            offsets[i] = offset;
            return true;
        }
        if (size >= capacity()) {
            return false;
        }
        if (size >= (mask + 1) / 4 * 3) {
            grow();
            i = slot(h);
        }
        hashes[i] = h;
        offsets[i] = offset;
        size++;
        return true;
    }

    /** The latest offset recorded for {@code key}, or -1. */
    long get(byte[] key) {
        return offsets[slot(hash(key))];
    }

    /** The slot holding {@code h}, or the empty slot where it belongs. */
    private int slot(long h) {
        int i = (int) h & mask;
        while (offsets[i] != EMPTY && hashes[i] != h) {
            i = (i + 1) & mask;
        }
        return i;
    }

    private void grow() {
        long[] oldHashes = hashes;
        long[] oldOffsets = offsets;
        allocate(hashes.length * 2);
        for (int j = 0; j < oldHashes.length; j++) {
            if (oldOffsets[j] != EMPTY) {
                int i = slot(oldHashes[j]);
                hashes[i] = oldHashes[j];
                offsets[i] = oldOffsets[j];
            }
        }
    }

    /** 64-bit hash of the key bytes: 8-byte words mixed by multiply-rotate rounds, then a final avalanche. */
    static long hash(byte[] key) {
        long h = 0x9E3779B97F4A7C15L ^ key.length;
        int i = 0;
        for (; i + 8 <= key.length; i += 8) {
            long w = 0;
            for (int j = 0; j < 8; j++) {
                w = (w << 8) | (key[i + j] & 0xffL);
            }
            h = mixRound(h, w);
        }
        if (i < key.length) {
            long w = 0;
            for (; i < key.length; i++) {
                w = (w << 8) | (key[i] & 0xffL);
            }
            h = mixRound(h, w ^ 0xFFL);
        }
        return avalanche(h);
    }

    private static long mixRound(long h, long w) {
        w *= 0xC2B2AE3D27D4EB4FL;
        w = Long.rotateLeft(w, 31) * 0x9E3779B97F4A7C15L;
        h ^= w;
        return Long.rotateLeft(h, 27) * 0x165667B19E3779F9L + 0x27D4EB2F165667C5L;
    }

    private static long avalanche(long h) {
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        h ^= h >>> 33;
        return h;
    }
}
