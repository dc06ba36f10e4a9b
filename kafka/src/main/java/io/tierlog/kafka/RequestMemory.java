package io.tierlog.kafka;

import java.util.concurrent.Semaphore;

/**
 * A byte budget shared by all connections for request frames read and not yet handled. A connection acquires a
 * frame's size before allocating it and releases it once the request is handled, so the listener's memory for
 * requests stays bounded however many clients send large frames; a frame that does not fit waits. Thread-safe.
 */
final class RequestMemory {
    private final int budget;
    private final Semaphore bytes;

    RequestMemory(int budget) {
        this.budget = budget;
        this.bytes = new Semaphore(budget, true);
    }

    /**
     * The default budget: a quarter of the heap, at most 256 MiB, but never below one frame of the largest
     * accepted size (a frame larger than the budget could never be read).
     */
    static int defaultBudget(int maxRequestBytes) {
        long quarterHeap = Runtime.getRuntime().maxMemory() / 4;
        return (int) Math.max(maxRequestBytes, Math.min(quarterHeap, 256L * 1024 * 1024));
    }

    int budget() {
        return budget;
    }

    /** Waits until {@code size} bytes are free and takes them. */
    void acquire(int size) throws InterruptedException {
        bytes.acquire(size);
    }

    void release(int size) {
        bytes.release(size);
    }

    int available() {
        return bytes.availablePermits();
    }
}
