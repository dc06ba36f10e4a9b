package io.tierlog.ingest;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tierlog.core.Record;
import io.tierlog.core.RecordBatch;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.FetchData;
import io.tierlog.hot.FsyncPolicy;
import io.tierlog.hot.LogConfig;
import io.tierlog.hot.LogManager;
import io.tierlog.hot.PartitionLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static io.tierlog.ingest.TestData.batch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/** Many publishers, a few partitions, the real hot-tier log: dense offsets, exact content, nothing hangs. */
class ConcurrencyTest {
    private static final int PARTITIONS = 4;

    @TempDir
    Path dir;

    /** What one publish put where, so the stored records can be checked against it. */
    record Sent(int publisher, long firstSeq, int count, TopicPartition tp, CompletableFuture<AppendAck> future) {
    }

    @Test
    void eightPublishersIntoFourPartitions() throws Exception {
        int publishers = 8;
        int eventsPerPublisher = 100_000;
        int perBatch = 100;
        // segments small enough to roll a few times; fsync every 10 ms with a quarter of the publishes durable
        LogConfig logConfig = LogConfig.DEFAULTS.withSegmentBytes(4L * 1024 * 1024).withFsyncPolicy(FsyncPolicy.interval(10));
        IngestConfig config = IngestConfig.defaults().withShards(2).withRingSize(1024).withPublishTimeout(Duration.ofSeconds(10));
        long t0 = System.nanoTime();
        try (LogManager manager = new LogManager(dir)) {
            TestData.Logs logs = TestData.Logs.onDisk(manager, logConfig);
            List<List<Sent>> sent = new ArrayList<>();
            try (IngestPipeline p = new IngestPipeline(config, logs, new SimpleMeterRegistry())) {
                CountDownLatch go = new CountDownLatch(1);
                List<Thread> threads = new ArrayList<>();
                for (int t = 0; t < publishers; t++) {
                    int id = t;
                    List<Sent> mine = new ArrayList<>();
                    sent.add(mine);
                    Thread th = new Thread(() -> {
                        IngestPipelineTest.await(go);
                        for (int i = 0; i < eventsPerPublisher / perBatch; i++) {
                            TopicPartition tp = new TopicPartition("load", (i + id) % PARTITIONS);
                            long first = (long) i * perBatch;
                            Acks acks = i % 4 == 0 ? Acks.DURABLE : Acks.LEADER;
                            mine.add(new Sent(id, first, perBatch, tp, p.append(tp, batch(id, first, perBatch), acks)));
                        }
                    }, "publisher-" + t);
                    threads.add(th);
                    th.start();
                }
                go.countDown();
                for (Thread th : threads) {
                    th.join(60_000);
                    assertThat(th.isAlive()).isFalse();
                }
                CompletableFuture<?>[] all = sent.stream().flatMap(List::stream).map(Sent::future)
                        .toArray(CompletableFuture[]::new);
                CompletableFuture.allOf(all).get(60, TimeUnit.SECONDS);
            }
            long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(elapsedMs).isLessThan(60_000);

            // per partition: acks tile [0, total) exactly, and the stored records are what each ack promised
            for (int part = 0; part < PARTITIONS; part++) {
                TopicPartition tp = new TopicPartition("load", part);
                List<Sent> here = sent.stream().flatMap(List::stream).filter(s -> s.tp().equals(tp))
                        .sorted(Comparator.comparingLong(s -> s.future().join().baseOffset())).toList();
                long expectedBase = 0;
                for (Sent s : here) {
                    AppendAck ack = s.future().join();
                    assertThat(ack.topicPartition()).isEqualTo(tp);
                    assertThat(ack.count()).isEqualTo(s.count());
                    assertThat(ack.baseOffset()).as("dense, unique offsets").isEqualTo(expectedBase);
                    expectedBase += ack.count();
                }
                PartitionLog log = logs.apply(tp);
                assertThat(log.highWatermark()).isEqualTo(expectedBase);
                // expected (publisher, seq) at each offset
                long[] expected = new long[(int) expectedBase];
                for (Sent s : here) {
                    long base = s.future().join().baseOffset();
                    for (int j = 0; j < s.count(); j++) {
                        expected[(int) (base + j)] = ((long) s.publisher() << 32) | (s.firstSeq() + j);
                    }
                }
                long[] lastSeq = new long[publishers];
                Arrays.fill(lastSeq, -1);
                AtomicLong offset = new AtomicLong();
                while (offset.get() < expectedBase) {
                    FetchData d = log.read(offset.get(), 1 << 20);
                    for (RecordBatch rb : RecordBatch.iterate(d.batches())) {
                        rb.forEach((Record r) -> {
                            if (r.offset() < offset.get()) {
                                return;
                            }
                            if (r.offset() != offset.get()) {
                                fail("gap at offset " + offset.get() + " of " + tp + ": next record is " + r.offset());
                            }
                            int pub = TestData.publisherOf(r);
                            long seq = TestData.seqOf(r);
                            assertThat(((long) pub << 32) | seq).as("record at %s of %s", r.offset(), tp)
                                    .isEqualTo(expected[(int) r.offset()]);
                            assertThat(seq).as("publisher order").isGreaterThan(lastSeq[pub]);
                            assertThat(r.timestamp()).isEqualTo(TestData.BASE_TS + seq);
                            lastSeq[pub] = seq;
                            offset.incrementAndGet();
                        });
                    }
                }
                assertThat(offset.get()).isEqualTo(expectedBase);
            }
            long total = sent.stream().flatMap(List::stream).mapToLong(Sent::count).sum();
            assertThat(total).isEqualTo((long) publishers * eventsPerPublisher);
        }
    }

    @Test
    void shutdownUnderLoadCompletesOrFailsEveryFuture() throws Exception {
        int publishers = 4;
        try (LogManager manager = new LogManager(dir)) {
            TestData.Logs logs = TestData.Logs.onDisk(manager, LogConfig.DEFAULTS.withFsyncPolicy(FsyncPolicy.interval(5)));
            IngestConfig config = IngestConfig.defaults().withShards(2).withRingSize(256).withPublishTimeout(Duration.ofSeconds(5));
            java.util.Set<String> threadsBefore = TestData.ingestThreads();
            IngestPipeline p = new IngestPipeline(config, logs, new SimpleMeterRegistry());
            List<List<Sent>> sent = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            CountDownLatch enoughAcked = new CountDownLatch(200);
            for (int t = 0; t < publishers; t++) {
                int id = t;
                List<Sent> mine = new ArrayList<>();
                sent.add(mine);
                Thread th = new Thread(() -> {
                    for (int i = 0; ; i++) {
                        TopicPartition tp = new TopicPartition("load", (i + id) % PARTITIONS);
                        CompletableFuture<AppendAck> f = p.append(tp, batch(id, i * 10L, 10), i % 3 == 0 ? Acks.DURABLE : Acks.LEADER);
                        f.thenRun(enoughAcked::countDown);
                        mine.add(new Sent(id, i * 10L, 10, tp, f));
                        if (f.isCompletedExceptionally()) {
                            return; // closed: publishing fails fast from now on
                        }
                    }
                }, "publisher-" + t);
                threads.add(th);
                th.start();
            }
            assertThat(enoughAcked.await(30, TimeUnit.SECONDS)).isTrue();
            p.close();
            for (Thread th : threads) {
                th.join(10_000);
                assertThat(th.isAlive()).as("publisher stopped after close").isFalse();
            }
            long ok = 0;
            for (Sent s : sent.stream().flatMap(List::stream).toList()) {
                assertThat(s.future()).as("every future is done when close returns").isDone();
                if (!s.future().isCompletedExceptionally()) {
                    ok++;
                    AppendAck ack = s.future().join();
                    List<Record> stored = TestData.readAll(logs.apply(s.tp())).subList((int) ack.baseOffset(),
                            (int) ack.nextOffset());
                    assertThat(stored).extracting(TestData::seqOf).first().isEqualTo(s.firstSeq());
                    assertThat(stored).extracting(TestData::publisherOf).containsOnly(s.publisher());
                } else {
                    assertThat(s.future()).failsWithin(Duration.ZERO).withThrowableOfType(java.util.concurrent.ExecutionException.class)
                            .withCauseInstanceOf(IngestClosedException.class);
                }
            }
            assertThat(ok).isGreaterThanOrEqualTo(200);
            assertThat(TestData.ingestThreads()).as("no pipeline thread outlives close").isEqualTo(threadsBefore);
        }
    }
}
