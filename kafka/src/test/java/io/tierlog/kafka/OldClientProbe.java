package io.tierlog.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Future;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Produces and consumes against a listener with whatever kafka-clients is on its classpath. Run in a child JVM
 * with an older client by {@link OldKafkaClientTest}; uses only API common to kafka-clients 3.x and 4.x.
 * Prints {@code produced=N consumed=N version=V} and exits 0 when everything came back in order, else exits 1.
 */
public final class OldClientProbe {

    private OldClientProbe() {
    }

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        String topic = args[1];
        int count = Integer.parseInt(args[2]);
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("key.serializer", StringSerializer.class.getName());
        p.put("value.serializer", StringSerializer.class.getName());
        p.put("enable.idempotence", "true");
        p.put("acks", "all");
        p.put("compression.type", "lz4");
        p.put("linger.ms", "5");
        p.put("max.block.ms", "10000");
        p.put("delivery.timeout.ms", "20000");
        p.put("request.timeout.ms", "15000");
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
            for (int i = 0; i < count; i++) {
                acks.add(producer.send(new ProducerRecord<>(topic, 0, "k" + i, "v" + i)));
            }
            producer.flush();
        }
        for (int i = 0; i < count; i++) {
            long offset = acks.get(i).get().offset();
            if (offset != i) {
                System.out.println("record " + i + " acknowledged at offset " + offset);
                System.exit(1);
            }
        }
        Properties c = new Properties();
        c.put("bootstrap.servers", bootstrap);
        c.put("key.deserializer", StringDeserializer.class.getName());
        c.put("value.deserializer", StringDeserializer.class.getName());
        c.put("enable.auto.commit", "false");
        c.put("auto.offset.reset", "earliest");
        List<String> values = new ArrayList<>();
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c)) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (values.size() < count && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    values.add(r.value());
                }
            }
        }
        for (int i = 0; i < count; i++) {
            if (i >= values.size() || !values.get(i).equals("v" + i)) {
                System.out.println("consumed " + values.size() + " records, wrong at " + i);
                System.exit(1);
            }
        }
        System.out.println("produced=" + count + " consumed=" + values.size() + " version="
                + org.apache.kafka.common.utils.AppInfoParser.getVersion());
        System.exit(0);
    }
}
