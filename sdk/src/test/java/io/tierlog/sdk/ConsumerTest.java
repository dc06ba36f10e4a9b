package io.tierlog.sdk;

import static io.tierlog.sdk.SdkTesting.T0;
import static io.tierlog.sdk.SdkTesting.newTopic;
import static io.tierlog.sdk.SdkTesting.readAll;
import static io.tierlog.sdk.SdkTesting.sample;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tierlog.core.MetricEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** The consumer against a real server: groups, start positions, commits, the long poll, resets, the cold tier. */
class ConsumerTest extends ServerPerClass {
    private void produce(int from, int to) {
        try (TierlogProducer p = client.producer(ProducerConfig.defaults())) {
            for (int i = from; i < to; i++) {
                p.send(topic, sample(i));
            }
        }
    }

    /** A group member on its own thread: polls, keeps what it read, commits after each poll, until told to stop. */
    private final class Member {
        final List<ConsumedRecord> read = new CopyOnWriteArrayList<>();
        final Set<Integer> assignment = ConcurrentHashMap.newKeySet();
        final AtomicBoolean stop = new AtomicBoolean();
        final CompletableFuture<Void> done;

        Member(String group) {
            ConsumerConfig cfg = ConsumerConfig.group(group).withMaxWait(Duration.ofMillis(100))
                    .withKafkaProperty("heartbeat.interval.ms", "200");
            done = CompletableFuture.runAsync(() -> {
                try (TierlogConsumer c = client.consumer(cfg)) {
                    c.subscribe(topic, StartPosition.committed(StartPosition.earliest()));
                    while (!stop.get()) {
                        read.addAll(c.poll(Duration.ofMillis(100)));
                        c.commitSync();
                        assignment.clear();
                        assignment.addAll(c.assignment());
                    }
                }
            }, command -> Thread.ofPlatform().start(command));
        }

        void leave() throws Exception {
            stop.set(true);
            done.get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void groupMembersShareTheTopicAndHandPartitionsOverWhenOneLeaves() throws Exception {
        client.createTopic(topic, 4, Map.of());
        produce(0, 400);
        String group = "g-" + topic;
        Member a = new Member(group);
        Member b = new Member(group);
        await().atMost(Duration.ofSeconds(30)).until(() -> a.read.size() + b.read.size() >= 400
                && a.assignment.size() == 2 && b.assignment.size() == 2);
        Set<Integer> both = new HashSet<>(a.assignment);
        both.addAll(b.assignment);
        assertThat(both).as("two members, two partitions each, none shared").containsExactlyInAnyOrder(0, 1, 2, 3);
        b.leave();
        produce(400, 800);
        await().atMost(Duration.ofSeconds(30)).until(() -> a.read.size() + b.read.size() >= 800 && a.assignment.size() == 4);
        a.leave();
        List<Double> values = new ArrayList<>();
        a.read.forEach(r -> values.add(r.metric().value()));
        b.read.forEach(r -> values.add(r.metric().value()));
        assertThat(values).as("every record read once by the group").doesNotHaveDuplicates().hasSize(800);
        assertThat(b.read).isNotEmpty();
    }

    @Test
    void assignStartsAtEachStartPosition() {
        client.createTopic(topic, 1, Map.of());
        produce(0, 20); // timestamps 1_700_000_000_000 + i, offsets i
        String group = "g-" + topic;
        try (TierlogConsumer c = client.consumer(ConsumerConfig.group(group))) {
            c.assign(topic, List.of(0), StartPosition.earliest());
            c.commitSync(Map.of(0, 7L));
        }
        assertThat(firstOffset(ConsumerConfig.defaults(), StartPosition.earliest())).isZero();
        assertThat(firstOffset(ConsumerConfig.defaults(), StartPosition.offset(5))).isEqualTo(5);
        assertThat(firstOffset(ConsumerConfig.defaults(), StartPosition.timestamp(T0 + 12))).isEqualTo(12);
        assertThat(firstOffset(ConsumerConfig.group(group), StartPosition.committed(StartPosition.earliest()))).isEqualTo(7);
        assertThat(firstOffset(ConsumerConfig.group(group + "-new"), StartPosition.committed(StartPosition.offset(3))))
                .isEqualTo(3);
        try (TierlogConsumer c = client.consumer(ConsumerConfig.defaults())) {
            c.assign(topic, List.of(0), StartPosition.latest());
            assertThat(c.position(0)).isEqualTo(20);
            produce(20, 21);
            assertThat(poll(c, 1)).extracting(ConsumedRecord::offset).containsExactly(20L);
        }
        try (TierlogConsumer c = client.consumer(ConsumerConfig.defaults())) {
            c.assign(topic, List.of(0), StartPosition.timestamp(T0 + 86_400_000L));
            assertThat(c.position(0)).as("no record that late: the end").isEqualTo(21);
        }
        assertThatThrownBy(() -> client.consumer(ConsumerConfig.defaults())
                .assign(topic, List.of(0), StartPosition.committed(StartPosition.earliest())))
                .isInstanceOf(IllegalStateException.class);
    }

    private long firstOffset(ConsumerConfig cfg, StartPosition start) {
        try (TierlogConsumer c = client.consumer(cfg)) {
            c.assign(topic, List.of(0), start);
            return poll(c, 1).get(0).offset();
        }
    }

    private static List<ConsumedRecord> poll(TierlogConsumer c, int atLeast) {
        List<ConsumedRecord> out = new ArrayList<>();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            out.addAll(c.poll(Duration.ofMillis(100)));
            return out.size() >= atLeast;
        });
        return out;
    }

    @Test
    void aGroupResumesFromItsCommittedOffsetsWithoutGapOrRepeat() {
        client.createTopic(topic, 2, Map.of());
        produce(0, 100);
        List<ConsumedRecord> firstRun = new ArrayList<>();
        Map<Integer, Long> committed;
        ConsumerConfig cfg = ConsumerConfig.group("g-" + topic).withMaxRecords(15).withMaxWait(Duration.ofMillis(100));
        try (TierlogConsumer c = client.consumer(cfg)) {
            c.subscribe(topic, StartPosition.committed(StartPosition.earliest()));
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                List<ConsumedRecord> got = c.poll(Duration.ofMillis(100));
                assertThat(got).hasSizeLessThanOrEqualTo(15);
                firstRun.addAll(got);
                return firstRun.size() >= 30;
            });
            c.commitSync();
            committed = c.positions();
            assertThat(c.committed()).isEqualTo(committed);
        }
        // one store for both doors: the HTTP API sees the Kafka commit
        String http = SdkTesting.get(server.uri(), "/v1/groups/g-" + topic + "/offsets?topic=" + topic);
        committed.forEach((p, o) -> assertThat(http).contains("\"partition\":" + p + ",\"offset\":" + o));
        produce(100, 150);
        List<ConsumedRecord> secondRun = new ArrayList<>();
        try (TierlogConsumer c = client.consumer(cfg)) {
            c.subscribe(topic, StartPosition.committed(StartPosition.earliest()));
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                secondRun.addAll(c.poll(Duration.ofMillis(100)));
                return firstRun.size() + secondRun.size() >= 150;
            });
        }
        Map<Integer, Long> firstOffsetOfSecondRun = new TreeMap<>();
        secondRun.forEach(r -> firstOffsetOfSecondRun.merge(r.partition(), r.offset(), Math::min));
        assertThat(firstOffsetOfSecondRun).as("the second run starts where the first committed").isEqualTo(committed);
        Set<Double> all = new HashSet<>();
        firstRun.forEach(r -> all.add(r.metric().value()));
        secondRun.forEach(r -> assertThat(all.add(r.metric().value())).as("duplicate %s", r).isTrue());
        assertThat(all).hasSize(150);
    }

    @Test
    void aCaughtUpConsumerWaitsInTheLongPollAndWakesForANewRecord() throws Exception {
        client.createTopic(topic, 1, Map.of());
        try (TierlogConsumer c = client.consumer(ConsumerConfig.defaults().withMaxWait(Duration.ofSeconds(5)));
             TierlogProducer p = client.producer(ProducerConfig.builder().linger(Duration.ZERO).build())) {
            c.subscribe(topic, StartPosition.latest());
            assertThat(c.poll(Duration.ofMillis(50))).isEmpty();
            CompletableFuture<List<ConsumedRecord>> polled = CompletableFuture.supplyAsync(() -> c.poll(Duration.ofSeconds(10)));
            long sent = System.nanoTime();
            p.send(topic, sample(42)).join();
            assertThat(polled.get(20, TimeUnit.SECONDS)).singleElement()
                    .satisfies(r -> assertThat(r.metric().value()).isEqualTo(42.0));
            assertThat(Duration.ofNanos(System.nanoTime() - sent)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void pollReturnsAtMostMaxRecordsAndContinuesWhereItStopped() {
        client.createTopic(topic, 1, Map.of());
        produce(0, 100);
        try (TierlogConsumer c = client.consumer(ConsumerConfig.defaults().withMaxRecords(7))) {
            c.subscribe(topic, StartPosition.earliest());
            List<ConsumedRecord> all = new ArrayList<>();
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                List<ConsumedRecord> batch = c.poll(Duration.ofMillis(200));
                assertThat(batch).hasSizeLessThanOrEqualTo(7);
                all.addAll(batch);
                return all.size() >= 100;
            });
            assertThat(all).extracting(ConsumedRecord::offset).containsExactlyElementsOf(LongStream.range(0, 100).boxed().toList());
            assertThat(c.positions()).isEqualTo(Map.of(0, 100L));
            c.seek(0, 95);
            assertThat(poll(c, 5)).extracting(ConsumedRecord::offset).containsExactly(95L, 96L, 97L, 98L, 99L);
        }
    }

    @Test
    void aPositionOutsideTheLogIsResetByPolicy() {
        client.createTopic(topic, 1, Map.of());
        produce(0, 1);
        try (TierlogConsumer c = client.consumer(ConsumerConfig.defaults().withOutOfRangeReset(ConsumerConfig.Reset.NONE))) {
            c.assign(topic, List.of(0), StartPosition.offset(1000));
            TierlogServerException.OffsetOutOfRange e = catchOutOfRange(c);
            assertThat(e).hasCauseInstanceOf(org.apache.kafka.clients.consumer.OffsetOutOfRangeException.class);
            assertThat(e.highWatermark()).isEqualTo(1);
            assertThat(e.logStartOffset()).isZero();
        }
        try (TierlogConsumer c = client.consumer(ConsumerConfig.defaults().withOutOfRangeReset(ConsumerConfig.Reset.LATEST))) {
            c.assign(topic, List.of(0), StartPosition.offset(500));
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                assertThat(c.poll(Duration.ofMillis(100))).isEmpty();
                return c.position(0) == 1;
            });
            produce(1, 2);
            assertThat(poll(c, 1)).extracting(ConsumedRecord::offset).containsExactly(1L);
        }
    }

    private static TierlogServerException.OffsetOutOfRange catchOutOfRange(TierlogConsumer c) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try {
                c.poll(Duration.ofMillis(100));
            } catch (TierlogServerException.OffsetOutOfRange e) {
                return e;
            }
        }
        throw new AssertionError("poll never reported the position out of range");
    }

    @Test
    void aConsumerReadsFromTheColdTierIntoTheTail() {
        client.createTopic(topic, 1, Map.of("segmentBytes", 4096, "localRetentionBytes", 1, "localRetentionMs", 1));
        long now = System.currentTimeMillis(); // total retention (7 days) would delete older samples at once
        try (TierlogProducer p = client.producer(ProducerConfig.builder().linger(Duration.ZERO).batchBytes(1024).build())) {
            for (int i = 0; i < 1000; i++) {
                p.send(topic, 0, new MetricEvent("temp.c", Map.of("room", "r" + (i % 3)), now + i, i));
                if (i % 50 == 49) {
                    p.flush(); // many appends, so that segments roll (a roll happens between appends)
                }
            }
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> client.describeTopic(topic).partition(0).localLogStartOffset() > 0);
        List<ConsumedRecord> read = readAll(client, topic, 1000);
        assertThat(read).extracting(ConsumedRecord::offset).containsExactlyElementsOf(LongStream.range(0, 1000).boxed().toList());
        assertThat(read).extracting(r -> r.metric().value())
                .containsExactlyElementsOf(LongStream.range(0, 1000).mapToDouble(l -> l).boxed().toList());
        assertThat(Collections.frequency(read.stream().map(r -> r.metric().tags().get("room")).toList(), "r0")).isEqualTo(334);
    }
}
