package io.tierlog.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.tierlog.core.MetricEvent;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The SDK's behaviour, written once against "a Tierlog at {@link #uri()}" and run against both the fake
 * (JDK HTTP server) and the real in-process server.
 */
abstract class AbstractSdkTest {
    protected TierlogClient client;
    protected String topic;

    protected abstract URI uri();

    @BeforeEach
    void openClient() {
        client = TierlogClient.create(uri());
        topic = "t-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @AfterEach
    void closeClient() {
        client.close();
    }

    static MetricEvent sample(int i) {
        return new MetricEvent("cpu.usage", Map.of("host", "h" + (i % 10)), 1_700_000_000_000L + i, i);
    }

    /** Reads every record of every partition from the earliest offset until {@code expected} arrived. */
    List<ConsumedRecord> readAll(String t, int expected) {
        List<ConsumedRecord> out = new ArrayList<>();
        try (TierlogConsumer c = client.consumer(ConsumerConfig.defaults().withMaxWait(Duration.ofMillis(200)))) {
            c.subscribe(t, StartPosition.earliest());
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                out.addAll(c.poll(Duration.ofMillis(200)));
                return out.size() >= expected;
            });
        }
        return out;
    }

    @Test
    void severalSendsWithinLingerTravelInOneRequest() {
        client.createTopic(topic, 1, Map.of());
        try (TierlogProducer p = client.producer(ProducerConfig.builder().linger(Duration.ofSeconds(30)).build())) {
            List<CompletableFuture<Long>> fs = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                fs.add(p.send(topic, sample(i)));
            }
            assertThat(fs).noneMatch(CompletableFuture::isDone); // lingering: nothing sent yet
            p.flush();
            List<Long> offsets = fs.stream().map(CompletableFuture::join).toList();
            assertThat(offsets).containsExactlyElementsOf(java.util.stream.LongStream.range(0, 50).boxed().toList());
            assertThat(p.stats().requests()).isEqualTo(1);
            assertThat(p.stats().batches()).isEqualTo(1);
            assertThat(p.stats().recordsAcknowledged()).isEqualTo(50);
        }
    }

    @Test
    void durableAcksAreRequestedAndAcknowledged() {
        client.createTopic(topic, 2, Map.of());
        try (TierlogProducer p = client.producer(ProducerConfig.builder().acks("durable").build())) {
            List<CompletableFuture<Long>> fs = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                fs.add(p.send(topic, sample(i)));
            }
            p.flush();
            assertThat(fs).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
        }
        assertThat(client.describeTopic(topic).partitions().stream().mapToLong(TopicInfo.PartitionInfo::highWatermark).sum())
                .isEqualTo(20);
    }

    @Test
    void batchSizeLimitSplitsBatchesAndKeepsPartitionOrder() {
        client.createTopic(topic, 1, Map.of());
        ProducerConfig cfg = ProducerConfig.builder().linger(Duration.ofSeconds(30)).batchBytes(2048).build();
        try (TierlogProducer p = client.producer(cfg)) {
            List<CompletableFuture<Long>> fs = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                fs.add(p.send(topic, sample(i)));
            }
            // far below the 30 s linger: only full batches can have been sent
            List<Long> first = fs.subList(0, 100).stream().map(CompletableFuture::join).toList();
            assertThat(first).isSorted();
            p.flush();
            assertThat(fs).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
            assertThat(fs.stream().map(CompletableFuture::join).toList()).isSorted().doesNotHaveDuplicates();
            assertThat(p.stats().batches()).isGreaterThan(5);
        }
    }

    @Test
    void closeDeliversEverythingBuffered() {
        client.createTopic(topic, 4, Map.of());
        int n = 5000;
        ProducerConfig cfg = ProducerConfig.builder().linger(Duration.ofSeconds(10)).batchBytes(8 * 1024).build();
        TierlogProducer p = client.producer(cfg);
        for (int i = 0; i < n; i++) {
            p.send(topic, new MetricEvent("load.v", Map.of("series", "s" + (i % 37)), 1_700_000_000_000L + i, i));
        }
        p.close();
        assertThat(p.stats().recordsAcknowledged()).isEqualTo(n);
        List<ConsumedRecord> read = readAll(topic, n);
        assertThat(read).hasSize(n);
        Set<Double> values = read.stream().map(r -> r.metric().value()).collect(Collectors.toSet());
        assertThat(values).hasSize(n);
        // one series stays in one partition, in send order
        Map<String, List<ConsumedRecord>> bySeries = read.stream().collect(Collectors.groupingBy(r -> r.metric().tags().get("series")));
        bySeries.values().forEach(rs -> {
            assertThat(rs.stream().map(ConsumedRecord::partition).distinct()).hasSize(1);
            assertThat(rs.stream().map(r -> r.metric().value()).toList()).isSorted();
        });
        assertThatThrownBy(() -> p.send(topic, sample(1))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void bytesRecordsRoundTripExactly() {
        client.createTopic(topic, 2, FakeTierlog.bytesSchema());
        try (TierlogProducer p = client.producer(ProducerConfig.defaults())) {
            for (int i = 0; i < 20; i++) {
                p.send(topic, "user-" + i, "{\"n\":" + i + "}");
            }
            byte[] binary = {0, (byte) 0xff, 1, (byte) 0x80};
            p.send(topic, 1, 1234L, "bin".getBytes(StandardCharsets.UTF_8), binary, null).join();
        }
        List<ConsumedRecord> read = readAll(topic, 21);
        assertThat(read).filteredOn(r -> "bin".equals(r.keyString())).singleElement()
                .satisfies(r -> {
                    assertThat(r.value()).containsExactly(0, (byte) 0xff, 1, (byte) 0x80);
                    assertThat(r.timestamp()).isEqualTo(1234L);
                    assertThat(r.partition()).isEqualTo(1);
                });
        assertThat(read).filteredOn(r -> "user-7".equals(r.keyString())).singleElement()
                .satisfies(r -> assertThat(r.valueString()).isEqualTo("{\"n\":7}"));
    }

    @Test
    void consumerResumesFromCommittedOffsets() {
        client.createTopic(topic, 2, Map.of());
        try (TierlogProducer p = client.producer(ProducerConfig.defaults())) {
            for (int i = 0; i < 100; i++) {
                p.send(topic, sample(i));
            }
        }
        List<ConsumedRecord> firstRun = new ArrayList<>();
        Map<Integer, Long> committedPositions;
        ConsumerConfig cfg = ConsumerConfig.group("g-" + topic).withMaxRecords(15).withMaxWait(Duration.ofMillis(100));
        try (TierlogConsumer c = client.consumer(cfg)) {
            c.subscribe(topic, StartPosition.committed(StartPosition.earliest()));
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                firstRun.addAll(c.poll(Duration.ofMillis(100)));
                return firstRun.size() >= 30;
            });
            c.commitSync();
            committedPositions = c.positions();
            assertThat(c.committed()).isEqualTo(committedPositions);
        }
        try (TierlogProducer p = client.producer(ProducerConfig.defaults())) {
            for (int i = 100; i < 150; i++) {
                p.send(topic, sample(i));
            }
        }
        List<ConsumedRecord> secondRun = new ArrayList<>();
        try (TierlogConsumer c = client.consumer(cfg)) {
            c.subscribe(topic, StartPosition.committed(StartPosition.earliest()));
            assertThat(c.positions()).isEqualTo(committedPositions);
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                secondRun.addAll(c.poll(Duration.ofMillis(100)));
                return firstRun.size() + secondRun.size() >= 150;
            });
        }
        Set<Double> all = new HashSet<>();
        firstRun.forEach(r -> all.add(r.metric().value()));
        secondRun.forEach(r -> assertThat(all.add(r.metric().value())).as("duplicate %s", r).isTrue());
        assertThat(all).hasSize(150);
        secondRun.forEach(r -> assertThat(r.offset()).isGreaterThanOrEqualTo(committedPositions.get(r.partition())));
    }

    @Test
    void consumerTailsNewRecordsWithLongPoll() throws Exception {
        client.createTopic(topic, 1, Map.of());
        try (TierlogConsumer c = client.consumer(ConsumerConfig.defaults().withMaxWait(Duration.ofSeconds(5)));
             TierlogProducer p = client.producer(ProducerConfig.builder().linger(Duration.ZERO).build())) {
            c.subscribe(topic, StartPosition.latest());
            assertThat(c.poll(Duration.ofMillis(50))).isEmpty();
            CompletableFuture<List<ConsumedRecord>> polled = CompletableFuture.supplyAsync(() -> c.poll(Duration.ofSeconds(10)));
            long sent = System.nanoTime();
            p.send(topic, sample(42)).join();
            List<ConsumedRecord> got = polled.get();
            assertThat(got).singleElement().satisfies(r -> assertThat(r.metric().value()).isEqualTo(42.0));
            assertThat(Duration.ofNanos(System.nanoTime() - sent)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void consumerStartsAtTimestamp() {
        client.createTopic(topic, 1, Map.of());
        try (TierlogProducer p = client.producer(ProducerConfig.defaults())) {
            for (int i = 0; i < 20; i++) {
                p.send(topic, 0, sample(i));
            }
        }
        try (TierlogConsumer c = client.consumer(ConsumerConfig.defaults())) {
            c.subscribe(topic, StartPosition.timestamp(1_700_000_000_000L + 12));
            assertThat(c.position(0)).isEqualTo(12);
            List<ConsumedRecord> out = new ArrayList<>();
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                out.addAll(c.poll(Duration.ofMillis(100)));
                return out.size() >= 8;
            });
            assertThat(out.get(0).metric().value()).isEqualTo(12.0);
        }
    }

    @Test
    void pollReturnsAtMostMaxRecordsPerPartitionAndContinuesWhereItStopped() {
        client.createTopic(topic, 1, Map.of());
        try (TierlogProducer p = client.producer(ProducerConfig.defaults())) {
            for (int i = 0; i < 100; i++) {
                p.send(topic, sample(i));
            }
        }
        try (TierlogConsumer c = client.consumer(ConsumerConfig.defaults().withMaxRecords(10))) {
            c.subscribe(topic, StartPosition.earliest());
            List<ConsumedRecord> all = new ArrayList<>();
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                List<ConsumedRecord> batch = c.poll(Duration.ofMillis(200));
                assertThat(batch).hasSizeLessThanOrEqualTo(10);
                all.addAll(batch);
                return all.size() >= 100;
            });
            assertThat(all).extracting(ConsumedRecord::offset)
                    .containsExactlyElementsOf(java.util.stream.LongStream.range(0, 100).boxed().toList());
            assertThat(c.position(0)).isEqualTo(100);
        }
    }

    @Test
    void pollStopsDecodingAtMaxRecordsAcrossManySmallBatchesWithoutLosingAny() {
        client.createTopic(topic, 1, Map.of());
        ProducerConfig small = ProducerConfig.builder().batchBytes(400).linger(Duration.ZERO).build();
        try (TierlogProducer p = client.producer(small)) {
            for (int i = 0; i < 200; i++) {
                p.send(topic, sample(i));
            }
        }
        try (TierlogConsumer c = client.consumer(ConsumerConfig.defaults().withMaxRecords(7))) {
            c.subscribe(topic, StartPosition.earliest());
            List<ConsumedRecord> all = new ArrayList<>();
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                List<ConsumedRecord> batch = c.poll(Duration.ofMillis(200));
                assertThat(batch).hasSizeLessThanOrEqualTo(7);
                all.addAll(batch);
                return all.size() >= 200;
            });
            assertThat(all).extracting(ConsumedRecord::offset)
                    .containsExactlyElementsOf(java.util.stream.LongStream.range(0, 200).boxed().toList());
            assertThat(c.position(0)).isEqualTo(200);
        }
    }

    @Test
    void consumerOutOfRangeIsResetByPolicy() {
        client.createTopic(topic, 1, Map.of());
        try (TierlogProducer p = client.producer(ProducerConfig.defaults())) {
            p.send(topic, sample(0)).join();
        }
        try (TierlogConsumer c = client.consumer(ConsumerConfig.defaults().withMaxWait(Duration.ofMillis(100))
                .withOutOfRangeReset(ConsumerConfig.Reset.LATEST))) {
            c.assign(topic, List.of(0), StartPosition.offset(500));
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                assertThat(c.poll(Duration.ofMillis(100))).isEmpty();
                return c.position(0) == 1;
            });
            try (TierlogProducer p = client.producer(ProducerConfig.defaults())) {
                p.send(topic, sample(1)).join();
            }
            List<ConsumedRecord> got = new ArrayList<>();
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                got.addAll(c.poll(Duration.ofMillis(100)));
                return !got.isEmpty();
            });
            assertThat(got).singleElement().satisfies(r -> assertThat(r.offset()).isEqualTo(1));
        }
    }

    @Test
    void offsetRangeQueryPagesLazily() {
        client.createTopic(topic, 1, Map.of());
        try (TierlogProducer p = client.producer(ProducerConfig.defaults())) {
            for (int i = 0; i < 100; i++) {
                p.send(topic, 0, sample(i));
            }
        }
        RecordCursor cursor = client.query().offsetRange(topic, 0, 10, 95, 7);
        assertThat(cursor.pages()).isZero();
        List<Long> offsets = cursor.stream().map(ConsumedRecord::offset).toList();
        assertThat(offsets).containsExactlyElementsOf(java.util.stream.LongStream.range(10, 95).boxed().toList());
        assertThat(cursor.pages()).isEqualTo(13);
        assertThat(client.query().offsetRange(topic, 0, 90, Long.MAX_VALUE, 7).stream().count()).isEqualTo(10);
    }

    @Test
    void serverErrorsBecomeTypedExceptions() {
        assertThatThrownBy(() -> client.describeTopic("missing-" + topic)).isInstanceOf(TierlogServerException.NotFound.class)
                .satisfies(e -> assertThat(((TierlogServerException) e).status()).isEqualTo(404));
        client.createTopic(topic, 1, Map.of());
        assertThatThrownBy(() -> client.createTopic(topic, 1, Map.of())).isInstanceOf(TierlogServerException.Conflict.class);
        try (TierlogConsumer c = client.consumer(ConsumerConfig.defaults().withOutOfRangeReset(ConsumerConfig.Reset.NONE))) {
            c.assign(topic, List.of(0), StartPosition.offset(1000));
            assertThatThrownBy(() -> c.poll(Duration.ofSeconds(2)))
                    .isInstanceOf(TierlogServerException.OffsetOutOfRange.class)
                    .satisfies(e -> assertThat(((TierlogServerException.OffsetOutOfRange) e).highWatermark()).isZero());
        }
        try (TierlogProducer p = client.producer(ProducerConfig.defaults())) {
            CompletableFuture<Long> f = p.send("missing-" + topic, sample(1));
            assertThat(f).failsWithin(Duration.ofSeconds(5)).withThrowableThat()
                    .withCauseInstanceOf(TierlogServerException.NotFound.class);
        }
    }

    @Test
    void fullBufferFailsFastWhenConfigured() {
        client.createTopic(topic, 1, Map.of());
        ProducerConfig cfg = ProducerConfig.builder().linger(Duration.ofSeconds(30)).batchBytes(4096)
                .maxRequestBytes(4096).bufferMemoryBytes(4096).blockOnBufferFull(false).build();
        try (TierlogProducer p = client.producer(cfg)) {
            CompletableFuture<Long> rejected = null;
            List<CompletableFuture<Long>> accepted = new ArrayList<>();
            for (int i = 0; i < 200 && rejected == null; i++) {
                CompletableFuture<Long> f = p.send(topic, 0, sample(i));
                if (f.isCompletedExceptionally()) {
                    rejected = f;
                } else {
                    accepted.add(f);
                }
            }
            assertThat(rejected).as("a send must be rejected once 4 KiB are buffered").isNotNull();
            assertThat(rejected).isCompletedExceptionally();
            assertThatThrownBy(rejected::join).hasCauseInstanceOf(TierlogClientException.BufferExhausted.class);
            p.flush();
            assertThat(accepted).allMatch(f -> !f.isCompletedExceptionally() && f.isDone());
            assertThat(p.availableBufferBytes()).isEqualTo(4096);
        }
    }

    @Test
    void micrometerRegistryPublishesMetersToTheTopic() {
        String metricsTopic = topic + "-metrics";
        TierlogRegistryConfig cfg = k -> switch (k) {
            case "tierlog.topic" -> metricsTopic;
            case "tierlog.step" -> "1h";
            default -> null;
        };
        TierlogMeterRegistry registry = new TierlogMeterRegistry(cfg, Clock.SYSTEM, client);
        Counter orders = Counter.builder("orders.placed").tag("region", "eu-west").register(registry);
        orders.increment(3);
        Timer latency = Timer.builder("http.server.requests").tag("uri", "/api/orders").register(registry);
        latency.record(Duration.ofMillis(250));
        latency.record(Duration.ofMillis(750));
        registry.gauge("queue.size", List.of(io.micrometer.core.instrument.Tag.of("queue", "in")), new int[]{7}, a -> a[0]);
        registry.close(); // publishes once more on close

        List<MetricEvent> events = new ArrayList<>();
        try (TierlogConsumer c = client.consumer(ConsumerConfig.defaults().withMaxWait(Duration.ofMillis(200)))) {
            c.subscribe(metricsTopic, StartPosition.earliest());
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                c.poll(Duration.ofMillis(200)).forEach(r -> events.add(r.metric()));
                return events.stream().anyMatch(e -> e.name().equals("queue.size"));
            });
        }
        assertThat(events).anySatisfy(e -> {
            assertThat(e.name()).isEqualTo("orders.placed.count");
            assertThat(e.tags()).containsEntry("region", "eu-west");
            assertThat(e.value()).isEqualTo(3.0);
            assertThat(e.type()).isEqualTo(io.tierlog.core.MetricType.COUNTER);
        });
        assertThat(events).anySatisfy(e -> {
            assertThat(e.name()).isEqualTo("http.server.requests.sum");
            assertThat(e.tags()).containsEntry("uri", "/api/orders");
            assertThat(e.value()).isEqualTo(1.0);
        });
        assertThat(events).anySatisfy(e -> {
            assertThat(e.name()).isEqualTo("http.server.requests.count");
            assertThat(e.value()).isEqualTo(2.0);
        });
        assertThat(events).anySatisfy(e -> {
            assertThat(e.name()).isEqualTo("queue.size");
            assertThat(e.tags()).containsEntry("queue", "in");
            assertThat(e.value()).isEqualTo(7.0);
        });
    }
}
