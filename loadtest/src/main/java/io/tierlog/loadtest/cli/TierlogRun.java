package io.tierlog.loadtest.cli;

import io.tierlog.core.Compression;
import io.tierlog.core.MetricCodec;
import io.tierlog.core.MetricType;
import io.tierlog.core.SeriesKey;
import io.tierlog.sdk.ConsumedRecord;
import io.tierlog.sdk.ConsumerConfig;
import io.tierlog.sdk.ProducerConfig;
import io.tierlog.sdk.RecordCursor;
import io.tierlog.sdk.StartPosition;
import io.tierlog.sdk.TierlogClient;
import io.tierlog.sdk.TierlogConsumer;
import io.tierlog.sdk.TierlogProducer;
import io.tierlog.sdk.TierlogServerException;
import io.tierlog.sdk.TopicInfo;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Drives a running Tierlog through the SDK with the workload and measures it (see {@link LoadTest}): SDK producers and
 * the tailing consumer go over the server's Kafka listener (found through {@code GET /v1/cluster}), historical queries
 * over HTTP.
 */
final class TierlogRun extends Run {
    private final URI url;

    TierlogRun(URI url, Workload w, PrintWriter out, Path outDir) {
        super("tierlog", w, out, outDir);
        this.url = url;
    }

    private TierlogClient client;
    private final List<TierlogProducer> producers = new ArrayList<>();
    private int partitions;

    @Override
    void setUp() {
        client = TierlogClient.create(url);
        TopicInfo info;
        try {
            info = client.describeTopic(w.topic());
            out.printf("using existing topic %s (%d partitions)%n", w.topic(), info.partitions().size());
        } catch (TierlogServerException.NotFound e) {
            Map<String, Object> cfg = new LinkedHashMap<>();
            cfg.put("segmentBytes", w.segmentBytes());
            cfg.put("localRetentionBytes", w.localRetentionBytes());
            info = client.createTopic(w.topic(), w.partitions(), cfg);
            out.printf("created topic %s (%d partitions, segmentBytes %d, localRetentionBytes %d)%n", w.topic(),
                    w.partitions(), w.segmentBytes(), w.localRetentionBytes());
        }
        partitions = info.partitions().size();
        ProducerConfig pc = ProducerConfig.builder().linger(Duration.ofMillis(w.lingerMs())).batchBytes(w.batchBytes())
                .maxRequestBytes((int) Math.min(w.bufferBytes(), Math.max(w.batchBytes(), 1024 * 1024)))
                .bufferMemoryBytes(w.bufferBytes())
                .compression(Compression.parse(w.compression())).build();
        for (int i = 0; i < w.producers(); i++) {
            producers.add(client.producer(pc));
        }
    }

    @Override
    ProducerLoop producerLoop(int index) {
        TierlogProducer p = producers.get(index);
        byte[][] keys = seriesKeys(index);
        int[] parts = new int[keys.length];
        for (int s = 0; s < keys.length; s++) {
            parts[s] = SeriesKey.partitionFor(keys[s], partitions);
        }
        return (seq, intendedNanos) -> {
            int s = (int) (seq % keys.length);
            long micros = wallMicros(intendedNanos); // the intended send time: e2e latency is measured from it
            p.send(w.topic(), parts[s], micros / 1000, keys[s], MetricCodec.encodeValue(micros, MetricType.GAUGE), null)
                    .whenComplete((o, err) -> acked(err, intendedNanos, keys[s].length + MetricCodec.VALUE_SIZE));
        };
    }

    /** The series keys one producer cycles through: its share of the cardinality. */
    private byte[][] seriesKeys(int producer) {
        List<byte[]> keys = new ArrayList<>();
        for (int s = producer; s < w.series(); s += w.producers()) {
            keys.add(SeriesKey.of(w.seriesName(), Map.of("series", "s" + s)).toBytes());
        }
        if (keys.isEmpty()) {
            keys.add(SeriesKey.of(w.seriesName(), Map.of("series", "s" + producer)).toBytes());
        }
        return keys.toArray(byte[][]::new);
    }

    @Override
    Runnable consumerLoop() {
        TierlogConsumer c = client.consumer(ConsumerConfig.defaults().withMaxRecords(10_000)
                .withMaxWait(Duration.ofMillis(500)));
        c.subscribe(w.topic(), StartPosition.latest());
        return () -> {
            try (c) {
                while (!stopConsumer) {
                    for (ConsumedRecord r : c.poll(Duration.ofMillis(200))) {
                        consumed((long) r.metric().value());
                    }
                }
            }
        };
    }

    @Override
    void query() {
        TopicInfo info = client.describeTopic(w.topic());
        TopicInfo.PartitionInfo p = info.partitions().get(ThreadLocalRandom.current().nextInt(info.partitions().size()));
        long coldEnd = p.localLogStartOffset();
        boolean cold = coldEnd - p.logStartOffset() > 0;
        long lo = p.logStartOffset();
        long hi = cold ? coldEnd : p.highWatermark();
        if (hi - lo <= 0) {
            return;
        }
        long from = lo + ThreadLocalRandom.current().nextLong(Math.max(1, hi - lo - w.queryRecords()));
        long to = Math.min(hi, from + w.queryRecords());
        long t0 = System.nanoTime();
        RecordCursor cursor = client.query().offsetRange(w.topic(), p.partition(), from, to, w.queryRecords());
        long n = cursor.stream().count();
        long took = System.nanoTime() - t0;
        if (n > 0) {
            (cursor.coldRecords() > 0 ? coldQuery : hotQuery).recordNanos(took);
        }
    }

    @Override
    long failedSends() {
        return producers.stream().mapToLong(p -> p.stats().recordsFailed()).sum();
    }

    @Override
    void closeProducers() {
        for (TierlogProducer p : producers) {
            p.close();
        }
    }

    @Override
    String progressExtra() {
        long retries = producers.stream().mapToLong(p -> p.stats().retries()).sum();
        double perRequest = producers.stream().mapToDouble(p -> p.stats().recordsPerRequest()).filter(d -> !Double.isNaN(d))
                .average().orElse(0);
        return String.format(java.util.Locale.ROOT, "rec/req %,.0f retries %,d", perRequest, retries);
    }

    @Override
    void tearDown() {
        if (client != null) {
            client.close();
        }
    }

}
