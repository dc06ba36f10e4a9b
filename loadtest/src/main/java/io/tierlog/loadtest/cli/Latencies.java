package io.tierlog.loadtest.cli;

import java.io.File;
import java.io.FileNotFoundException;
import java.io.PrintStream;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;
import org.HdrHistogram.Recorder;

/**
 * One measured latency (ack, end-to-end, query): a multi-writer {@link Recorder} sampled once per progress
 * interval, each interval appended to an {@code .hlog} file and, after warm-up, added to the run's total.
 * Values are microseconds.
 */
final class Latencies implements AutoCloseable {
    static final long MAX_MICROS = TimeUnit.MINUTES.toMicros(5);

    final String name;
    private final Recorder recorder = new Recorder(MAX_MICROS, 3);
    private final Histogram total = new Histogram(MAX_MICROS, 3);
    private Histogram interval;
    private final PrintStream logStream;
    private final HistogramLogWriter log;

    Latencies(String name, File hlog, long startEpochMs) throws FileNotFoundException {
        this.name = name;
        this.logStream = new PrintStream(hlog);
        this.log = new HistogramLogWriter(logStream);
        log.outputLogFormatVersion();
        log.outputStartTime(startEpochMs);
        log.setBaseTime(startEpochMs);
        log.outputLegend();
    }

    void recordMicros(long micros) {
        recorder.recordValue(Math.max(0, Math.min(MAX_MICROS, micros)));
    }

    void recordMicros(long micros, long count) {
        if (count > 0) {
            recorder.recordValueWithCount(Math.max(0, Math.min(MAX_MICROS, micros)), count);
        }
    }

    void recordNanos(long nanos) {
        recordMicros(nanos / 1000);
    }

    /** Samples the interval; adds it to the total when {@code measuring}. Returns the interval histogram. */
    synchronized Histogram sample(boolean measuring) {
        interval = interval == null ? recorder.getIntervalHistogram() : recorder.getIntervalHistogram(interval);
        if (interval.getTotalCount() > 0) {
            log.outputIntervalHistogram(interval);
        }
        if (measuring) {
            total.add(interval);
        }
        return interval;
    }

    synchronized Histogram total() {
        return total.copy();
    }

    @Override
    public synchronized void close() {
        logStream.close();
    }
}
