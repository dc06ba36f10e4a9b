package io.tierlog.server;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real kafka-clients producer's batches, as Tierlog stores them, byte for byte: for each codec the test produces
 * core's golden records (core {@code GoldenFormatTest}) through the Kafka listener and compares the stored batch
 * with {@code core/src/test/resources/golden/kafka-producer-<codec>.bin}, which core decodes on every build. A
 * non-idempotent producer makes the bytes deterministic (no producer id); the broker sets the base offset (0 here)
 * and the partition leader epoch (0), both outside the CRC. To regenerate after a kafka-clients upgrade, run with
 * {@code -Dtierlog.golden.write=true}.
 */
class KafkaProducerGoldenTest {
    static final Path GOLDEN = Path.of("..", "core", "src", "test", "resources", "golden");

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"none", "gzip", "snappy", "lz4", "zstd"})
    void aRealProducersBatchIsStoredByteForByteAsTheGoldenFixture(String codec) throws Exception {
        byte[] stored;
        try (ServerHarness h = new ServerHarness(dir.resolve("data"))) {
            assertThat(h.post("/v1/topics", "{\"name\": \"golden\", \"config\": {\"schema\": \"bytes\"}}").status()).isEqualTo(201);
            Properties p = new Properties();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + h.server.kafkaPort());
            p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
            p.put(ProducerConfig.ACKS_CONFIG, "1");
            p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec);
            p.put(ProducerConfig.LINGER_MS_CONFIG, "60000"); // the three records go in one batch, sent by flush()
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
                List<Future<?>> acks = List.of(
                        producer.send(new ProducerRecord<>("golden", 0, 1_732_470_000_000L,
                                "cpu.usage{dc=eu-1,host=a}".getBytes(StandardCharsets.UTF_8),
                                new byte[]{1, 0x3f, (byte) 0xda, (byte) 0xe1, 0x47, (byte) 0xae, 0x14, 0x7a, (byte) 0xe1})),
                        producer.send(new ProducerRecord<>("golden", 0, 1_732_469_999_000L, null,
                                "late, no key".getBytes(StandardCharsets.UTF_8))),
                        producer.send(new ProducerRecord<>("golden", 0, 1_732_470_000_500L, "k".getBytes(StandardCharsets.UTF_8),
                                null, List.of(new RecordHeader("trace", new byte[]{1, 2, 3}), new RecordHeader("empty", null)))));
                producer.flush();
                for (Future<?> a : acks) {
                    a.get(10, TimeUnit.SECONDS);
                }
            }
            ServerHarness.Resp r = h.get("/v1/topics/golden/partitions/0/records?offset=0", HttpApi.BATCH_MEDIA_TYPE);
            assertThat(r.status()).isEqualTo(200);
            stored = r.raw().body();
        }
        Path fixture = GOLDEN.resolve("kafka-producer-" + codec + ".bin");
        if (Boolean.getBoolean("tierlog.golden.write")) {
            Files.write(fixture, stored);
        }
        assertThat(stored).isEqualTo(Files.readAllBytes(fixture));
    }
}
