package io.tierlog.core.testing;

import java.lang.management.ManagementFactory;

/**
 * Measures what one decode allocates on the calling thread (HotSpot's per-thread allocation counter, exact to the
 * TLAB refill), so that a fuzz property can assert that hostile input is rejected before it costs memory.
 *
 * <p>Public, in core's test-jar, because the fuzz tests of core, kafka, metrics-receivers and server all measure
 * their decoders this way; one copy keeps the measurement (and its warm-up run) the same for all of them.
 */
public final class Allocations {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** What a decode did: the exception it threw (null when it returned) and the bytes it allocated. */
    public record Outcome(RuntimeException thrown, long allocatedBytes) {
    }

    private Allocations() {
    }

    /**
     * Runs {@code decode} twice on this thread and measures the second run: the first may load and initialise
     * classes (a codec's native library, a parser's tables), a one-time cost on the calling thread that is not the
     * decode's. An {@link Error} (OOM, stack overflow) propagates and fails the test.
     */
    public static Outcome measure(Runnable decode) {
        try {
            decode.run();
        } catch (RuntimeException e) {
            // the measured run below throws it again
        }
        long before = THREADS.getCurrentThreadAllocatedBytes();
        RuntimeException thrown = null;
        try {
            decode.run();
        } catch (RuntimeException e) {
            thrown = e;
        }
        return new Outcome(thrown, THREADS.getCurrentThreadAllocatedBytes() - before);
    }
}
