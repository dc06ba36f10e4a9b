package io.tierlog.loadtest.soak;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fate of every request the soak makes, so that nothing it sends can go unaccounted: {@code ok}, {@code
 * expected} (an answer that is not 2xx but is the right one, e.g. 404 for a topic the churn loop just deleted,
 * by kind), {@code failed} (by kind: {@code "produce 404 not_found"}, {@code "tail timeout"}, ...) and {@code
 * unsent} (due by the fixed schedule but skipped because its loop was too far behind: the server could not keep
 * up). Also the records produced and read, for the throughput columns. The first failure of each kind is logged
 * at WARN with its detail; later ones are only counted, so a broken server cannot flood the log. Thread-safe.
 */
final class Outcomes {
    private static final Logger LOG = LoggerFactory.getLogger(Outcomes.class);

    final LongAdder ok = new LongAdder();
    final LongAdder unsent = new LongAdder();
    final LongAdder producedRecords = new LongAdder();
    /** The part of {@link #producedRecords} that went through the Kafka listener. */
    final LongAdder kafkaRecords = new LongAdder();
    final LongAdder tailRecords = new LongAdder();
    final LongAdder historyRecords = new LongAdder();
    final LongAdder coldRecords = new LongAdder();
    final LongAdder churnCycles = new LongAdder();
    private final Map<String, LongAdder> failed = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> expected = new ConcurrentHashMap<>();

    void ok() {
        ok.increment();
    }

    void unsent(long n) {
        unsent.add(n);
    }

    /** A non-2xx answer that is the right one for the request (counted apart from ok, never an error). */
    void expected(String kind) {
        expected.computeIfAbsent(kind, k -> new LongAdder()).increment();
    }

    /** A request that failed: a wrong status, a wrong answer, an I/O error or a timeout. */
    void failed(String kind, String detail) {
        LongAdder n = failed.computeIfAbsent(kind, k -> new LongAdder());
        n.increment();
        if (n.sum() == 1) {
            LOG.warn("soak: first failure of kind '{}': {}", kind, detail);
        }
    }

    /** {@code n} requests that failed alike (e.g. records a closing producer never had answered). */
    void failed(String kind, String detail, long n) {
        LongAdder count = failed.computeIfAbsent(kind, k -> new LongAdder());
        count.add(n);
        LOG.warn("soak: {} failures of kind '{}': {}", n, kind, detail);
    }

    /** Same as {@link #failed(String, String)} for a request that threw. */
    void failed(String kind, Throwable error) {
        LongAdder n = failed.computeIfAbsent(kind, k -> new LongAdder());
        n.increment();
        if (n.sum() == 1) {
            LOG.warn("soak: first failure of kind '{}'", kind, error);
        }
    }

    long failedTotal() {
        return failed.values().stream().mapToLong(LongAdder::sum).sum();
    }

    /** Failures by kind, sorted by kind. */
    Map<String, Long> failedByKind() {
        Map<String, Long> m = new TreeMap<>();
        failed.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    /** Expected non-2xx answers by kind, sorted by kind. */
    Map<String, Long> expectedByKind() {
        Map<String, Long> m = new TreeMap<>();
        expected.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    long expectedTotal() {
        return expected.values().stream().mapToLong(LongAdder::sum).sum();
    }

    /** The counters at one instant; differences of two give one sampling interval. */
    record Totals(long ok, long expected, long failed, long unsent, long produced, long tail, long history, long cold,
                  long churn) {
        Totals minus(Totals o) {
            return new Totals(ok - o.ok, expected - o.expected, failed - o.failed, unsent - o.unsent,
                    produced - o.produced, tail - o.tail, history - o.history, cold - o.cold, churn - o.churn);
        }
    }

    Totals totals() {
        return new Totals(ok.sum(), expectedTotal(), failedTotal(), unsent.sum(), producedRecords.sum(), tailRecords.sum(),
                historyRecords.sum(), coldRecords.sum(), churnCycles.sum());
    }
}
