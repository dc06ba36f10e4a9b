package io.tierlog.server;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An idempotent Kafka producer keeps producing while the server (a child JVM) is SIGKILLed and restarted on the
 * same ports several times. Afterwards every acknowledged record is at its acknowledged offset and no record is
 * stored twice: batches the producer retried after a kill (they were appended, their acknowledgement was lost)
 * were recognised from the idempotent-producer state the server rebuilt from its log.
 */
class KafkaCrashTest {
    private static final int PARTITIONS = 2;
    private static final int ROUNDS = 3;

    @TempDir
    Path dir;

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void sigkillsUnderIdempotentKafkaProduceLoseNoAcknowledgedRecordAndStoreNoDuplicate() throws Exception {
        Path data = dir.resolve("data");
        int kafkaPort = freePort();
        String[] args = {"--kafka-port", Integer.toString(kafkaPort), "--fsync-interval-ms", "0"};
        Map<String, Long> acked = new ConcurrentHashMap<>(); // value -> "partition:offset" packed as p << 40 | offset
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicInteger sent = new AtomicInteger();

        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + kafkaPort);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "2");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "120000");
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        p.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, "50");
        p.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "200");
        // a small buffer bounds what is in flight at a kill (send() blocks when it is full): kills land mid-flight,
        // and the final check reads tens of thousands of records, not millions
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Integer.toString(256 * 1024));
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(16 * 1024));
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "120000");

        ChildServer server = new ChildServer(data, args);
        try {
            assertThat(post(server.base + "/v1/topics", "{\"name\": \"orders\", \"partitions\": " + PARTITIONS
                    + ", \"config\": {\"schema\": \"bytes\", \"segmentBytes\": 65536}}").statusCode()).isEqualTo(201);
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
                AtomicReference<Boolean> stop = new AtomicReference<>(false);
                Thread sender = Thread.ofPlatform().name("crash-test-sender").start(() -> {
                    try {
                        for (int i = 0; !stop.get(); i++) {
                            String value = "order-" + i;
                            producer.send(new ProducerRecord<>("orders", i % PARTITIONS, null, value), (m, e) -> {
                                if (e != null) {
                                    failures.add(e);
                                } else {
                                    acked.put(value, ((long) m.partition() << 40) | m.offset());
                                }
                            });
                            sent.incrementAndGet();
                        }
                    } catch (RuntimeException e) {
                        failures.add(e);
                    }
                });
                for (int round = 0; round < ROUNDS; round++) {
                    int before = acked.size();
                    await().atMost(Duration.ofSeconds(60)).until(() -> acked.size() >= before + 3000 || !failures.isEmpty());
                    assertThat(failures).as("send failures before kill %d", round).isEmpty();
                    server.kill();
                    server = new ChildServer(data, args);
                }
                int settled = acked.size();
                await().atMost(Duration.ofSeconds(60)).until(() -> acked.size() >= settled + 1000 || !failures.isEmpty());
                stop.set(true);
                sender.join(TimeUnit.SECONDS.toMillis(30));
                producer.flush();
            }
            assertThat(failures).as("send failures").isEmpty();
            assertThat(acked).hasSize(sent.get());

            // every record once, each acknowledged one at its acknowledged offset
            Map<String, Long> stored = new HashMap<>();
            List<String> duplicates = new ArrayList<>();
            Properties c = new Properties();
            c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, server.kafka);
            c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer())) {
                for (int partition = 0; partition < PARTITIONS; partition++) {
                    TopicPartition tp = new TopicPartition("orders", partition);
                    consumer.assign(List.of(tp));
                    consumer.seekToBeginning(List.of(tp));
                    long end = consumer.endOffsets(List.of(tp)).get(tp);
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    while (consumer.position(tp) < end && System.nanoTime() < deadline) {
                        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500)).records(tp)) {
                            if (stored.put(r.value(), ((long) partition << 40) | r.offset()) != null) {
                                duplicates.add(r.value());
                            }
                        }
                    }
                    assertThat(consumer.position(tp)).as("read %s to its end", tp).isEqualTo(end);
                }
            }
            assertThat(duplicates).as("records stored twice").isEmpty();
            for (Map.Entry<String, Long> a : acked.entrySet()) {
                assertThat(stored.get(a.getKey())).as("acknowledged %s", a.getKey()).isEqualTo(a.getValue());
            }
            assertThat(stored).hasSize(acked.size());
        } finally {
            server.close();
        }
    }

    private static HttpResponse<String> post(String url, String body) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
