package io.tierlog.loadtest.cli;

import io.tierlog.core.MetricCodec;
import io.tierlog.core.MetricType;
import io.tierlog.core.SeriesKey;
import io.tierlog.loadtest.kafka.KafkaBroker;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The side-by-side peer: an Apache Kafka broker in its own JVM ({@link KafkaBroker}: KRaft, one combined
 * broker/controller node on loopback, a temporary log directory, the same 1 GiB heap as the documented Tierlog
 * server) and the same workload driven through kafka-clients from this JVM with equivalent settings: the same keys
 * (series keys) and 9-byte values, the same partition per series, the same batch size, linger, compression and
 * buffer memory, {@code acks=1}.
 */
final class KafkaPeer {
    private static final List<String> BROKER_JVM = List.of("-Xms1g", "-Xmx1g");

    private KafkaPeer() {
    }

    static RunResult run(Workload w, PrintWriter out, Path outDir) throws Exception {
        Path dir = Files.createTempDirectory("loadtest-kafka-");
        try (KafkaBroker broker = KafkaBroker.start(BROKER_JVM, dir)) {
            String bootstrap = broker.bootstrap();
            out.printf("[kafka] broker started in its own JVM (pid %d) on %s (KRaft, log dir %s)%n", broker.pid(), bootstrap, dir);
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
                admin.createTopics(List.of(new NewTopic(w.topic(), w.partitions(), (short) 1))).all().get(60, TimeUnit.SECONDS);
            }
            return new KafkaRun(bootstrap, w, out, outDir).execute();
        } finally {
            deleteTree(dir);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** The workload through kafka-clients. */
    private static final class KafkaRun extends Run {
        private final String bootstrap;
        private final List<KafkaProducer<byte[], byte[]>> producers = new ArrayList<>();
        private KafkaConsumer<byte[], byte[]> queryConsumer;

        KafkaRun(String bootstrap, Workload w, PrintWriter out, Path outDir) {
            super("kafka", w, out, outDir);
            this.bootstrap = bootstrap;
        }

        @Override
        void setUp() {
            Properties p = new Properties();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            p.put(ProducerConfig.ACKS_CONFIG, "1");
            p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
            p.put(ProducerConfig.LINGER_MS_CONFIG, Long.toString(w.lingerMs()));
            p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(w.batchBytes()));
            p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(w.bufferBytes()));
            p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, w.compression().toLowerCase(java.util.Locale.ROOT));
            p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
            p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
            for (int i = 0; i < w.producers(); i++) {
                producers.add(new KafkaProducer<>(p));
            }
            queryConsumer = new KafkaConsumer<>(consumerProps());
        }

        private Properties consumerProps() {
            Properties c = new Properties();
            c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "10000");
            c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "500");
            c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
            c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
            return c;
        }

        @Override
        ProducerLoop producerLoop(int index) {
            KafkaProducer<byte[], byte[]> p = producers.get(index);
            List<byte[]> keyList = new ArrayList<>();
            for (int s = index; s < w.series(); s += w.producers()) {
                keyList.add(SeriesKey.of(w.seriesName(), Map.of("series", "s" + s)).toBytes());
            }
            if (keyList.isEmpty()) {
                keyList.add(SeriesKey.of(w.seriesName(), Map.of("series", "s" + index)).toBytes());
            }
            byte[][] keys = keyList.toArray(byte[][]::new);
            return (seq, intendedNanos) -> {
                int s = (int) (seq % keys.length);
                long micros = wallMicros(intendedNanos); // the intended send time: e2e latency is measured from it
                byte[] key = keys[s];
                p.send(new ProducerRecord<>(w.topic(), SeriesKey.partitionFor(key, w.partitions()), micros / 1000, key,
                                MetricCodec.encodeValue(micros, MetricType.GAUGE)),
                        (md, err) -> acked(err, intendedNanos, key.length + MetricCodec.VALUE_SIZE));
            };
        }

        @Override
        Runnable consumerLoop() {
            KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(consumerProps());
            List<TopicPartition> tps = new ArrayList<>();
            for (int i = 0; i < w.partitions(); i++) {
                tps.add(new TopicPartition(w.topic(), i));
            }
            c.assign(tps);
            c.seekToEnd(tps);
            tps.forEach(c::position); // resolve "end" now, before producers start
            return () -> {
                try (c) {
                    while (!stopConsumer) {
                        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                            consumed((long) ByteBuffer.wrap(r.value(), 1, 8).getDouble());
                        }
                    }
                }
            };
        }

        @Override
        void query() {
            TopicPartition tp = new TopicPartition(w.topic(), ThreadLocalRandom.current().nextInt(w.partitions()));
            long start = queryConsumer.beginningOffsets(List.of(tp)).get(tp);
            long end = queryConsumer.endOffsets(List.of(tp)).get(tp);
            if (end - start <= 0) {
                return;
            }
            long from = start + ThreadLocalRandom.current().nextLong(Math.max(1, end - start - w.queryRecords()));
            long to = Math.min(end, from + w.queryRecords());
            long t0 = System.nanoTime();
            queryConsumer.assign(List.of(tp));
            queryConsumer.seek(tp, from);
            long read = 0;
            long deadline = t0 + TimeUnit.SECONDS.toNanos(10);
            while (read < to - from && System.nanoTime() - deadline < 0) {
                for (ConsumerRecord<byte[], byte[]> r : queryConsumer.poll(Duration.ofMillis(100))) {
                    if (r.offset() < to) {
                        read++;
                    }
                }
            }
            hotQuery.recordNanos(System.nanoTime() - t0);
        }

        @Override
        long failedSends() {
            return 0;
        }

        @Override
        void closeProducers() {
            for (KafkaProducer<byte[], byte[]> p : producers) {
                p.close(Duration.ofSeconds(30));
            }
        }

        @Override
        void tearDown() {
            for (KafkaProducer<byte[], byte[]> p : producers) {
                p.close(Duration.ZERO);
            }
            if (queryConsumer != null) {
                queryConsumer.close();
            }
        }
    }
}
