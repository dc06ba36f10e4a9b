package io.tierlog.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.tierlog.core.MetricCodec;
import io.tierlog.core.MetricType;
import io.tierlog.core.SeriesKey;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The real kafka-clients producer, consumer and admin client against a whole Tierlog server: both doors write
 * and read one log, metrics topics enforce the metric convention on Kafka produce, and a consumer starting at
 * offset 0 reads through the cold tier into the hot one.
 */
class KafkaDoorTest {
    @TempDir
    Path dir;
    private ServerHarness s;
    private String bootstrap;

    @BeforeEach
    void start() {
        s = new ServerHarness(dir);
        bootstrap = "127.0.0.1:" + s.server.kafkaPort();
    }

    @AfterEach
    void stop() {
        s.close();
    }

    private KafkaProducer<String, String> producer(String compression, boolean idempotent) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, compression);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, Boolean.toString(idempotent));
        p.put(ProducerConfig.ACKS_CONFIG, idempotent ? "all" : "1");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "20000");
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    }

    private <K, V> KafkaConsumer<K, V> consumer(org.apache.kafka.common.serialization.Deserializer<K> k,
                                                org.apache.kafka.common.serialization.Deserializer<V> v) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "500");
        return new KafkaConsumer<>(p, k, v);
    }

    private Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
    }

    /** Every record of a partition from offset 0 up to {@code end}, by assign/seek/poll. */
    private <K, V> List<ConsumerRecord<K, V>> readAll(KafkaConsumer<K, V> c, String topic, int partition, long end) {
        TopicPartition tp = new TopicPartition(topic, partition);
        c.assign(List.of(tp));
        c.seek(tp, 0);
        List<ConsumerRecord<K, V>> out = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (out.size() < end && System.nanoTime() < deadline) {
            c.poll(Duration.ofMillis(200)).records(tp).forEach(out::add);
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "gzip", "snappy", "lz4", "zstd"})
    void anIdempotentKafkaProducerWritesWhatHttpAndAKafkaConsumerReadBack(String compression) throws Exception {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic("events", 2, (short) 1))).all().get(10, TimeUnit.SECONDS);
        }
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        try (KafkaProducer<String, String> p = producer(compression, true)) {
            for (int i = 0; i < 300; i++) {
                sent.add(p.send(new ProducerRecord<>("events", i % 2, "k" + i, "value-" + i)));
            }
        }
        for (int i = 0; i < sent.size(); i++) {
            RecordMetadata m = sent.get(i).get(10, TimeUnit.SECONDS);
            assertThat(m.partition()).isEqualTo(i % 2);
            assertThat(m.offset()).isEqualTo(i / 2);
        }
        try (KafkaConsumer<String, String> c = consumer(new StringDeserializer(), new StringDeserializer())) {
            for (int partition = 0; partition < 2; partition++) {
                List<ConsumerRecord<String, String>> got = readAll(c, "events", partition, 150);
                assertThat(got).hasSize(150);
                for (int j = 0; j < 150; j++) {
                    assertThat(got.get(j).offset()).isEqualTo(j);
                    assertThat(got.get(j).value()).isEqualTo("value-" + (2 * j + partition));
                }
            }
        }
        // the same records through the HTTP door
        JsonNode http = s.get("/v1/topics/events/partitions/1/records?offset=0&maxRecords=1000").json();
        assertThat(http.get("records")).hasSize(150);
        assertThat(http.get("records").get(7).get("offset").asLong()).isEqualTo(7);
        assertThat(http.get("records").get(7).get("key").asText()).isEqualTo("k15");
        assertThat(http.get("records").get(7).get("valueBase64").asText())
                .isEqualTo(java.util.Base64.getEncoder().encodeToString("value-15".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void metricsWrittenOverHttpAreReadByAKafkaConsumer() {
        assertThat(s.post("/v1/topics", "{\"name\": \"cpu\", \"partitions\": 1}").status()).isEqualTo(201);
        assertThat(s.post("/v1/topics/cpu/records", "{\"records\": [{\"name\": \"cpu.usage\", \"tags\": {\"host\": \"a\"},"
                + " \"value\": 0.5, \"timestamp\": 1732470000000}]}").status()).isEqualTo(200);
        try (KafkaConsumer<byte[], byte[]> c = consumer(new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<ConsumerRecord<byte[], byte[]>> got = readAll(c, "cpu", 0, 1);
            assertThat(got).hasSize(1);
            assertThat(new String(got.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("cpu.usage{host=a}");
            assertThat(got.get(0).value()).isEqualTo(MetricCodec.encodeValue(0.5, MetricType.UNTYPED));
            assertThat(got.get(0).timestamp()).isEqualTo(1732470000000L);
        }
    }

    @Test
    void aMetricsTopicRefusesAKafkaRecordThatIsNotAMetricAndTakesOneThatIs() throws Exception {
        assertThat(s.post("/v1/topics", "{\"name\": \"mem\", \"partitions\": 1}").status()).isEqualTo(201);
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "10000");
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            Future<RecordMetadata> bad = producer.send(new ProducerRecord<>("mem", "not a series".getBytes(StandardCharsets.UTF_8),
                    "x".getBytes(StandardCharsets.UTF_8)));
            assertThatThrownBy(() -> bad.get(15, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(InvalidRecordException.class).hasMessageContaining("not a metric sample");
            byte[] key = SeriesKey.of("mem.used", Map.of("host", "b")).toBytes();
            RecordMetadata ok = producer.send(new ProducerRecord<>("mem", key, MetricCodec.encodeValue(42, MetricType.GAUGE)))
                    .get(15, TimeUnit.SECONDS);
            assertThat(ok.offset()).isZero();
        }
        JsonNode rec = s.get("/v1/topics/mem/partitions/0/records?offset=0").json().get("records").get(0);
        assertThat(rec.get("name").asText()).isEqualTo("mem.used");
        assertThat(rec.get("value").asDouble()).isEqualTo(42.0);
    }

    @Test
    void aConsumerFromOffsetZeroReadsThroughTheColdTierAndFindsOffsetsByTime() throws Exception {
        assertThat(s.post("/v1/topics", "{\"name\": \"tiered\", \"partitions\": 1, \"config\": {\"schema\": \"bytes\","
                + " \"segmentBytes\": 4096, \"localRetentionMs\": 0}}").status()).isEqualTo(201);
        long t0 = System.currentTimeMillis() - 3_600_000; // within the 7-day retention, or retention deletes it all
        try (KafkaProducer<String, String> p = producer("lz4", true)) {
            for (int i = 0; i < 2000; i++) {
                p.send(new ProducerRecord<>("tiered", 0, t0 + i, "k" + i, "payload-" + i + "-" + "x".repeat(40)));
            }
            p.flush();
        }
        await().atMost(Duration.ofSeconds(30)).until(() ->
                s.get("/v1/topics/tiered").json().get("partitions").get(0).get("localLogStartOffset").asLong() > 500);
        try (KafkaConsumer<String, String> c = consumer(new StringDeserializer(), new StringDeserializer())) {
            List<ConsumerRecord<String, String>> got = readAll(c, "tiered", 0, 2000);
            assertThat(got).hasSize(2000);
            for (int i = 0; i < got.size(); i++) {
                assertThat(got.get(i).offset()).isEqualTo(i);
                assertThat(got.get(i).timestamp()).isEqualTo(t0 + i);
            }
            TopicPartition tp = new TopicPartition("tiered", 0);
            Map<TopicPartition, OffsetAndTimestamp> byTime = c.offsetsForTimes(Map.of(tp, t0 + 123));
            assertThat(byTime.get(tp).offset()).isEqualTo(123);
            assertThat(c.beginningOffsets(Set.of(tp)).get(tp)).isZero();
            assertThat(c.endOffsets(Set.of(tp)).get(tp)).isEqualTo(2000);
        }
    }

    /**
     * Kafka's DeleteRecords on a tiered topic: the log start moves at once (both doors, across a restart), and the
     * segments below it go from both tiers at the next housekeeping; a compacted topic refuses it.
     */
    @Test
    void deleteRecordsMovesTheLogStartAndRetentionDropsTheSegmentsBelowItInBothTiers() throws Exception {
        assertThat(s.post("/v1/topics", "{\"name\": \"purged\", \"partitions\": 1, \"config\": {\"schema\": \"bytes\","
                + " \"segmentBytes\": 4096, \"localRetentionMs\": 60000}}").status()).isEqualTo(201);
        try (KafkaProducer<String, String> p = producer("none", true)) {
            // 50 records (~4.5 KiB) at a time, each group flushed alone: the partition's writer never merges groups
            // into one append, so every group closes a 4 KiB segment and the closed ones reach past offset 600
            for (int i = 0; i < 1000; i++) {
                p.send(new ProducerRecord<>("purged", 0, "k" + i, "payload-" + i + "-" + "x".repeat(40)));
                if (i % 50 == 49) {
                    p.flush();
                }
            }
        }
        // every closed segment offloaded, and still local (local retention: one minute)
        await().atMost(Duration.ofSeconds(30)).until(() -> partition("purged").get("remoteEndOffset").asLong() > 600);
        JsonNode before = partition("purged");
        assertThat(before.get("localLogStartOffset").asLong()).isZero();
        long coldSegments = before.get("coldSegments").asLong();
        TopicPartition tp = new TopicPartition("purged", 0);
        try (Admin admin = admin()) {
            assertThat(admin.deleteRecords(Map.of(tp, org.apache.kafka.clients.admin.RecordsToDelete.beforeOffset(500)))
                    .lowWatermarks().get(tp).get(10, TimeUnit.SECONDS).lowWatermark()).isEqualTo(500);
        }
        assertThat(partition("purged").get("logStartOffset").asLong()).isEqualTo(500);
        assertThat(s.get("/v1/topics/purged/partitions/0/records?offset=499").status()).as("HTTP reads below it").isEqualTo(416);
        assertThat(s.get("/v1/topics/purged/partitions/0/records?offset=500&maxRecords=1").json().get("records").get(0)
                .get("key").asText()).isEqualTo("k500");
        // whole segments below 500 go from both tiers; the one holding 500 stays
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JsonNode now = partition("purged");
            assertThat(now.get("coldSegments").asLong()).isLessThan(coldSegments);
            assertThat(now.get("hotSegments").asLong()).isLessThan(before.get("hotSegments").asLong());
        });
        try (KafkaConsumer<String, String> c = consumer(new StringDeserializer(), new StringDeserializer())) {
            assertThat(c.beginningOffsets(Set.of(tp)).get(tp)).isEqualTo(500);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            List<ConsumerRecord<String, String>> got = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (got.size() < 500 && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(got::add);
            }
            assertThat(got).extracting(ConsumerRecord::offset).containsExactlyElementsOf(
                    java.util.stream.LongStream.range(500, 1000).boxed().toList());
        }

        int kafkaPort = s.server.kafkaPort();
        s.close();
        s = new ServerHarness(dir, Map.of("kafka.port", Integer.toString(kafkaPort)));
        assertThat(partition("purged").get("logStartOffset").asLong()).as("after a restart").isEqualTo(500);

        assertThat(s.post("/v1/topics", "{\"name\": \"kept\", \"partitions\": 1, \"config\": {\"schema\": \"bytes\","
                + " \"cleanupPolicy\": \"compact\"}}").status()).isEqualTo(201);
        try (Admin admin = admin()) {
            TopicPartition kept = new TopicPartition("kept", 0);
            assertThatThrownBy(() -> admin.deleteRecords(Map.of(kept, org.apache.kafka.clients.admin.RecordsToDelete.beforeOffset(0)))
                    .all().get(10, TimeUnit.SECONDS))
                    .as("DeleteRecords answers carry no message: the client's own text")
                    .hasCauseInstanceOf(org.apache.kafka.common.errors.PolicyViolationException.class);
        }
    }

    private JsonNode partition(String topic) {
        return s.get("/v1/topics/" + topic).json().get("partitions").get(0);
    }

    @Test
    void theAdminClientSeesHttpTopicsWithKafkaConfigNames() throws Exception {
        assertThat(s.post("/v1/topics", "{\"name\": \"conf\", \"partitions\": 3, \"config\": {\"retentionMs\": 3600000}}")
                .status()).isEqualTo(201);
        try (Admin admin = admin()) {
            assertThat(admin.listTopics().names().get(10, TimeUnit.SECONDS)).contains("conf");
            assertThat(admin.describeTopics(List.of("conf")).allTopicNames().get(10, TimeUnit.SECONDS).get("conf")
                    .partitions()).hasSize(3);
            ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, "conf");
            Config config = admin.describeConfigs(List.of(r)).all().get(10, TimeUnit.SECONDS).get(r);
            assertThat(config.get("retention.ms").value()).isEqualTo("3600000");
            assertThat(config.get("tierlog.schema").value()).isEqualTo("metrics");
            admin.deleteTopics(List.of("conf")).all().get(10, TimeUnit.SECONDS);
        }
        assertThat(s.get("/v1/topics/conf").status()).isEqualTo(404);
    }
}
