package io.tierlog.core;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A few reusable arrays for decompressing a batch's record section when the result is needed only during one
 * pass (validation, the minimum timestamp). Allocating (and zeroing) a fresh output array per batch costed more
 * than the lz4 decoding itself; thread-locals would keep one array per virtual thread (per connection). Arrays
 * beyond {@link #MAX_POOLED} or larger than {@link #MAX_POOLED_BYTES} are left to the garbage collector, so the
 * memory held stays bounded.
 */
final class ScratchBuffers {
    static final int MAX_POOLED = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
    static final int INITIAL_BYTES = 256 * 1024;
    static final int MAX_POOLED_BYTES = 4 * 1024 * 1024;

    private static final ConcurrentLinkedQueue<byte[]> POOL = new ConcurrentLinkedQueue<>();
    private static final AtomicInteger POOLED = new AtomicInteger();

    private ScratchBuffers() {
    }

    static byte[] borrow() {
        byte[] b = POOL.poll();
        if (b != null) {
            POOLED.decrementAndGet();
            return b;
        }
        return new byte[INITIAL_BYTES];
    }

    /** Returns an array (the one borrowed, or the larger one decoding replaced it with). */
    static void release(byte[] b) {
        if (b.length > MAX_POOLED_BYTES) {
            return;
        }
        if (POOLED.incrementAndGet() <= MAX_POOLED) {
            POOL.offer(b);
        } else {
            POOLED.decrementAndGet();
        }
    }
}
