package io.tierlog.loadtest.jmh;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tierlog.core.Compression;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.FsyncPolicy;
import io.tierlog.hot.LogConfig;
import io.tierlog.hot.LogManager;
import io.tierlog.ingest.Acks;
import io.tierlog.ingest.AppendAck;
import io.tierlog.ingest.IngestConfig;
import io.tierlog.ingest.IngestPipeline;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Publish-to-ack throughput through the whole pipeline onto the real hot tier (4 partitions, default
 * {@link IngestConfig}, acks=leader). Each publisher keeps up to 64 publishes in flight. The score is
 * publishes per second; events per second = score x {@code batchEvents}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class IngestBenchmark {
    static final int PARTITIONS = 4;
    static final int WINDOW = 64;

    @State(Scope.Benchmark)
    public static class Pipeline {
        @Param({"1", "10", "100"})
        public int batchEvents;

        @Param({"NEVER", "INTERVAL_10MS"})
        public String fsync;

        Path dir;
        LogManager manager;
        IngestPipeline pipeline;
        LogConfig logConfig;
        final List<TopicPartition> partitions = new ArrayList<>();
        final AtomicInteger publisherIds = new AtomicInteger();

        @Setup(Level.Trial)
        public void start() throws IOException {
            dir = Files.createTempDirectory("tierlog-bench-ingest");
            manager = new LogManager(dir);
            FsyncPolicy policy = fsync.equals("NEVER") ? FsyncPolicy.NEVER : FsyncPolicy.interval(10);
            logConfig = LogConfig.DEFAULTS.withSegmentBytes(64L * 1024 * 1024).withFsyncPolicy(policy);
            for (int p = 0; p < PARTITIONS; p++) {
                partitions.add(new TopicPartition("bench", p));
            }
            pipeline = new IngestPipeline(IngestConfig.defaults(), tp -> manager.open(tp, logConfig),
                    new SimpleMeterRegistry());
        }

        @TearDown(Level.Iteration)
        public void dropClosedSegments() {
            for (TopicPartition tp : partitions) {
                manager.get(tp).ifPresent(l -> l.deleteOldestSegmentsWhile(s -> true));
            }
        }

        @TearDown(Level.Trial)
        public void stop() {
            pipeline.close();
            manager.close();
            BenchData.deleteRecursively(dir);
        }
    }

    @State(Scope.Thread)
    public static class Publisher {
        ByteBuffer[] buffers;
        @SuppressWarnings("unchecked")
        final CompletableFuture<AppendAck>[] inFlight = new CompletableFuture[WINDOW];
        int next;
        int id;

        @Setup(Level.Trial)
        public void prepare(Pipeline p) {
            id = p.publisherIds.getAndIncrement();
            buffers = new ByteBuffer[WINDOW];
            ByteBuffer template = BenchData.batch(p.batchEvents, Compression.NONE, id * 1000L);
            for (int i = 0; i < WINDOW; i++) {
                buffers[i] = BenchData.copy(template);
            }
        }

        void publish(Pipeline p) {
            int slot = next++ & (WINDOW - 1);
            CompletableFuture<AppendAck> previous = inFlight[slot];
            if (previous != null) {
                previous.join(); // the buffer is ours again once its publish is acknowledged
            }
            TopicPartition tp = p.partitions.get((next + id) % PARTITIONS);
            inFlight[slot] = p.pipeline.append(tp, buffers[slot].duplicate(), Acks.LEADER);
        }

        @TearDown(Level.Iteration)
        public void drain() {
            for (int i = 0; i < WINDOW; i++) {
                if (inFlight[i] != null) {
                    inFlight[i].join();
                    inFlight[i] = null;
                }
            }
        }
    }

    @Benchmark
    @Threads(1)
    public void publishers1(Pipeline p, Publisher t) {
        t.publish(p);
    }

    @Benchmark
    @Threads(2)
    public void publishers2(Pipeline p, Publisher t) {
        t.publish(p);
    }

    @Benchmark
    @Threads(4)
    public void publishers4(Pipeline p, Publisher t) {
        t.publish(p);
    }
}
