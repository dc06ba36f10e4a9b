package io.tierlog.sdk;

import static io.tierlog.sdk.SdkTesting.T0;
import static io.tierlog.sdk.SdkTesting.newTopic;
import static io.tierlog.sdk.SdkTesting.readAll;
import static io.tierlog.sdk.SdkTesting.sample;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tierlog.core.Compression;
import io.tierlog.core.Header;
import io.tierlog.core.InvalidInputException;
import io.tierlog.core.MetricEvent;
import io.tierlog.core.RecordBatch;
import io.tierlog.core.SeriesKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The producer against a real server whose Kafka listener sits behind a {@link KafkaProxy}: placement by the
 * server's hash, kafka-clients' sticky partitioning without a key, compression, idempotent retries of lost answers,
 * order per series, the buffer bound, close and flush.
 */
class ProducerTest {
    @TempDir
    static Path dataDir;
    static KafkaProxy proxy;
    static TestServer server;

    TierlogClient client;
    String topic;

    @BeforeAll
    static void start() throws Exception {
        proxy = new KafkaProxy();
        server = TestServer.start(dataDir, Map.of("kafka.advertised.port", String.valueOf(proxy.port())));
        proxy.target(server.kafkaPort());
    }

    @AfterAll
    static void stop() {
        server.close();
        proxy.close();
    }

    @BeforeEach
    void openClient() {
        client = TierlogClient.create(server.uri());
        topic = newTopic();
        proxy.answersToLose.set(0);
        proxy.answersLost.set(0);
        proxy.resume();
    }

    @AfterEach
    void closeClient() {
        proxy.resume();
        client.close();
    }

    @Test
    void theClientFindsTheKafkaListenerThroughTheHttpApi() {
        assertThat(client.kafkaBootstrapServers()).isEqualTo("127.0.0.1:" + proxy.port());
        client.createTopic(topic, 1, Map.of());
        try (TierlogClient explicit = TierlogClient.create(server.uri(), "127.0.0.1:" + proxy.port());
             TierlogProducer p = explicit.producer(ProducerConfig.defaults())) {
            assertThat(p.send(topic, sample(1)).join()).isZero();
        }
    }

    @Test
    void aSeriesGoesToThePartitionTheServersHashGivesIt() {
        client.createTopic(topic, 8, Map.of());
        int series = 64;
        StringBuilder json = new StringBuilder("{\"records\":[");
        for (int s = 0; s < series; s++) {
            json.append(s == 0 ? "" : ",").append("{\"name\":\"disk.used\",\"tags\":{\"host\":\"h").append(s)
                    .append("\",\"dc\":\"x=").append(s % 3).append("\"},\"value\":").append(s).append("}");
        }
        SdkTesting.post(server.uri(), "/v1/topics/" + topic + "/records", json.append("]}").toString()); // the server picks
        try (TierlogProducer p = client.producer(ProducerConfig.defaults())) {
            for (int s = 0; s < series; s++) {
                p.send(topic, new MetricEvent("disk.used", Map.of("host", "h" + s, "dc", "x=" + (s % 3)),
                        System.currentTimeMillis(), 1000 + s));
            }
        }
        Map<SeriesKey, Set<Integer>> partitions = readAll(client, topic, 2 * series).stream()
                .collect(Collectors.groupingBy(r -> r.metric().seriesKey(), Collectors.mapping(ConsumedRecord::partition,
                        Collectors.toSet())));
        assertThat(partitions).hasSize(series);
        partitions.forEach((key, ps) -> assertThat(ps).as("%s: written over HTTP and over Kafka", key)
                .containsExactly(SeriesKey.partitionFor(key.toBytes(), 8)));
        assertThat(partitions.values().stream().flatMap(Set::stream).distinct().count()).as("series spread").isEqualTo(8);
    }

    @Test
    void aKeyedBytesRecordGoesWhereTheServerPutsTheSameKey() {
        client.createTopic(topic, 6, Map.of("schema", "bytes"));
        String json = IntStream.range(0, 30).mapToObj(i -> "{\"key\":\"user-" + i + "\",\"value\":\"http\"}")
                .collect(Collectors.joining(",", "{\"records\":[", "]}"));
        SdkTesting.post(server.uri(), "/v1/topics/" + topic + "/records", json);
        try (TierlogProducer p = client.producer(ProducerConfig.defaults())) {
            for (int i = 0; i < 30; i++) {
                p.send(topic, "user-" + i, "kafka");
            }
        }
        Map<String, Set<Integer>> byKey = readAll(client, topic, 60).stream()
                .collect(Collectors.groupingBy(ConsumedRecord::keyString, Collectors.mapping(ConsumedRecord::partition,
                        Collectors.toSet())));
        byKey.forEach((k, ps) -> assertThat(ps).as(k).hasSize(1));
        assertThat(byKey).hasSize(30);
    }

    @Test
    void recordsWithoutAKeyStickToOnePartitionPerBatch() {
        client.createTopic(topic, 4, Map.of("schema", "bytes"));
        int n = 2000;
        byte[] padding = new byte[90];
        try (TierlogProducer p = client.producer(ProducerConfig.builder().batchBytes(2048).linger(Duration.ZERO).build())) {
            for (int i = 0; i < n; i++) {
                byte[] value = (i + ":" + new String(padding, StandardCharsets.ISO_8859_1)).getBytes(StandardCharsets.ISO_8859_1);
                p.send(topic, null, System.currentTimeMillis(), null, value, null);
            }
        }
        int[] partitionOf = new int[n];
        for (ConsumedRecord r : readAll(client, topic, n)) {
            partitionOf[Integer.parseInt(r.valueString().substring(0, r.valueString().indexOf(':')))] = r.partition();
        }
        int switches = 0;
        for (int i = 1; i < n; i++) {
            switches += partitionOf[i] != partitionOf[i - 1] ? 1 : 0;
        }
        // about 2 KiB of ~100-byte records per partition before kafka-clients moves on: runs of ~20
        assertThat(IntStream.of(partitionOf).distinct().count()).as("unkeyed records spread").isGreaterThan(1);
        assertThat(switches).as("partition changes over %d records", n).isLessThan(n / 5);
    }

    @Test
    void eachCodecIsAppliedByTheProducerAndStoredAsSent() {
        for (Compression codec : Compression.values()) {
            String t = topic + "-" + codec.name().toLowerCase();
            client.createTopic(t, 1, Map.of());
            try (TierlogProducer p = client.producer(ProducerConfig.builder().compression(codec).build())) {
                for (int i = 0; i < 200; i++) {
                    p.send(t, sample(i));
                }
            }
            List<RecordBatch> stored = SdkTesting.storedBatches(server.uri(), t, 0, 0);
            assertThat(stored).as(codec.name()).isNotEmpty()
                    .allSatisfy(b -> assertThat(b.compression()).isEqualTo(codec));
            assertThat(readAll(client, t, 200)).extracting(r -> r.metric().value())
                    .containsExactlyElementsOf(IntStream.range(0, 200).mapToObj(i -> (double) i).toList());
        }
    }

    @Test
    void aLostAnswerIsRetriedAndStoredOnceWithDurableAcks() {
        client.createTopic(topic, 1, Map.of());
        try (TierlogProducer p = client.producer(ProducerConfig.builder().acks("durable").build())) {
            assertThat(p.send(topic, sample(0)).join()).isZero(); // connected, producer id known
            proxy.answersToLose.set(1);
            List<CompletableFuture<Long>> fs = new ArrayList<>();
            for (int i = 1; i <= 50; i++) {
                fs.add(p.send(topic, sample(i)));
            }
            p.flush();
            assertThat(proxy.answersLost).hasValue(1);
            assertThat(fs.stream().map(CompletableFuture::join).toList())
                    .containsExactlyElementsOf(LongStream.rangeClosed(1, 50).boxed().toList());
            assertThat(p.stats().retries()).isPositive();
        }
        assertThat(client.describeTopic(topic).partition(0).highWatermark()).isEqualTo(51);
        assertThat(readAll(client, topic, 51)).extracting(r -> r.metric().value()).doesNotHaveDuplicates();
        assertThat(SdkTesting.storedBatches(server.uri(), topic, 0, 0)).as("idempotent batches carry a producer id")
                .allSatisfy(b -> assertThat(b.producerId()).isNotNegative());
    }

    @Test
    void aLostAnswerWithLeaderAcksIsStoredTwice() {
        // the counterpart of the test above, and the reason durable acks are idempotent: at-least-once
        client.createTopic(topic, 1, Map.of());
        try (TierlogProducer p = client.producer(ProducerConfig.builder().acks("leader").build())) {
            assertThat(p.send(topic, sample(0)).join()).isZero();
            proxy.answersToLose.set(1);
            List<CompletableFuture<Long>> fs = new ArrayList<>();
            for (int i = 1; i <= 50; i++) {
                fs.add(p.send(topic, sample(i)));
            }
            p.flush();
            assertThat(proxy.answersLost).hasValue(1);
            assertThat(fs).allSatisfy(f -> assertThat(f).isCompleted());
        }
        assertThat(client.describeTopic(topic).partition(0).highWatermark()).isGreaterThan(51);
        assertThat(SdkTesting.storedBatches(server.uri(), topic, 0, 0)).allSatisfy(
                b -> assertThat(b.producerId()).isEqualTo(RecordBatch.NO_PRODUCER_ID));
    }

    @Test
    void eachSeriesKeepsItsOrderThroughRetriesWithManyRequestsInFlight() {
        client.createTopic(topic, 4, Map.of());
        int series = 40;
        int perSeries = 250;
        ProducerConfig cfg = ProducerConfig.builder().acks("durable").batchBytes(2048).linger(Duration.ofMillis(1))
                .maxInFlightRequests(5).build();
        try (TierlogProducer p = client.producer(cfg)) {
            assertThat(p.send(topic, new MetricEvent("warm", Map.of(), 1L, 0)).join()).isNotNegative();
            proxy.answersToLose.set(3);
            for (int i = 0; i < perSeries; i++) {
                for (int s = 0; s < series; s++) {
                    p.send(topic, new MetricEvent("seq", Map.of("s", "s" + s), T0 + i, i));
                }
            }
            p.flush();
            assertThat(p.stats().recordsFailed()).isZero();
        }
        assertThat(proxy.answersLost).hasValue(3);
        Map<String, List<ConsumedRecord>> bySeries = readAll(client, topic, series * perSeries + 1).stream()
                .filter(r -> r.metric().name().equals("seq"))
                .collect(Collectors.groupingBy(r -> r.metric().tags().get("s"), TreeMap::new, Collectors.toList()));
        assertThat(bySeries).hasSize(series);
        bySeries.forEach((s, rs) -> {
            rs.sort(java.util.Comparator.comparingLong(ConsumedRecord::offset));
            assertThat(rs).extracting(r -> r.metric().value()).as("series %s in offset order", s)
                    .containsExactlyElementsOf(IntStream.range(0, perSeries).mapToObj(i -> (double) i).toList());
        });
    }

    @Test
    void aFullBufferBlocksSendThenFailsItAndFreesWhenAcknowledgementsReturn() throws Exception {
        client.createTopic(topic, 1, Map.of());
        Duration maxBlock = Duration.ofMillis(500);
        ProducerConfig cfg = ProducerConfig.builder().bufferMemoryBytes(32 * 1024).batchBytes(4096).maxRequestBytes(4096)
                .linger(Duration.ZERO).maxBlock(maxBlock).build();
        try (TierlogProducer p = client.producer(cfg)) {
            p.send(topic, sample(0)).join(); // metadata known: from now on only memory can block
            proxy.pause();
            List<CompletableFuture<Long>> accepted = new ArrayList<>();
            CompletableFuture<Long> rejected = null;
            long blockedNanos = 0;
            for (int i = 1; i < 5_000 && rejected == null; i++) {
                long t0 = System.nanoTime();
                CompletableFuture<Long> f = p.send(topic, sample(i));
                if (f.isCompletedExceptionally()) {
                    rejected = f;
                    blockedNanos = System.nanoTime() - t0;
                } else {
                    accepted.add(f);
                }
            }
            assertThat(rejected).as("a send fails once 32 KiB are held").isNotNull();
            assertThat(Duration.ofNanos(blockedNanos)).as("it blocked for maxBlock first").isGreaterThanOrEqualTo(maxBlock);
            assertThatThrownBy(rejected::join).hasCauseInstanceOf(TierlogClientException.BufferExhausted.class);
            assertThat(accepted).noneMatch(CompletableFuture::isDone);

            CompletableFuture<CompletableFuture<Long>> blocked = CompletableFuture.supplyAsync(() -> p.send(topic, sample(-1)));
            await().atMost(Duration.ofSeconds(5)).until(() -> p.metric("waiting-threads") == 1.0);
            proxy.resume();
            assertThat(blocked.get(30, TimeUnit.SECONDS).get(30, TimeUnit.SECONDS))
                    .as("the blocked send went through once memory came back").isPositive();
            p.flush();
            assertThat(accepted).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
            // kafka-clients hands a batch's memory back just after completing its records: wait for it, bounded
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(p.availableBufferBytes()).isEqualTo(32 * 1024));
        }
    }

    @Test
    void severalSendsWithinLingerTravelInOneRequest() {
        client.createTopic(topic, 1, Map.of());
        try (TierlogProducer p = client.producer(ProducerConfig.builder().linger(Duration.ofSeconds(30)).build())) {
            CompletableFuture<Long> first = p.send(topic, sample(-1));
            p.flush();
            assertThat(first.join()).isZero(); // the metadata requests are behind us
            int before = proxy.produceRequests.get();
            List<CompletableFuture<Long>> fs = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                fs.add(p.send(topic, sample(i)));
            }
            assertThat(fs).noneMatch(CompletableFuture::isDone); // lingering: nothing sent yet
            p.flush();
            assertThat(fs.stream().map(CompletableFuture::join).toList())
                    .containsExactlyElementsOf(LongStream.rangeClosed(1, 50).boxed().toList());
            assertThat(proxy.produceRequests.get() - before).isEqualTo(1);
            assertThat(p.stats().recordsAcknowledged()).isEqualTo(51);
        }
    }

    @Test
    void closeDeliversEverythingBuffered() {
        client.createTopic(topic, 4, Map.of());
        int n = 5000;
        TierlogProducer p = client.producer(ProducerConfig.builder().linger(Duration.ofSeconds(10)).batchBytes(8 * 1024).build());
        List<CompletableFuture<Long>> fs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            fs.add(p.send(topic, new MetricEvent("load.v", Map.of("series", "s" + (i % 37)), T0 + i, i)));
        }
        p.close();
        assertThat(fs).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
        assertThat(p.stats().recordsAcknowledged()).isEqualTo(n);
        List<ConsumedRecord> read = readAll(client, topic, n);
        assertThat(read.stream().map(r -> r.metric().value()).collect(Collectors.toSet())).hasSize(n);
        Map<String, List<ConsumedRecord>> bySeries = read.stream().collect(Collectors.groupingBy(r -> r.metric().tags().get("series")));
        bySeries.values().forEach(rs -> {
            assertThat(rs.stream().map(ConsumedRecord::partition).distinct()).hasSize(1);
            assertThat(rs.stream().map(r -> r.metric().value()).toList()).isSorted();
        });
        assertThatThrownBy(() -> p.send(topic, sample(1))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void bytesRecordsRoundTripExactlyWithHeaders() {
        client.createTopic(topic, 2, Map.of("schema", "bytes"));
        try (TierlogProducer p = client.producer(ProducerConfig.defaults())) {
            for (int i = 0; i < 20; i++) {
                p.send(topic, "user-" + i, "{\"n\":" + i + "}");
            }
            byte[] binary = {0, (byte) 0xff, 1, (byte) 0x80};
            List<Header> headers = List.of(new Header("trace", "abc".getBytes(StandardCharsets.UTF_8)), new Header("empty", null));
            assertThat(p.send(topic, 1, 1234L, "bin".getBytes(StandardCharsets.UTF_8), binary, headers).join()).isNotNegative();
        }
        List<ConsumedRecord> read = readAll(client, topic, 21);
        assertThat(read).filteredOn(r -> "bin".equals(r.keyString())).singleElement().satisfies(r -> {
            assertThat(r.value()).containsExactly(0, (byte) 0xff, 1, (byte) 0x80);
            assertThat(r.timestamp()).isEqualTo(1234L);
            assertThat(r.partition()).isEqualTo(1);
            assertThat(r.headers()).hasSize(2);
            assertThat(r.headers().get(0).key()).isEqualTo("trace");
            assertThat(r.headers().get(0).value()).isEqualTo("abc".getBytes(StandardCharsets.UTF_8));
            assertThat(r.headers().get(1).value()).isNull();
            assertThat(r.isMetric()).isFalse();
        });
        assertThat(read).filteredOn(r -> "user-7".equals(r.keyString())).singleElement()
                .satisfies(r -> assertThat(r.valueString()).isEqualTo("{\"n\":7}"));
    }

    @Test
    void refusalsAndMisuseAreTyped() {
        client.createTopic(topic, 1, Map.of());
        try (TierlogProducer p = client.producer(ProducerConfig.defaults())) {
            assertThat(p.send("missing-" + topic, sample(1))).failsWithin(Duration.ofSeconds(5)).withThrowableThat()
                    .withCauseInstanceOf(TierlogServerException.NotFound.class);
            assertThatThrownBy(() -> p.send(topic, 3, sample(1))).isInstanceOf(InvalidInputException.class);
            // a record that is not a metric sample, in a metrics topic: the server refuses its batch
            assertThat(p.send(topic, 0, 1L, "k".getBytes(StandardCharsets.UTF_8), new byte[3], null))
                    .failsWithin(Duration.ofSeconds(10)).withThrowableThat()
                    .withCauseInstanceOf(TierlogServerException.InvalidRequest.class);
            assertThat(p.stats().recordsFailed()).isEqualTo(2);
        }
        assertThat(client.describeTopic(topic).partition(0).highWatermark()).isZero();
        assertThatThrownBy(() -> ProducerConfig.builder().kafkaProperty("linger.ms", "7").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("linger");
        assertThatThrownBy(() -> ProducerConfig.builder().acks("durable").maxInFlightRequests(6).build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ProducerConfig.builder().requestTimeout(Duration.ofSeconds(30))
                .deliveryTimeout(Duration.ofSeconds(10)).build()).isInstanceOf(IllegalArgumentException.class);
        Map<String, Object> kafka = ProducerConfig.builder().acks("durable").kafkaProperty("client.id", "me").build()
                .toKafka("h:1");
        assertThat(new HashMap<>(kafka)).containsEntry("acks", "all").containsEntry("enable.idempotence", "true")
                .containsEntry("client.id", "me").containsEntry("bootstrap.servers", "h:1")
                .containsEntry("compression.type", "lz4");
    }
}
