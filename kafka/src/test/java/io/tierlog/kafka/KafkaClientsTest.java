package io.tierlog.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The real kafka-clients 4.1.2 producer and consumer against the listener. */
class KafkaClientsTest {

    private static final long BASE_TIME = 1_700_000_000_000L;

    private ListenerFixture fixture;

    @BeforeEach
    void start() throws Exception {
        fixture = new ListenerFixture();
    }

    @AfterEach
    void stop() throws Exception {
        fixture.close();
    }

    static Stream<Arguments> codecsAndAcks() {
        return Stream.of("none", "gzip", "snappy", "lz4", "zstd")
                .flatMap(codec -> Stream.of(Arguments.of(codec, "1"), Arguments.of(codec, "all")));
    }

    @ParameterizedTest(name = "compression={0}, acks={1}")
    @MethodSource("codecsAndAcks")
    void an_idempotent_producer_writes_dense_offsets_and_a_consumer_reads_every_record_back(String codec, String acks)
            throws Exception {
        fixture.backend.createTopic("events", 2);
        int count = 400;
        List<ProducerRecord<String, String>> sent = new ArrayList<>();
        List<Future<RecordMetadata>> acked = new ArrayList<>();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(fixture.producer(codec, acks))) {
            for (int i = 0; i < count; i++) {
                RecordHeaders headers = new RecordHeaders();
                headers.add("seq", Integer.toString(i).getBytes(StandardCharsets.UTF_8));
                ProducerRecord<String, String> r = new ProducerRecord<>("events", i % 2, BASE_TIME + i,
                        "key-" + i, "value " + i + " " + "x".repeat(i % 50), headers);
                sent.add(r);
                acked.add(producer.send(r));
            }
            producer.flush();
        }
        Map<Integer, List<Long>> offsets = new HashMap<>();
        for (Future<RecordMetadata> f : acked) {
            RecordMetadata m = f.get();
            offsets.computeIfAbsent(m.partition(), p -> new ArrayList<>()).add(m.offset());
        }
        for (int p = 0; p < 2; p++) {
            assertThat(offsets.get(p)).containsExactlyElementsOf(
                    IntStream.range(0, count / 2).mapToObj(Long::valueOf).toList());
        }
        KafkaBackend.Acks expectedAcks = acks.equals("all") ? KafkaBackend.Acks.DURABLE : KafkaBackend.Acks.LEADER;
        assertThat(fixture.backend.acks.get(expectedAcks).get()).isPositive();

        List<ConsumerRecord<String, String>> received = consumeAll(List.of(new TopicPartition("events", 0),
                new TopicPartition("events", 1)), count);
        Map<String, ConsumerRecord<String, String>> byKey = new HashMap<>();
        received.forEach(r -> byKey.put(r.key(), r));
        assertThat(byKey).hasSize(count);
        for (int i = 0; i < count; i++) {
            ProducerRecord<String, String> s = sent.get(i);
            ConsumerRecord<String, String> r = byKey.get(s.key());
            assertThat(r.value()).isEqualTo(s.value());
            assertThat(r.timestamp()).isEqualTo(s.timestamp());
            assertThat(r.partition()).isEqualTo(s.partition());
            assertThat(r.offset()).isEqualTo(acked.get(i).get().offset());
            assertThat(new String(r.headers().lastHeader("seq").value(), StandardCharsets.UTF_8)).isEqualTo(Integer.toString(i));
        }
        assertThat(fixture.backend.regionsHandedOut.get()).as("fetches served file regions").isPositive();
        assertThat(fixture.counter("tierlog.kafka.fetch.sendfile.bytes")).as("file regions went out with sendfile").isPositive();
    }

    private List<ConsumerRecord<String, String>> consumeAll(List<TopicPartition> partitions, int expected) {
        List<ConsumerRecord<String, String>> received = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(fixture.consumer())) {
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (received.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(received::add);
            }
        }
        assertThat(received).hasSize(expected);
        return received;
    }

    @Test
    void a_consumer_seeks_lists_offsets_and_finds_offsets_by_timestamp() throws Exception {
        fixture.backend.createTopic("timed", 1);
        TopicPartition tp = new TopicPartition("timed", 0);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(fixture.producer("lz4", "all"))) {
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>("timed", 0, 1000L * (i + 1), "k" + i, "v" + i)).get();
            }
        }
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(fixture.consumer())) {
            consumer.assign(List.of(tp));
            consumer.seekToEnd(List.of(tp));
            assertThat(consumer.position(tp)).isEqualTo(10);
            consumer.seekToBeginning(List.of(tp));
            assertThat(consumer.position(tp)).isZero();
            assertThat(consumer.beginningOffsets(List.of(tp))).containsEntry(tp, 0L);
            assertThat(consumer.endOffsets(List.of(tp))).containsEntry(tp, 10L);

            Map<TopicPartition, OffsetAndTimestamp> at = consumer.offsetsForTimes(Map.of(tp, 3500L));
            assertThat(at.get(tp).offset()).isEqualTo(3);
            assertThat(at.get(tp).timestamp()).isEqualTo(4000);
            assertThat(consumer.offsetsForTimes(Map.of(tp, 99_999L)).get(tp)).isNull();

            consumer.seek(tp, at.get(tp).offset());
            List<ConsumerRecord<String, String>> rest = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (rest.size() < 7 && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(rest::add);
            }
            assertThat(rest).extracting(ConsumerRecord::value).containsExactly("v3", "v4", "v5", "v6", "v7", "v8", "v9");
            assertThat(consumer.position(tp)).isEqualTo(10);
        }
    }

    @Test
    void a_long_polling_consumer_is_woken_by_a_record_produced_afterwards() throws Exception {
        fixture.backend.createTopic("quiet", 1);
        TopicPartition tp = new TopicPartition("quiet", 0);
        Properties props = fixture.consumer();
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "20000");
        props.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, "40000");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props);
             KafkaProducer<String, String> producer = new KafkaProducer<>(fixture.producer("none", "1"))) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, 0);
            // produce only once a fetch is parked in awaitData
            CompletableFuture<RecordMetadata> late = CompletableFuture.supplyAsync(() -> {
                await().atMost(Duration.ofSeconds(20)).until(() -> fixture.backend.waitingFetches() > 0);
                try {
                    return producer.send(new ProducerRecord<>("quiet", 0, "late", "hello")).get();
                } catch (InterruptedException | ExecutionException e) {
                    throw new IllegalStateException(e);
                }
            });
            long start = System.nanoTime();
            List<ConsumerRecord<String, String>> got = new ArrayList<>();
            while (got.isEmpty() && System.nanoTime() - start < Duration.ofSeconds(30).toNanos()) {
                consumer.poll(Duration.ofSeconds(30)).forEach(got::add);
            }
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            assertThat(late.get().offset()).isZero();
            assertThat(got).extracting(ConsumerRecord::value).containsExactly("hello");
            assertThat(fixture.backend.dataWakeups.get()).as("the fetch was woken by data").isPositive();
            assertThat(elapsed).as("well before the 20 s fetch.max.wait.ms").isLessThan(Duration.ofSeconds(15));
            // the consumer's next fetch is parked for 20 s; do not let close() wait for it
            consumer.close(CloseOptions.timeout(Duration.ofMillis(200)));
        }
    }

    @Test
    void producing_to_an_unknown_topic_fails_with_the_clients_unknown_topic_error() {
        Properties props = fixture.producer("none", "all");
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "1500");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("nowhere", "k", "v")).get())
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(TimeoutException.class)
                    .hasMessageContaining("nowhere not present in metadata");
        }
    }

    @Test
    void a_record_the_backend_refuses_reaches_the_producer_as_invalid_record_with_its_message() {
        fixture.backend.createTopic("strict", 1, Map.of(MemoryBackend.REJECT_VALUE_CONFIG, "forbidden"), false);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(fixture.producer("none", "all"))) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("strict", "k", "forbidden")).get())
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(InvalidRecordException.class)
                    .hasMessageContaining("value 'forbidden' is not allowed here");
        }
        assertThat(fixture.counter("tierlog.kafka.errors", "code", "INVALID_RECORD")).isPositive();
    }

    @Test
    void a_transactional_producer_fails_at_once_saying_transactions_are_not_supported() {
        Properties props = fixture.producer("none", "all");
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "tx-1");
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "20000");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            long start = System.nanoTime();
            assertThatThrownBy(producer::initTransactions)
                    .isExactlyInstanceOf(KafkaException.class)
                    .hasMessageContaining("does not support Kafka transactions")
                    .hasMessageContaining("tx-1");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("no retry loop until max.block.ms")
                    .isLessThan(Duration.ofSeconds(10));
        }
    }
}
