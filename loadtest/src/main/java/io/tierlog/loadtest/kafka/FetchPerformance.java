package io.tierlog.loadtest.kafka;

import java.text.SimpleDateFormat;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Kafka's ConsumerPerformance without a consumer group: the same KafkaConsumer, the same settings
 * ({@code max.partition.fetch.bytes} 1 MiB, {@code receive.buffer.bytes} 2 MiB, {@code check.crcs=false}, from the
 * earliest offset), the same loop ({@code poll(100 ms)} until N records or a timeout between records) and the same
 * output line, but partitions are assigned rather than subscribed. ConsumerPerformance always subscribes, so its
 * figure includes a consumer group (join, assignment, offset commits); this one measures fetching alone, and works
 * against a broker without a group coordinator. Runs in its own JVM.
 */
@Command(name = "fetch-perf", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Consume N records from the earliest offset with assigned partitions (ConsumerPerformance's output).")
public final class FetchPerformance implements Callable<Integer> {
    @Option(names = "--bootstrap-server", required = true, description = "broker address")
    String bootstrap;

    @Option(names = "--topic", required = true)
    String topic;

    @Option(names = "--messages", required = true, description = "records to consume")
    long messages;

    @Option(names = "--fetch-size", description = "max.partition.fetch.bytes (default: ${DEFAULT-VALUE})")
    int fetchSize = 1024 * 1024;

    @Option(names = "--socket-buffer-size", description = "receive.buffer.bytes (default: ${DEFAULT-VALUE})")
    int socketBufferSize = 2 * 1024 * 1024;

    @Option(names = "--timeout", description = "most ms between two returned records (default: ${DEFAULT-VALUE})")
    long timeoutMs = 10_000;

    public static void main(String[] args) {
        System.exit(new CommandLine(new FetchPerformance()).execute(args));
    }

    @Override
    public Integer call() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.RECEIVE_BUFFER_CONFIG, Integer.toString(socketBufferSize));
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(fetchSize));
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.CHECK_CRCS_CONFIG, "false");
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "perf-consumer-client");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        long start = System.currentTimeMillis();
        long fetchStart;
        long read = 0;
        long bytes = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            List<TopicPartition> tps = new ArrayList<>();
            for (PartitionInfo pi : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
                tps.add(new TopicPartition(topic, pi.partition()));
            }
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            fetchStart = System.currentTimeMillis(); // where ConsumerPerformance's fetch time starts: partitions assigned
            long lastRecord = fetchStart;
            while (read < messages && System.currentTimeMillis() - lastRecord <= timeoutMs) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
                if (!records.isEmpty()) {
                    lastRecord = System.currentTimeMillis();
                }
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    read++;
                    bytes += (r.key() == null ? 0 : r.key().length) + (r.value() == null ? 0 : r.value().length);
                }
            }
            if (read < messages) {
                System.out.printf("WARNING: Exiting before consuming the expected number of messages: timeout (%d ms)"
                        + " exceeded.%n", timeoutMs);
            }
        }
        long end = System.currentTimeMillis();
        double seconds = Math.max(1, end - start) / 1000.0;
        double fetchSeconds = Math.max(1, end - fetchStart) / 1000.0;
        double mb = bytes / (1024.0 * 1024.0);
        SimpleDateFormat date = new SimpleDateFormat("yyyy-MM-dd HH:mm:ss:SSS", Locale.ROOT);
        System.out.println("start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, "
                + "rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec");
        System.out.printf(Locale.ROOT, "%s, %s, %.4f, %.4f, %d, %.4f, %d, %d, %.4f, %.4f%n", date.format(new Date(start)),
                date.format(new Date(end)), mb, mb / seconds, read, read / seconds, fetchStart - start, end - fetchStart,
                mb / fetchSeconds, read / fetchSeconds);
        return read >= messages ? 0 : 1;
    }
}
