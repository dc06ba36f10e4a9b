package io.tierlog.ingest;

import io.tierlog.hot.testing.DelegatingLog;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tierlog.core.Record;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.AppendInfo;
import io.tierlog.hot.LogConfig;
import io.tierlog.hot.LogManager;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import static io.tierlog.ingest.TestData.batch;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Whatever the interleaving of partitions, sizes and acks, and however the writer cuts runs for coalescing,
 * each publish gets exactly the offsets that follow the previous publish of its partition, and the log holds
 * its records there.
 */
class CoalescingPropertiesTest {

    record Publish(int partition, int count, Acks acks) {
    }

    @Provide
    Arbitrary<List<Publish>> publishes() {
        return Combinators.combine(Arbitraries.integers().between(0, 2), Arbitraries.integers().between(1, 20),
                Arbitraries.of(Acks.class)).as(Publish::new).list().ofMinSize(1).ofMaxSize(120);
    }

    @Property(tries = 30)
    void everyPublishGetsTheOffsetsThatFollowItsPredecessor(@ForAll("publishes") List<Publish> publishes,
                                                           @ForAll @IntRange(min = 0, max = 6000) int maxCoalesceBytes,
                                                           @ForAll @IntRange(min = 1, max = 3) int shards) throws Exception {
        Path dir = Files.createTempDirectory("ingest-prop");
        CountDownLatch queued = new CountDownLatch(1);
        AtomicBoolean first = new AtomicBoolean(true);
        try (LogManager manager = new LogManager(dir)) {
            TestData.Logs logs = new TestData.Logs(tp -> new DelegatingLog(manager.open(tp, LogConfig.DEFAULTS)) {
                @Override
                public AppendInfo append(ByteBuffer batches, long minTimestamp) {
                    if (first.compareAndSet(true, false)) {
                        IngestPipelineTest.await(queued); // let the rest pile up behind the first append
                    }
                    return super.append(batches, minTimestamp);
                }
            });
            IngestConfig config = IngestConfig.defaults().withShards(shards).withRingSize(256)
                    .withMaxCoalesceBytes(maxCoalesceBytes).withPublishTimeout(Duration.ofSeconds(10));
            List<CompletableFuture<AppendAck>> futures = new ArrayList<>();
            try (IngestPipeline p = new IngestPipeline(config, logs, new SimpleMeterRegistry())) {
                for (int i = 0; i < publishes.size(); i++) {
                    Publish pub = publishes.get(i);
                    futures.add(p.append(new TopicPartition("prop", pub.partition()), batch(i, 1000L * i, pub.count()), pub.acks()));
                }
                queued.countDown();
                CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            }
            long[] next = new long[3];
            for (int i = 0; i < publishes.size(); i++) {
                Publish pub = publishes.get(i);
                TopicPartition tp = new TopicPartition("prop", pub.partition());
                assertThat(futures.get(i).join()).isEqualTo(new AppendAck(tp, next[pub.partition()], pub.count()));
                next[pub.partition()] += pub.count();
            }
            for (int part = 0; part < 3; part++) {
                TopicPartition tp = new TopicPartition("prop", part);
                if (next[part] == 0) {
                    continue;
                }
                List<Record> stored = TestData.readAll(logs.apply(tp));
                assertThat(stored).hasSize((int) next[part]);
                int k = 0;
                for (int i = 0; i < publishes.size(); i++) {
                    if (publishes.get(i).partition() != part) {
                        continue;
                    }
                    for (int j = 0; j < publishes.get(i).count(); j++, k++) {
                        assertThat(TestData.publisherOf(stored.get(k))).isEqualTo(i);
                        assertThat(TestData.seqOf(stored.get(k))).isEqualTo(1000L * i + j);
                    }
                }
            }
        } finally {
            queued.countDown();
            deleteRecursively(dir);
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
