package io.tierlog.loadtest.jmh;

import io.tierlog.core.Compression;
import io.tierlog.core.RecordBatch;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.FetchData;
import io.tierlog.hot.FsyncPolicy;
import io.tierlog.hot.LogConfig;
import io.tierlog.hot.LogManager;
import io.tierlog.hot.PartitionLog;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.infra.Blackhole;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The hot tier alone, one writer thread: append of 100-record metric batches (records per second), with
 * fsync NEVER and INTERVAL 10 ms (the writer calls maybeFlush after each append, as the ingest writer does),
 * and reads from random offsets of a pre-filled log (records per second, about 16 batches per read).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
public class HotTierBenchmark {
    static final int RECORDS = 100;

    @State(Scope.Thread)
    public static class AppendState {
        @Param({"NEVER", "INTERVAL_10MS"})
        public String fsync;

        Path dir;
        LogManager manager;
        PartitionLog log;
        ByteBuffer batch;
        long appends;

        @Setup(Level.Trial)
        public void open() throws IOException {
            dir = Files.createTempDirectory("tierlog-bench-append");
            manager = new LogManager(dir);
            FsyncPolicy policy = fsync.equals("NEVER") ? FsyncPolicy.NEVER : FsyncPolicy.interval(10);
            log = manager.open(new TopicPartition("bench", 0),
                    LogConfig.DEFAULTS.withSegmentBytes(64L * 1024 * 1024).withFsyncPolicy(policy));
            batch = BenchData.batch(RECORDS, Compression.NONE, 0);
        }

        @TearDown(Level.Trial)
        public void close() {
            manager.close();
            BenchData.deleteRecursively(dir);
        }
    }

    @Benchmark
    @OperationsPerInvocation(RECORDS)
    public long append(AppendState s) {
        PartitionLog log = s.log;
        long next = log.append(s.batch.duplicate()).nextOffset();
        log.advanceHighWatermark(next);
        log.maybeFlush(System.currentTimeMillis());
        if (++s.appends % 20_000 == 0) {
            // keep the disk bounded: drop closed segments as retention would
            log.deleteOldestSegmentsWhile(seg -> true);
        }
        return next;
    }

    @State(Scope.Thread)
    public static class ReadState {
        Path dir;
        LogManager manager;
        PartitionLog log;
        int batchSize;
        long end;
        final SplittableRandom random = new SplittableRandom(42);

        @Setup(Level.Trial)
        public void fill() throws IOException {
            dir = Files.createTempDirectory("tierlog-bench-read");
            manager = new LogManager(dir);
            log = manager.open(new TopicPartition("bench", 0), LogConfig.DEFAULTS.withSegmentBytes(32L * 1024 * 1024));
            ByteBuffer b = BenchData.batch(RECORDS, Compression.NONE, 0);
            batchSize = b.remaining();
            for (int i = 0; i < 20_000; i++) {
                log.append(b.duplicate());
            }
            end = log.logEndOffset();
            log.advanceHighWatermark(end);
        }

        @TearDown(Level.Trial)
        public void close() {
            manager.close();
            BenchData.deleteRecursively(dir);
        }
    }

    /** Bytes of 16 batches from a random offset; ops are records returned. */
    @Benchmark
    @OperationsPerInvocation(16 * RECORDS)
    public int readFromOffset(ReadState s, Blackhole bh) {
        long offset = s.random.nextLong(s.end - 16L * RECORDS);
        FetchData d = s.log.read(offset, 16 * s.batchSize);
        int n = 0;
        for (RecordBatch rb : RecordBatch.iterate(d.batches())) {
            n += rb.recordCount();
            bh.consume(rb.baseOffset());
        }
        return n;
    }
}
