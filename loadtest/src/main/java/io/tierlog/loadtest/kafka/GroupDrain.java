package io.tierlog.loadtest.kafka;

import java.text.SimpleDateFormat;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A consumer group draining a topic: N KafkaConsumers (threads of one JVM) subscribe to the topic in one group from
 * the earliest offset, with automatic commits as an ordinary application has them, until every partition has been
 * read to the end. Unlike ConsumerPerformance (one member) this exercises the group coordinator: the join of several
 * members, the assignment and the commits, and it measures how fast a group of consumers empties a backlog. The drain
 * is complete when the highest offset seen in each partition reaches the topic's end (records read twice after a
 * rebalance are counted as {@code redelivered}, not as progress). Prints ConsumerPerformance's output line, with the
 * time until every member had its first assignment as {@code rebalance.time.ms} and the whole drain (group forming
 * included: members fetch while others join) as {@code fetch.time.ms}. Runs in its own JVM.
 */
@Command(name = "group-drain", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Consume a topic to its end with a group of consumers (ConsumerPerformance's output).")
public final class GroupDrain implements Callable<Integer> {
    @Option(names = "--bootstrap-server", required = true, description = "broker address")
    String bootstrap;

    @Option(names = "--topic", required = true)
    String topic;

    @Option(names = "--messages", required = true, description = "records in the topic (it starts at offset 0)")
    long messages;

    @Option(names = "--consumers", description = "members of the group (default: ${DEFAULT-VALUE})")
    int consumers = 3;

    @Option(names = "--group", description = "group id (default: ${DEFAULT-VALUE})")
    String group = "group-drain";

    @Option(names = "--fetch-size", description = "max.partition.fetch.bytes (default: ${DEFAULT-VALUE})")
    int fetchSize = 1024 * 1024;

    @Option(names = "--timeout", description = "most ms between two returned records (default: ${DEFAULT-VALUE})")
    long timeoutMs = 10_000;

    private final ConcurrentHashMap<Integer, Long> nextOffset = new ConcurrentHashMap<>();
    private final AtomicLong progress = new AtomicLong();
    private final AtomicLong polled = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong lastRecordMs = new AtomicLong();
    private volatile boolean stop;

    public static void main(String[] args) {
        System.exit(new CommandLine(new GroupDrain()).execute(args));
    }

    @Override
    public Integer call() throws InterruptedException {
        long start = System.currentTimeMillis();
        lastRecordMs.set(start);
        CountDownLatch everyMemberAssigned = new CountDownLatch(consumers);
        List<Future<?>> members = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(consumers);
        for (int i = 0; i < consumers; i++) {
            int id = i;
            members.add(pool.submit(() -> {
                consume(id, everyMemberAssigned);
                return null;
            }));
        }
        everyMemberAssigned.await(2, TimeUnit.MINUTES);
        long allAssigned = everyMemberAssigned.getCount() == 0 ? System.currentTimeMillis() : start;
        String failure = null;
        for (Future<?> m : members) {
            try {
                m.get();
            } catch (ExecutionException e) {
                stop = true;
                failure = failure == null ? String.valueOf(e.getCause()) : failure;
                e.getCause().printStackTrace(System.err);
            }
        }
        pool.shutdown();
        long end = System.currentTimeMillis();
        long read = progress.get();
        if (read < messages) {
            System.out.printf("WARNING: Exiting before consuming the expected number of messages: %s.%n",
                    failure != null ? failure : "timeout (" + timeoutMs + " ms) exceeded");
        }
        // members start fetching as soon as they have partitions, before the last one joined: the drain's time is
        // the whole run, joins and rebalances included (rebalance.time.ms says how long the group took to form)
        double seconds = Math.max(1, end - start) / 1000.0;
        double fetchSeconds = seconds;
        double mb = bytes.get() / (1024.0 * 1024.0);
        SimpleDateFormat date = new SimpleDateFormat("yyyy-MM-dd HH:mm:ss:SSS", Locale.ROOT);
        System.out.printf(Locale.ROOT, "members %d, polled %d, redelivered %d%n", consumers, polled.get(),
                polled.get() - read);
        System.out.println("start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, "
                + "rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec");
        System.out.printf(Locale.ROOT, "%s, %s, %.4f, %.4f, %d, %.4f, %d, %d, %.4f, %.4f%n", date.format(new Date(start)),
                date.format(new Date(end)), mb, mb / seconds, read, read / seconds, allAssigned - start, end - start,
                mb / fetchSeconds, read / fetchSeconds);
        return read >= messages && failure == null ? 0 : 1;
    }

    private void consume(int id, CountDownLatch everyMemberAssigned) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, group + "-" + id);
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(fetchSize));
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            boolean[] counted = {false};
            consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    if (!counted[0]) {
                        counted[0] = true;
                        everyMemberAssigned.countDown();
                    }
                }
            });
            while (!stop && progress.get() < messages
                    && System.currentTimeMillis() - lastRecordMs.get() <= timeoutMs) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
                if (records.isEmpty()) {
                    continue;
                }
                lastRecordMs.set(System.currentTimeMillis());
                polled.addAndGet(records.count());
                long size = 0;
                for (TopicPartition tp : records.partitions()) {
                    List<ConsumerRecord<byte[], byte[]>> list = records.records(tp);
                    for (ConsumerRecord<byte[], byte[]> r : list) {
                        size += (r.key() == null ? 0 : r.key().length) + (r.value() == null ? 0 : r.value().length);
                    }
                    long next = list.getLast().offset() + 1;
                    long[] gained = {0};
                    nextOffset.compute(tp.partition(), (partition, before) -> {
                        long b = before == null ? 0 : before;
                        gained[0] = Math.max(0, next - b);
                        return Math.max(b, next);
                    });
                    progress.addAndGet(gained[0]);
                }
                bytes.addAndGet(size);
            }
        }
    }
}
