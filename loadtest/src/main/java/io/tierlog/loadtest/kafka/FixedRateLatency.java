package io.tierlog.loadtest.kafka;

import io.tierlog.loadtest.cli.LoadTest;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * End-to-end latency at a fixed rate through any Kafka broker: a paced KafkaProducer and a tailing KafkaConsumer
 * in one JVM. Record {@code i} is due at {@code t0 + i / rate}; it carries that intended time, and its latency is
 * the consumer's receive time minus the intended time, so a producer or broker that stalls is charged for every
 * record it delayed (no coordinated omission). Records due in the measured window that were never sent (the
 * producer was still behind at the hard stop), whose send failed, or that never arrived are recorded at a ceiling
 * ({@value #CEILING_MS} ms) and counted separately. Prints a {@code RESULT} line and writes the histogram.
 */
@Command(name = "e2e-latency", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Produce at a fixed rate and measure receive time minus intended send time.")
public final class FixedRateLatency implements Callable<Integer> {
    static final long CEILING_MS = 60_000;
    private static final long CEILING_US = TimeUnit.MILLISECONDS.toMicros(CEILING_MS);

    @Option(names = "--bootstrap-server", required = true)
    String bootstrap;

    @Option(names = "--topic", required = true)
    String topic;

    @Option(names = "--rate", required = true, description = "records/s")
    long rate;

    @Option(names = "--acks", description = "1 or all (default: ${DEFAULT-VALUE})")
    String acks = "1";

    @Option(names = "--record-size", description = "bytes per record value (default: ${DEFAULT-VALUE})")
    int recordSize = 100;

    @Option(names = "--compression", description = "producer compression.type (default: ${DEFAULT-VALUE})")
    String compression = "lz4";

    @Option(names = "--duration", converter = LoadTest.DurationConverter.class, description = "measured window (default: 20s)")
    Duration duration = Duration.ofSeconds(20);

    @Option(names = "--warmup", converter = LoadTest.DurationConverter.class, description = "before the window (default: 5s)")
    Duration warmup = Duration.ofSeconds(5);

    @Option(names = "--drain", converter = LoadTest.DurationConverter.class,
            description = "how long after the window late records may still arrive or be sent (default: 10s)")
    Duration drain = Duration.ofSeconds(10);

    @Option(names = "--histogram", description = "write the measured histogram to this .hlog file")
    Path histogramFile;

    private final AtomicLong failed = new AtomicLong();
    private final Object progress = new Object();
    private volatile boolean stopConsumer;

    public static void main(String[] args) {
        System.exit(new CommandLine(new FixedRateLatency()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (rate <= 0 || recordSize < 16) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--rate must be > 0 and --record-size >= 16");
        }
        long interval = Math.max(1, 1_000_000_000L / rate);
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps());
        List<TopicPartition> tps = new ArrayList<>();
        for (PartitionInfo pi : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
            tps.add(new TopicPartition(topic, pi.partition()));
        }
        consumer.assign(tps);
        consumer.seekToEnd(tps);
        tps.forEach(consumer::position); // resolve "end" before the first record is sent

        long t0 = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
        long measureFrom = t0 + warmup.toNanos();
        long stopAt = measureFrom + duration.toNanos();
        // records [first, end) are due inside the measured window
        long first = ceilDiv(measureFrom - t0, interval);
        long end = ceilDiv(stopAt - t0, interval);
        Window window = new Window(first, end);
        Thread tail = new Thread(() -> tail(consumer, window), "e2e-consumer");
        tail.setDaemon(true);
        tail.start();

        long sentInWindow = 0;
        long unsent = 0;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps())) {
            producer.partitionsFor(topic); // metadata before the clock starts
            byte[][] payloads = randomPayloads(4096, recordSize);
            long hardStop = stopAt + drain.toNanos();
            for (long i = 0; i < end; i++) {
                long intended = t0 + i * interval;
                for (long now = System.nanoTime(); intended - now > 0; now = System.nanoTime()) {
                    LockSupport.parkNanos(intended - now);
                }
                if (System.nanoTime() - hardStop > 0) {
                    unsent = end - Math.max(i, first);
                    break;
                }
                byte[] value = payloads[(int) (i & 4095)].clone();
                ByteBuffer.wrap(value).putLong(intended).putLong(i);
                boolean measured = window.contains(i);
                if (measured) {
                    sentInWindow++;
                }
                producer.send(new ProducerRecord<>(topic, value), (md, err) -> {
                    if (err != null && measured) {
                        failed.incrementAndGet();
                    }
                });
            }
            producer.close(drain);
        }
        awaitDelivered(window, sentInWindow, System.nanoTime() + drain.toNanos());
        stopConsumer = true;
        tail.join(TimeUnit.SECONDS.toMillis(10));

        Histogram h;
        long received;
        synchronized (window) {
            h = window.latencies.copy();
            received = window.received;
        }
        long failedSends = failed.get();
        long lost = Math.max(0, sentInWindow - failedSends - received);
        if (unsent + failedSends + lost > 0) { // a zero count would still move the histogram's max
            h.recordValueWithCount(CEILING_US, unsent + failedSends + lost);
        }
        if (histogramFile != null) {
            try (PrintStream ps = new PrintStream(histogramFile.toFile())) {
                HistogramLogWriter w = new HistogramLogWriter(ps);
                w.outputLogFormatVersion();
                w.outputLegend();
                w.outputIntervalHistogram(h);
            }
        }
        System.out.printf(Locale.ROOT, "RESULT rate=%d sent=%d received=%d failed=%d unsent=%d lost=%d p50_us=%d p99_us=%d"
                        + " p999_us=%d max_us=%d%n", rate, sentInWindow, received, failedSends, unsent, lost,
                h.getValueAtPercentile(50), h.getValueAtPercentile(99), h.getValueAtPercentile(99.9), h.getMaxValue());
        return 0;
    }

    /** The measured records and what the consumer saw of them; guarded by its own monitor. */
    private static final class Window {
        final long first;
        final long end;
        final BitSet seen = new BitSet();
        final Histogram latencies = new Histogram(CEILING_US, 3);
        long received;

        Window(long first, long end) {
            this.first = first;
            this.end = end;
        }

        boolean contains(long i) {
            return i >= first && i < end;
        }
    }

    private void tail(KafkaConsumer<byte[], byte[]> consumer, Window window) {
        try (consumer) {
            while (!stopConsumer) {
                var records = consumer.poll(Duration.ofMillis(100));
                long now = System.nanoTime();
                synchronized (window) {
                    for (ConsumerRecord<byte[], byte[]> r : records) {
                        ByteBuffer v = ByteBuffer.wrap(r.value());
                        long intended = v.getLong();
                        long i = v.getLong();
                        if (window.contains(i) && !window.seen.get((int) (i - window.first))) {
                            window.seen.set((int) (i - window.first));
                            window.received++;
                            window.latencies.recordValue(Math.min(CEILING_US, Math.max(0, (now - intended) / 1000)));
                        }
                    }
                }
                synchronized (progress) {
                    progress.notifyAll();
                }
            }
        }
    }

    private void awaitDelivered(Window window, long sent, long deadline) throws InterruptedException {
        synchronized (progress) {
            while (true) {
                long done;
                synchronized (window) {
                    done = window.received;
                }
                long left = deadline - System.nanoTime();
                if (done + failed.get() >= sent || left <= 0) {
                    return;
                }
                TimeUnit.NANOSECONDS.timedWait(progress, left);
            }
        }
    }

    private Properties producerProps() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, acks);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, compression);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "5000");
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "e2e-producer");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return p;
    }

    private Properties consumerProps() {
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "e2e-consumer");
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return c;
    }

    /**
     * Random upper-case letters, as ProducerPerformance fills its payloads; a pool larger than a batch keeps lz4
     * from finding whole repeated records, without paying for fresh random bytes per record.
     */
    private static byte[][] randomPayloads(int count, int size) {
        SplittableRandom r = new SplittableRandom();
        byte[][] pool = new byte[count][size];
        for (byte[] b : pool) {
            for (int i = 0; i < size; i++) {
                b[i] = (byte) ('A' + r.nextInt(26));
            }
        }
        return pool;
    }

    private static long ceilDiv(long a, long b) {
        return a <= 0 ? 0 : (a + b - 1) / b;
    }
}
