package io.tierlog.server;

import io.tierlog.core.MetricCodec;
import io.tierlog.core.MetricType;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.WindowStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Kafka Streams 4.1, unchanged, against a whole Tierlog server: one-minute rollups (min, max, sum, count per series)
 * of a {@code metrics} topic written over HTTP, through the repartition topic, windowed store changelog
 * ({@code compact,delete}) and suppression buffer changelog ({@code compact}) that Streams creates itself. The app is
 * stopped half-way and restarted with an empty state directory: it must restore its state from the changelogs, resume
 * from its committed offsets (nothing lost, nothing emitted twice) and take its stream time from the commit metadata.
 */
class KafkaStreamsTest {
    private static final String APP = "rollups";
    private static final String INPUT = "metrics";
    private static final String OUTPUT = "metrics-1m";
    private static final int PARTITIONS = 2;
    private static final List<String> SERIES = seriesKeptInOrderByTheRepartition();
    /** The app's late filter drops a sample this far behind its task's stream time (restored from commit metadata). */
    private static final Duration ALLOWED_LATENESS = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    private ServerHarness s;
    private KafkaStreams streams;
    /** Minute 0 of the test's samples: half an hour ago, on a minute boundary (well inside every retention). */
    private final long t0 = (System.currentTimeMillis() / 60_000 - 30) * 60_000;

    @AfterEach
    void stop() {
        if (streams != null) {
            streams.close(Duration.ofSeconds(20));
        }
        if (s != null) {
            s.close();
        }
    }

    @Test
    void oneMinuteRollupsWithRepartitionAndCompactedChangelogsSurviveARestartOfTheApp() throws Exception {
        s = new ServerHarness(dir.resolve("data"), Map.of("kafka.group.initial.rebalance.delay.ms", "0",
                "kafka.group.min.session.timeout.ms", "1000"));
        s.createTopic(INPUT, PARTITIONS, null); // a metrics topic: every record a sample, partitioned by Tierlog's series hash
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(OUTPUT, 1, (short) -1))).all().get(20, TimeUnit.SECONDS);
        }

        // minutes 0-2 of every series, and one sample of minute 3, which closes them
        List<Sample> first = new ArrayList<>();
        for (int minute = 0; minute < 3; minute++) {
            for (int second : new int[] {5, 25, 45}) {
                for (int i = 0; i < SERIES.size(); i++) {
                    first.add(new Sample(i, at(minute, second), 10 * minute + second / 10 + i));
                }
            }
        }
        for (int i = 0; i < SERIES.size(); i++) {
            first.add(new Sample(i, at(3, 10), 100 + i));
        }
        produceOverHttp(first);

        streams = start(dir.resolve("state-1"));
        List<KeyValue<String, String>> expectedFirst = rollups(first, 0, 3);
        await().atMost(Duration.ofSeconds(60)).until(() -> readOutput().size() >= expectedFirst.size());
        assertThat(readOutput()).as("minutes 0-2, final results only").containsExactlyElementsOf(expectedFirst);
        // Streams purges what it has consumed from its repartition topic (DeleteRecords), both partitions
        try (Admin admin = admin()) {
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                var earliest = admin.listOffsets(Map.of(
                        new TopicPartition(APP + "-by-series-repartition", 0), org.apache.kafka.clients.admin.OffsetSpec.earliest(),
                        new TopicPartition(APP + "-by-series-repartition", 1), org.apache.kafka.clients.admin.OffsetSpec.earliest()))
                        .all().get(20, TimeUnit.SECONDS);
                return earliest.values().stream().allMatch(o -> o.offset() > 0);
            });
        }
        streams.close(Duration.ofSeconds(20));
        streams = null;

        try (Admin admin = admin()) {
            Set<String> internal = admin.listTopics().names().get(20, TimeUnit.SECONDS).stream()
                    .filter(t -> t.startsWith(APP + "-")).collect(Collectors.toCollection(TreeSet::new));
            assertThat(internal).containsExactly("rollups-by-series-repartition", "rollups-final-store-changelog",
                    "rollups-rollup-store-changelog");
            assertThat(config(admin, "rollups-by-series-repartition"))
                    .containsEntry("cleanup.policy", "delete").containsEntry("retention.ms", "-1")
                    .containsEntry("segment.bytes", "52428800");
            assertThat(config(admin, "rollups-rollup-store-changelog"))
                    .containsEntry("cleanup.policy", "compact,delete").containsEntry("remote.storage.enable", "false");
            assertThat(config(admin, "rollups-final-store-changelog"))
                    .containsEntry("cleanup.policy", "compact").containsEntry("remote.storage.enable", "false");
            Map<TopicPartition, OffsetAndMetadata> committed =
                    admin.listConsumerGroupOffsets(APP).partitionsToOffsetAndMetadata().get(20, TimeUnit.SECONDS);
            assertThat(committed.keySet()).contains(new TopicPartition(INPUT, 0), new TopicPartition(INPUT, 1));
            assertThat(committed.values()).as("Streams keeps each partition's stream time in the commit metadata")
                    .allSatisfy(o -> assertThat(o.metadata()).isNotEmpty());
        }

        // while the app is down: a sample of minute 1 that is late by two minutes (it must be dropped by the late
        // filter, which knows the stream time only from the commit metadata), then the rest of minute 3 and minute 4
        List<Sample> second = new ArrayList<>();
        second.add(new Sample(0, at(1, 30), 999));
        int[][] times = {{3, 30}, {3, 50}, {4, 20}, {5, 0}};
        for (int t = 0; t < times.length; t++) {
            for (int i = 0; i < SERIES.size(); i++) {
                second.add(new Sample(i, at(times[t][0], times[t][1]), 100 * (t + 2) + i));
            }
        }
        produceOverHttp(second);

        // a new instance with an empty state directory: the windowed store (minute 3's first sample) and the
        // suppression buffer come back from their changelogs
        streams = start(dir.resolve("state-2"));
        List<Sample> all = new ArrayList<>(first);
        all.addAll(second.subList(1, second.size()));
        List<KeyValue<String, String>> expected = rollups(all, 0, 5);
        await().atMost(Duration.ofSeconds(60)).until(() -> readOutput().size() >= expected.size());
        streams.close(Duration.ofSeconds(20));
        streams = null;
        assertThat(readOutput()).as("every closed minute exactly once, minute 3 from both runs, the late sample dropped")
                .containsExactlyElementsOf(expected);
    }

    /** exactly_once_v2 needs Kafka transactions, which Tierlog does not serve: the app stops at once, saying so. */
    @Test
    void exactlyOnceProcessingStopsTheAppWithTheReason() {
        s = new ServerHarness(dir.resolve("data"), Map.of("kafka.group.initial.rebalance.delay.ms", "0"));
        s.createTopic(INPUT, 1, null);
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(INPUT, Consumed.with(Serdes.String(), SAMPLE_VALUE)).to("nowhere", Produced.with(Serdes.String(), SAMPLE_VALUE));
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "eos");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        p.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("state-eos").toString());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        streams = new KafkaStreams(builder.build(), p);
        streams.setUncaughtExceptionHandler(e -> {
            failure.set(e);
            return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        streams.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> streams.state() == KafkaStreams.State.ERROR);
        assertThat(failure.get()).isNotNull();
        assertThat(org.apache.kafka.common.utils.Utils.stackTrace(failure.get())).contains("Tierlog does not support Kafka transactions");
    }

    // ---------------------------------------------------------------- the application

    private KafkaStreams start(Path stateDir) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(INPUT, Consumed.with(Serdes.String(), SAMPLE_VALUE))
                .processValues(LateFilter::new, Named.as("drop-late"))
                // HTTP producers partition by Tierlog's series hash, not by Kafka's murmur2, which Streams assumes for
                // keyed state: group through a repartition topic
                .groupBy((series, value) -> series, Grouped.with("by-series", Serdes.String(), SAMPLE_VALUE))
                .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofMinutes(1), Duration.ZERO))
                .aggregate(Rollup::new, (series, value, rollup) -> rollup.add(value), Named.as("rollup"),
                        Materialized.<String, Rollup, WindowStore<Bytes, byte[]>>as("rollup-store").withValueSerde(ROLLUP))
                .suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded()).withName("final"))
                .toStream()
                .map((window, rollup) -> KeyValue.pair(window.key() + "@" + Instant.ofEpochMilli(window.window().start()),
                        rollup.toString()))
                .to(OUTPUT, Produced.with(Serdes.String(), Serdes.String()));
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, APP);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "200");
        p.put(StreamsConfig.REPARTITION_PURGE_INTERVAL_MS_CONFIG, "200");
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        // Streams' consumers do not leave the group on close: the restarted instance waits out the old member's session
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), "2000");
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), "500");
        KafkaStreams app = new KafkaStreams(builder.build(), p);
        app.start();
        return app;
    }

    /** Drops a sample more than {@link #ALLOWED_LATENESS} behind its task's stream time. */
    private static final class LateFilter implements FixedKeyProcessor<String, Double, Double> {
        private FixedKeyProcessorContext<String, Double> context;

        @Override
        public void init(FixedKeyProcessorContext<String, Double> context) {
            this.context = context;
        }

        @Override
        public void process(FixedKeyRecord<String, Double> record) {
            if (record.timestamp() >= context.currentStreamTimeMs() - ALLOWED_LATENESS.toMillis()) {
                context.forward(record);
            }
        }
    }

    /** min, max, sum and count of one series in one window. */
    static final class Rollup {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        double sum;
        long count;

        Rollup add(double v) {
            min = Math.min(min, v);
            max = Math.max(max, v);
            sum += v;
            count++;
            return this;
        }

        @Override
        public String toString() {
            return "min=" + min + " max=" + max + " sum=" + sum + " count=" + count;
        }
    }

    /** A metric record's value: type byte and float64 (docs/format.md), the sample alone to Streams. */
    private static final Serde<Double> SAMPLE_VALUE = Serdes.serdeFrom(
            (Serializer<Double>) (topic, v) -> MetricCodec.encodeValue(v, MetricType.GAUGE),
            (Deserializer<Double>) (topic, bytes) -> ByteBuffer.wrap(bytes).getDouble(1));

    private static final Serde<Rollup> ROLLUP = Serdes.serdeFrom(
            (Serializer<Rollup>) (topic, r) -> ByteBuffer.allocate(32).putDouble(r.min).putDouble(r.max)
                    .putDouble(r.sum).putLong(r.count).array(),
            (Deserializer<Rollup>) (topic, bytes) -> {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                Rollup r = new Rollup();
                r.min = b.getDouble();
                r.max = b.getDouble();
                r.sum = b.getDouble();
                r.count = b.getLong();
                return r;
            });

    // ---------------------------------------------------------------- helpers

    private record Sample(int series, long timestamp, double value) {
    }

    /**
     * Three series, each in the same partition of the input topic (Tierlog's FNV-1a series hash) as of the repartition
     * topic (Kafka's murmur2): then every repartition partition is written by one source task, in time order, and no
     * sample reaches its window after the window closed (grace 0). With other keys the two source tasks' records
     * interleave in the repartition topic as they happen to be processed, and an application needs a grace period
     * that covers that skew, against Kafka as against Tierlog.
     */
    private static List<String> seriesKeptInOrderByTheRepartition() {
        List<List<String>> byPartition = List.of(new ArrayList<>(), new ArrayList<>());
        for (int host = 1; byPartition.get(0).size() < 2 || byPartition.get(1).isEmpty(); host++) {
            String key = (host % 2 == 0 ? "mem.used" : "cpu.usage") + "{host=web-" + host + "}";
            byte[] bytes = key.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            int tierlog = io.tierlog.core.SeriesKey.partitionFor(bytes, PARTITIONS);
            int kafka = org.apache.kafka.common.utils.Utils.toPositive(org.apache.kafka.common.utils.Utils.murmur2(bytes)) % PARTITIONS;
            if (tierlog == kafka) {
                byPartition.get(tierlog).add(key);
            }
        }
        // two series share a task, one has the other task to itself
        return List.of(byPartition.get(0).get(0), byPartition.get(1).get(0), byPartition.get(0).get(1));
    }

    private long at(int minute, int second) {
        return t0 + minute * 60_000L + second * 1000L;
    }

    /** The rollups the app must emit for minutes [from, to): per minute, per series in the order of SERIES. */
    private List<KeyValue<String, String>> rollups(List<Sample> samples, int from, int to) {
        List<KeyValue<String, String>> out = new ArrayList<>();
        for (int minute = from; minute < to; minute++) {
            long start = at(minute, 0);
            Map<Integer, Rollup> bySeries = new LinkedHashMap<>();
            for (Sample x : samples) {
                if (x.timestamp() >= start && x.timestamp() < start + 60_000) {
                    bySeries.computeIfAbsent(x.series(), k -> new Rollup()).add(x.value());
                }
            }
            for (int i = 0; i < SERIES.size(); i++) {
                if (bySeries.containsKey(i)) {
                    out.add(KeyValue.pair(SERIES.get(i) + "@" + Instant.ofEpochMilli(start), bySeries.get(i).toString()));
                }
            }
        }
        return out;
    }

    /** The samples as metric records over HTTP, in the given order. */
    private void produceOverHttp(List<Sample> samples) {
        StringBuilder sb = new StringBuilder("{\"records\":[");
        for (int i = 0; i < samples.size(); i++) {
            Sample x = samples.get(i);
            String series = SERIES.get(x.series());
            String name = series.substring(0, series.indexOf('{'));
            String host = series.substring(series.indexOf('=') + 1, series.length() - 1);
            sb.append(i == 0 ? "" : ",").append("{\"name\":\"").append(name).append("\",\"tags\":{\"host\":\"").append(host)
                    .append("\"},\"value\":").append(x.value()).append(",\"timestamp\":").append(x.timestamp()).append('}');
        }
        ServerHarness.Resp r = s.post("/v1/topics/" + INPUT + "/records", sb.append("]}").toString());
        assertThat(r.status()).as(r.body()).isEqualTo(200);
    }

    /**
     * Every record of the output topic so far, sorted as {@link #rollups} lists them (by window start, then series:
     * the app emits each task's windows in order, tasks interleave). Reads up to the end offset, so nothing is missed.
     */
    private List<KeyValue<String, String>> readOutput() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            TopicPartition tp = new TopicPartition(OUTPUT, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = c.endOffsets(List.of(tp)).get(tp);
            List<KeyValue<String, String>> out = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (c.position(tp) < end) {
                assertThat(System.nanoTime()).as("read the output topic up to offset " + end).isLessThan(deadline);
                c.poll(Duration.ofMillis(200)).forEach(r -> out.add(KeyValue.pair(r.key(), r.value())));
            }
            out.sort(java.util.Comparator.<KeyValue<String, String>, String>comparing(kv -> kv.key.substring(kv.key.indexOf('@')))
                    .thenComparing(kv -> SERIES.indexOf(kv.key.substring(0, kv.key.indexOf('@')))));
            return out;
        }
    }

    private static Map<String, String> config(Admin admin, String topic) throws Exception {
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config c = admin.describeConfigs(List.of(r)).all().get(20, TimeUnit.SECONDS).get(r);
        Map<String, String> out = new LinkedHashMap<>();
        c.entries().forEach(e -> out.put(e.name(), e.value()));
        return out;
    }

    private String bootstrap() {
        return "127.0.0.1:" + s.server.kafkaPort();
    }

    private Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "20000", AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000"));
    }
}
