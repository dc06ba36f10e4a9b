package io.tierlog.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.tierlog.core.BatchBuilder;
import io.tierlog.core.Compression;
import io.tierlog.core.RecordBatch;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A topic's compression.type through both doors: batches the server builds from JSON are stored compressed (read
 * back from the segment files), clients' batches are stored as sent under {@code producer}, and those in another
 * codec than an explicit one re-encoded in it with the same records.
 */
class TopicCompressionTest {
    @TempDir
    Path dir;
    private ServerHarness s;

    @BeforeEach
    void start() {
        s = new ServerHarness(dir);
    }

    @AfterEach
    void stop() {
        s.close();
    }

    /** Calls {@code each} with every batch stored in the topic's local segment files, in order, CRC-checked. */
    private void forEachStoredBatch(String topic, java.util.function.Consumer<RecordBatch> each) throws IOException {
        try (Stream<Path> files = Files.walk(dir.resolve("topics").resolve(topic))) {
            for (Path log : files.filter(f -> f.toString().endsWith(".log")).sorted().toList()) {
                for (RecordBatch b : RecordBatch.iterate(ByteBuffer.wrap(Files.readAllBytes(log)))) {
                    assertThat(b.isValidHeaderAndCrc()).isTrue();
                    each.accept(b);
                }
            }
        }
    }

    private List<Compression> storedCodecs(String topic) throws IOException {
        List<Compression> out = new ArrayList<>();
        forEachStoredBatch(topic, b -> out.add(b.compression()));
        return out;
    }

    private List<io.tierlog.core.Record> storedRecords(String topic) throws IOException {
        List<io.tierlog.core.Record> out = new ArrayList<>();
        forEachStoredBatch(topic, b -> out.addAll(b.records()));
        return out;
    }

    private static String metricsBody(int n) {
        StringBuilder sb = new StringBuilder("{\"records\":[");
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ",").append("{\"name\":\"http.requests\",\"tags\":{\"host\":\"web-1\",\"route\":\"/api\"},")
                    .append("\"value\":").append(1000 + i).append(",\"timestamp\":").append(1732470000000L + i * 10_000L)
                    .append(",\"partition\":0}");
        }
        return sb.append("]}").toString();
    }

    @Test
    void jsonBatchesOfAProducerTopicAreStoredZstdCompressedAndReadBackUnchanged() throws IOException {
        JsonNode created = s.createTopic("cpu", 1, null);
        assertThat(created.get("config").get("compressionType").asText()).isEqualTo("producer");
        assertThat(s.post("/v1/topics/cpu/records", metricsBody(200)).status()).isEqualTo(200);

        assertThat(storedCodecs("cpu")).containsExactly(Compression.ZSTD);
        long logBytes = Files.walk(dir.resolve("topics").resolve("cpu")).filter(f -> f.toString().endsWith(".log"))
                .mapToLong(f -> f.toFile().length()).sum();
        assertThat(logBytes).as("200 samples, compressed: well under the ~60 bytes each they take uncompressed")
                .isLessThan(200 * 20);
        JsonNode recs = s.get("/v1/topics/cpu/partitions/0/records?offset=0&maxRecords=1000").json().get("records");
        assertThat(recs).hasSize(200);
        for (int i = 0; i < 200; i++) {
            assertThat(recs.get(i).get("offset").asLong()).isEqualTo(i);
            assertThat(recs.get(i).get("value").asDouble()).isEqualTo(1000 + i);
            assertThat(recs.get(i).get("timestamp").asLong()).isEqualTo(1732470000000L + i * 10_000L);
            assertThat(recs.get(i).get("tags").get("route").asText()).isEqualTo("/api");
        }
    }

    @Test
    void anExplicitCodecIsUsedForJsonBatchesAndShownInTheDescription() throws IOException {
        JsonNode created = s.createTopic("logs", 1, "{\"schema\":\"bytes\",\"compressionType\":\"gzip\"}");
        assertThat(created.get("config").get("compressionType").asText()).isEqualTo("gzip");
        assertThat(s.post("/v1/topics/logs/records", "{\"records\":[{\"key\":\"k\",\"value\":\"hello\",\"partition\":0}]}")
                .status()).isEqualTo(200);
        assertThat(storedCodecs("logs")).containsExactly(Compression.GZIP);
        assertThat(s.get("/v1/topics/logs").json().get("config").get("compressionType").asText()).isEqualTo("gzip");
        JsonNode rec = s.get("/v1/topics/logs/partitions/0/records?offset=0").json().get("records").get(0);
        assertThat(rec.get("value").asText()).isEqualTo("hello");
    }

    @Test
    void anUnknownCodecIsRefusedWithTheChoices() {
        ServerHarness.Resp r = s.post("/v1/topics", "{\"name\":\"bad\",\"partitions\":1,\"config\":{\"compressionType\":\"brotli\"}}");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().get("message").asText()).contains("compressionType").contains("'zstd'").contains("brotli");
        assertThat(s.get("/v1/topics/bad").status()).isEqualTo(404);
    }

    @Test
    void aBinaryBatchInAnotherCodecIsStoredInTheTopicsCodecWithTheSameRecords() throws IOException {
        s.createTopic("strict", 1, "{\"schema\":\"bytes\",\"compressionType\":\"zstd\"}");
        List<io.tierlog.core.Header> headers = List.of(new io.tierlog.core.Header("h", "x".getBytes()));
        byte[] lz4 = bytes(new BatchBuilder(Compression.LZ4).add(1732470000000L, "k1".getBytes(), "v1".getBytes(), headers)
                .add(1732469999000L, null, "v2".getBytes()).add(1732470005000L, "k3".getBytes(), null).build());
        assertThat(s.post("/v1/topics/strict/records?partition=0", "application/vnd.tierlog.batch", lz4).status())
                .isEqualTo(200);
        byte[] zstd = bytes(new BatchBuilder(Compression.ZSTD).add(1732470006000L, "k4".getBytes(), "v4".getBytes()).build());
        assertThat(s.post("/v1/topics/strict/records?partition=0", "application/vnd.tierlog.batch", zstd).status())
                .isEqualTo(200);

        assertThat(storedCodecs("strict")).containsExactly(Compression.ZSTD, Compression.ZSTD);
        List<io.tierlog.core.Record> stored = storedRecords("strict");
        assertThat(stored).extracting(io.tierlog.core.Record::offset).containsExactly(0L, 1L, 2L, 3L);
        assertThat(stored).extracting(io.tierlog.core.Record::timestamp)
                .containsExactly(1732470000000L, 1732469999000L, 1732470005000L, 1732470006000L);
        assertThat(new String(stored.get(0).key())).isEqualTo("k1");
        assertThat(new String(stored.get(0).headers().get(0).value())).isEqualTo("x");
        assertThat(stored.get(1).key()).isNull();
        assertThat(stored.get(2).value()).isNull();
        assertThat(new String(stored.get(3).value())).isEqualTo("v4");
    }

    @Test
    void kafkaClientsSeeAndSetCompressionTypeAndTheirBatchesAreStoredInTheTopicsCodec() throws Exception {
        String bootstrap = "127.0.0.1:" + s.server.kafkaPort();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.createTopics(List.of(new NewTopic("k-zstd", 1, (short) 1).configs(Map.of("compression.type", "zstd")),
                    new NewTopic("k-any", 1, (short) 1))).all().get(10, TimeUnit.SECONDS);
            assertThat(describe(admin, "k-zstd").get("compression.type").value()).isEqualTo("zstd");
            assertThat(describe(admin, "k-zstd").get("compression.type").isDefault()).isFalse();
            assertThat(describe(admin, "k-any").get("compression.type").value()).isEqualTo("producer");
            assertThat(s.get("/v1/topics/k-zstd").json().get("config").get("compressionType").asText()).isEqualTo("zstd");
            assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("k-bad", 1, (short) 1)
                    .configs(Map.of("compression.type", "brotli")))).all().get(10, TimeUnit.SECONDS))
                    .hasMessageContaining("compression.type");
        }

        // an idempotent lz4 producer: re-encoded batches keep its sequence numbers, so nothing is doubled
        try (KafkaProducer<String, String> lz4 = producer(bootstrap, "lz4", true)) {
            for (int i = 0; i < 500; i++) {
                lz4.send(new ProducerRecord<>("k-zstd", 0, "k" + i, "value-" + i));
            }
            lz4.send(new ProducerRecord<>("k-any", 0, "k", "v")).get(20, TimeUnit.SECONDS);
            lz4.flush();
        }
        assertThat(storedCodecs("k-zstd")).isNotEmpty().containsOnly(Compression.ZSTD);
        assertThat(storedCodecs("k-any")).as("producer: stored as sent").containsExactly(Compression.LZ4);
        List<io.tierlog.core.Record> stored = storedRecords("k-zstd");
        assertThat(stored).hasSize(500);
        for (int i = 0; i < 500; i++) {
            assertThat(stored.get(i).offset()).isEqualTo(i);
            assertThat(new String(stored.get(i).key())).isEqualTo("k" + i);
            assertThat(new String(stored.get(i).value())).isEqualTo("value-" + i);
        }
        List<Integer> sequences = new ArrayList<>();
        List<Long> producerIds = new ArrayList<>();
        forEachStoredBatch("k-zstd", b -> {
            sequences.add(b.baseSequence());
            producerIds.add(b.producerId());
        });
        assertThat(sequences).first().isEqualTo(0);
        assertThat(producerIds).doesNotContain(RecordBatch.NO_PRODUCER_ID).containsOnly(producerIds.get(0));
    }

    private static Map<String, org.apache.kafka.clients.admin.ConfigEntry> describe(Admin admin, String topic) throws Exception {
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config c = admin.describeConfigs(List.of(r)).all().get(10, TimeUnit.SECONDS).get(r);
        Map<String, org.apache.kafka.clients.admin.ConfigEntry> out = new java.util.HashMap<>();
        c.entries().forEach(e -> out.put(e.name(), e));
        return out;
    }

    private static KafkaProducer<String, String> producer(String bootstrap, String compression, boolean idempotent) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, compression);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, Boolean.toString(idempotent));
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "20000");
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    }

    private static byte[] bytes(RecordBatch b) {
        ByteBuffer buf = b.buffer().duplicate();
        byte[] out = new byte[buf.remaining()];
        buf.get(out);
        return out;
    }
}
