package io.tierlog.server;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The README's "Any Kafka client" section, executed: its kcat lines (src/test/resources/kafka-quickstart.sh) and its
 * Java example (the same code as {@link #javaExample}, which the test also finds in the README) against a fresh
 * server.
 */
class KafkaReadmeTest {
    @TempDir
    Path dir;

    @Test
    void theReadmeKcatLinesWork() throws Exception {
        assumeTrue(Tools.onPath("bash") && Tools.onPath("curl") && Tools.onPath("kcat"), "bash, curl and kcat are needed (CI installs kcat)");
        Path script = Path.of(KafkaReadmeTest.class.getResource("/kafka-quickstart.sh").toURI());
        try (ServerHarness h = new ServerHarness(dir.resolve("data"))) {
            Process p = new ProcessBuilder("bash", script.toString(), h.base, "127.0.0.1:" + h.server.kafkaPort())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(out).isZero();
            assertThat(out).contains("kafka quickstart OK");
        }
        String readme = Files.readString(readmePath());
        for (String line : Files.readAllLines(script)) {
            if (line.startsWith("printf") || line.startsWith("curl -sS -X POST")) {
                assertThat(readme).as("README shows the tested line").contains(line.replace("\"$BASE\"", "http://127.0.0.1:7070")
                        .replace("\"$BOOTSTRAP\"", "127.0.0.1:9092"));
            }
        }
    }

    @Test
    void theReadmeJavaExampleWorksAndIsTheOneInTheReadme() throws Exception {
        try (ServerHarness h = new ServerHarness(dir.resolve("data"))) {
            assertThat(h.post("/v1/topics", "{\"name\": \"orders\", \"partitions\": 2, \"config\": {\"schema\": \"bytes\"}}")
                    .status()).isEqualTo(201);
            List<String> got = javaExample("127.0.0.1:" + h.server.kafkaPort());
            assertThat(got).containsExactly("order-1 placed");
        }
        String readme = Files.readString(readmePath());
        assertThat(readme).contains("""
                Map<String, Object> config = Map.of("bootstrap.servers", "127.0.0.1:9092", "enable.idempotence", true);
                try (var producer = new KafkaProducer<>(config, new StringSerializer(), new StringSerializer())) {
                    producer.send(new ProducerRecord<>("orders", "order-1", "placed")).get();
                }""");
        assertThat(readme).contains("""
                try (var consumer = new KafkaConsumer<>(Map.<String, Object>of("bootstrap.servers", "127.0.0.1:9092"),
                        new StringDeserializer(), new StringDeserializer())) {
                    var partitions = List.of(new TopicPartition("orders", 0), new TopicPartition("orders", 1));
                    consumer.assign(partitions);
                    consumer.seekToBeginning(partitions);
                    for (var r : consumer.poll(Duration.ofSeconds(5))) {
                        System.out.println(r.key() + " " + r.value());
                    }
                }""");
    }

    /** The README's example (with the bootstrap address a parameter and the output collected). */
    private static List<String> javaExample(String bootstrap) throws Exception {
        List<String> printed = new ArrayList<>();
        Map<String, Object> config = Map.of("bootstrap.servers", bootstrap, "enable.idempotence", true);
        try (var producer = new KafkaProducer<>(config, new org.apache.kafka.common.serialization.StringSerializer(),
                new org.apache.kafka.common.serialization.StringSerializer())) {
            producer.send(new ProducerRecord<>("orders", "order-1", "placed")).get();
        }
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of("bootstrap.servers", bootstrap),
                new org.apache.kafka.common.serialization.StringDeserializer(),
                new org.apache.kafka.common.serialization.StringDeserializer())) {
            var partitions = List.of(new TopicPartition("orders", 0), new TopicPartition("orders", 1));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (printed.isEmpty() && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofSeconds(5))) {
                    printed.add(r.key() + " " + r.value());
                }
            }
        }
        return printed;
    }

    private static Path readmePath() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("README.md"))) {
            p = p.getParent();
        }
        assertThat(p).as("README.md above %s", Path.of("").toAbsolutePath()).isNotNull();
        return p.resolve("README.md");
    }
}
