package io.tierlog.loadtest.soak;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tierlog.core.MetricCodec;
import io.tierlog.core.MetricType;
import io.tierlog.core.SeriesKey;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The soak's mixed workload against one server, every part a bounded loop with a fixed number of threads:
 * <ul>
 *   <li>producers: {@code producers} threads post JSON batches of {@code batch} metric records over HTTP at a fixed
 *   total rate (from the intended send time, see {@link Pacer}), round-robin over the steady topics;</li>
 *   <li>Kafka producer: one kafka-clients producer through the server's Kafka listener sends single metric records
 *   at a fixed rate, round-robin over the steady topics, with at most {@link #KAFKA_IN_FLIGHT} records unacknowledged
 *   (a record due while none is free is unsent, never queued);</li>
 *   <li>tail: one long-polling reader per partition of the first steady topic, following the log as it grows;</li>
 *   <li>history: at a fixed rate, a read by offset from 0 (below the log start after retention: the server's 416
 *   names the log start, which is read next) and a time-range query over all partitions of a window
 *   minutes old, alternately; both reach the cold tier on topics with {@code localRetentionMs=0};</li>
 *   <li>churn: at a fixed rate, a topic is created, written, read back whole, deleted, and then must be gone (404).</li>
 * </ul>
 * Every request lands in {@link Outcomes}: a status other than the one expected, a short read, a timeout or an I/O
 * error is a failure by kind; in particular a 404 is only expected from the churn loop's check after its delete.
 * Thread-safe: {@link #start} once, {@link #stop} once.
 */
final class SoakWorkload {
    private static final Logger LOG = LoggerFactory.getLogger(SoakWorkload.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String TOPIC_PREFIX = "soak-";
    private static final String CHURN_PREFIX = "soak-churn-";
    static final int KAFKA_IN_FLIGHT = 10_000;

    /** The workload's shape; rates are totals over the loop's threads. */
    record Plan(int topics, int partitions, long rate, long kafkaRate, int batch, int producers, int series,
                Duration historyInterval,
                Duration churnInterval, long segmentBytes, Duration retention, Duration maxLag, Duration tailWait) {
        Plan {
            if (topics <= 0 || partitions <= 0 || rate <= 0 || batch <= 0 || producers <= 0 || series <= 0 || kafkaRate < 0) {
                throw new IllegalArgumentException("topics, partitions, rate, batch, producers and series must be > 0,"
                        + " the Kafka rate >= 0");
            }
            if (segmentBytes < 1024) {
                throw new IllegalArgumentException("segment bytes must be >= 1024 (the server's minimum)");
            }
        }

        /** Nanoseconds between two requests of one producer thread. */
        long produceIntervalNanos() {
            return Math.max(1, (long) (1e9 * batch * producers / rate));
        }
    }

    private final URI base;
    private final HttpClient http;
    private final Plan plan;
    private final Outcomes outcomes;
    private final List<Thread> threads = new ArrayList<>();
    private final Semaphore kafkaInFlight = new Semaphore(KAFKA_IN_FLIGHT);
    private KafkaProducer<byte[], byte[]> kafka;
    private volatile boolean stop;

    SoakWorkload(URI base, HttpClient http, Plan plan, Outcomes outcomes) {
        this.base = base;
        this.http = http;
        this.plan = plan;
        this.outcomes = outcomes;
    }

    static String topic(int i) {
        return TOPIC_PREFIX + i;
    }

    /**
     * Creates the steady topics: small segments so closed ones are offloaded continually, total retention so the
     * data (and the cold tier's manifests) reach a steady size, and on every other topic {@code localRetentionMs=0}
     * so its older records are read from S3. A failure here ends the soak before it starts.
     */
    void createTopics() throws IOException, InterruptedException {
        for (int i = 0; i < plan.topics(); i++) {
            long localRetentionMs = i % 2 == 0 ? 0 : plan.retention().toMillis() / 2;
            String body = String.format(Locale.ROOT, "{\"name\":\"%s\",\"partitions\":%d,\"config\":{\"segmentBytes\":%d,"
                            + "\"segmentMs\":60000,\"retentionMs\":%d,\"localRetentionMs\":%d}}", topic(i), plan.partitions(),
                    plan.segmentBytes(), plan.retention().toMillis(), localRetentionMs);
            HttpResponse<String> r = http.send(post("/v1/topics", body), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 201) {
                throw new IOException("creating topic " + topic(i) + " answered " + r.statusCode() + " " + r.body());
            }
        }
    }

    /** Connects the Kafka producer to the listener the server names in {@code GET /v1/cluster} (if it has a rate). */
    void connectKafka() throws IOException, InterruptedException {
        if (plan.kafkaRate() == 0) {
            return;
        }
        HttpResponse<String> r = http.send(get("/v1/cluster"), HttpResponse.BodyHandlers.ofString());
        String bootstrap = JSON.readTree(r.body()).path("kafkaBootstrapServers").asText("");
        if (r.statusCode() != 200 || bootstrap.isEmpty()) {
            throw new IOException("GET /v1/cluster answered " + r.statusCode() + " " + r.body());
        }
        kafka = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "1", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false,
                ProducerConfig.LINGER_MS_CONFIG, 5, ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4",
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000, ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 15_000,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000), new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Starts every loop; the fixed-rate ones are scheduled from {@code startNanos}. */
    void start(long startNanos) {
        long produceInterval = plan.produceIntervalNanos();
        long maxLag = Math.max(plan.maxLag().toNanos(), produceInterval);
        for (int i = 0; i < plan.producers(); i++) {
            int producer = i;
            Pacer pacer = new Pacer(produceInterval, maxLag, outcomes);
            // the producers' schedules are staggered evenly, so the requests are spread over each interval
            long start = startNanos + produceInterval * i / plan.producers();
            spawn("soak-producer-" + i, () -> pacer.run(start, () -> stop,
                    seq -> guarded("produce",
                            () -> produce(topic((int) ((seq * plan.producers() + producer) % plan.topics()))))));
        }
        if (kafka != null) {
            long interval = Math.max(1, (long) (1e9 / plan.kafkaRate()));
            Pacer pacer = new Pacer(interval, Math.max(maxLag, interval), outcomes);
            byte[][] keys = new byte[plan.series()][];
            for (int s = 0; s < keys.length; s++) {
                keys[s] = SeriesKey.of("soak.kafka", Map.of("series", "s" + s)).toBytes();
            }
            spawn("soak-kafka-producer", () -> pacer.run(startNanos, () -> stop, seq -> guarded("kafka-produce",
                    () -> kafkaSend(topic((int) (seq % plan.topics())), keys[(int) (seq / plan.topics() % keys.length)]))));
        }
        for (int p = 0; p < plan.partitions(); p++) {
            int partition = p;
            spawn("soak-tail-" + p, () -> tail(topic(0), partition));
        }
        long historyInterval = plan.historyInterval().toNanos();
        Pacer history = new Pacer(historyInterval, Math.max(maxLag, historyInterval), outcomes);
        spawn("soak-history", () -> history.run(startNanos, () -> stop,
                seq -> guarded("history", () -> {
                    if (seq % 2 == 0) {
                        historyByOffset();
                    } else {
                        historyByTime();
                    }
                })));
        long churnInterval = plan.churnInterval().toNanos();
        Pacer churn = new Pacer(churnInterval, Math.max(maxLag, churnInterval), outcomes);
        spawn("soak-churn", () -> churn.run(startNanos + churnInterval / 2, () -> stop,
                seq -> guarded("churn", () -> churn(seq))));
    }

    /** Stops the loops and waits for them (each ends within a request's timeout); false if one did not end. */
    boolean stop() throws InterruptedException {
        stop = true;
        boolean all = true;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        for (Thread t : threads) {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            if (t.isAlive()) {
                LOG.error("soak: {} did not stop within 90 s; interrupting it", t.getName());
                t.interrupt();
                all = false;
            }
        }
        if (kafka != null) {
            kafka.close(Duration.ofSeconds(30)); // delivers what is in flight: its callbacks still count
            int lost = KAFKA_IN_FLIGHT - kafkaInFlight.availablePermits();
            if (lost > 0) {
                outcomes.failed("kafka-produce never acknowledged", "no answer when the producer closed", lost);
            }
        }
        return all;
    }

    private interface Loop {
        void run() throws InterruptedException;
    }

    private interface Request {
        void run() throws IOException, InterruptedException;
    }

    private void spawn(String name, Loop loop) {
        Thread t = new Thread(() -> {
            try {
                loop.run();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // only stop() interrupts, after its wait: the loop just ends
            }
        }, name);
        t.setDaemon(true);
        threads.add(t);
        t.start();
    }

    /**
     * Runs one request, counting what escaped its own accounting: a timeout, an I/O error, or an answer the soak
     * could not read (a runtime exception while parsing) are failures of {@code kind}, never the end of the loop.
     */
    private void guarded(String kind, Request r) throws InterruptedException {
        try {
            r.run();
        } catch (HttpTimeoutException e) {
            outcomes.failed(kind + " timeout", e);
        } catch (IOException e) {
            outcomes.failed(kind + " " + e.getClass().getSimpleName(), e);
        } catch (RuntimeException e) {
            outcomes.failed(kind + " " + e.getClass().getSimpleName(), e);
        }
    }

    // ------------------------------------------------------------------ the loops' requests

    private void produce(String topic) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(post("/v1/topics/" + topic + "/records", records(plan.batch())),
                HttpResponse.BodyHandlers.ofString());
        if (expect(r, 200, "produce")) {
            outcomes.producedRecords.add(plan.batch());
        }
    }

    /** One metric record through the Kafka door; a record due while {@link #KAFKA_IN_FLIGHT} are unacknowledged is unsent. */
    private void kafkaSend(String topic, byte[] key) {
        if (!kafkaInFlight.tryAcquire()) {
            outcomes.unsent(1);
            return;
        }
        byte[] value = MetricCodec.encodeValue(ThreadLocalRandom.current().nextInt(100_000) / 100.0, MetricType.GAUGE);
        int partition = SeriesKey.partitionFor(key, plan.partitions());
        try {
            kafka.send(new ProducerRecord<>(topic, partition, System.currentTimeMillis(), key, value), (md, err) -> {
                kafkaInFlight.release();
                if (err == null) {
                    outcomes.ok();
                    outcomes.producedRecords.increment();
                    outcomes.kafkaRecords.increment();
                } else {
                    outcomes.failed("kafka-produce " + err.getClass().getSimpleName(), err);
                }
            });
        } catch (RuntimeException e) {
            kafkaInFlight.release(); // send threw before taking the record: no callback will come
            throw e;
        }
    }

    /** A JSON produce body of {@code n} metric records, now, over the plan's series. */
    private String records(int n) {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        long now = System.currentTimeMillis();
        StringBuilder sb = new StringBuilder(64 + n * 80).append("{\"records\":[");
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append("{\"name\":\"soak.value\",\"tags\":{\"series\":\"s").append(rnd.nextInt(plan.series()))
                    .append("\"},\"value\":").append(rnd.nextInt(100_000) / 100.0).append(",\"timestamp\":").append(now)
                    .append('}');
        }
        return sb.append("]}").toString();
    }

    /** Follows one partition from offset 0 with long polls, one request at a time. */
    private void tail(String topic, int partition) throws InterruptedException {
        long[] next = {0};
        boolean[] served = {false};
        while (!stop) {
            served[0] = false;
            guarded("tail", () -> {
                HttpResponse<String> r = http.send(get("/v1/topics/" + topic + "/partitions/" + partition
                        + "/records?offset=" + next[0] + "&maxRecords=5000&maxWaitMs=" + plan.tailWait().toMillis()),
                        HttpResponse.BodyHandlers.ofString());
                if (expect(r, 200, "tail")) {
                    JsonNode n = JSON.readTree(r.body());
                    long nextOffset = n.path("nextOffset").asLong(-1);
                    if (nextOffset < next[0]) {
                        outcomes.failed("tail offset went back", "partition " + partition + ": nextOffset " + nextOffset
                                + " after " + next[0]);
                        return;
                    }
                    outcomes.tailRecords.add(n.path("records").size());
                    next[0] = nextOffset;
                    served[0] = true;
                }
            });
            if (!served[0]) {
                Thread.sleep(200); // a failing server: back off instead of spinning (every failure is counted already)
            }
        }
    }

    /**
     * Reads a random steady partition from offset 0; once retention has moved the log start the answer is 416 with
     * {@code logStartOffset}, which is expected and is read next (a second 416 is expected only if the log start
     * moved again meanwhile).
     */
    private void historyByOffset() throws IOException, InterruptedException {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        String topic = topic(rnd.nextInt(plan.topics()));
        int partition = rnd.nextInt(plan.partitions());
        long offset = 0;
        for (int attempt = 0; attempt < 3; attempt++) {
            HttpResponse<String> r = http.send(get("/v1/topics/" + topic + "/partitions/" + partition + "/records?offset="
                    + offset + "&maxRecords=1000"), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 416) {
                long logStart = JSON.readTree(r.body()).path("logStartOffset").asLong(-1);
                if (logStart > offset) {
                    outcomes.expected("history 416 below the log start (retention)");
                    offset = logStart;
                    continue;
                }
            }
            if (expect(r, 200, "history-offset")) {
                JsonNode n = JSON.readTree(r.body());
                outcomes.historyRecords.add(n.path("records").size());
                outcomes.coldRecords.add(n.path("tiers").path("cold").asLong());
            }
            return;
        }
        outcomes.failed("history-offset log start kept moving", topic + "/" + partition + " at " + offset);
    }

    /** A time window of 30 s, three quarters of the retention old, over all partitions of a random steady topic. */
    private void historyByTime() throws IOException, InterruptedException {
        String topic = topic(ThreadLocalRandom.current().nextInt(plan.topics()));
        long from = System.currentTimeMillis() - plan.retention().toMillis() * 3 / 4;
        HttpResponse<String> r = http.send(get("/v1/topics/" + topic + "/records?from=" + from + "&to=" + (from + 30_000)
                + "&maxRecords=1000"), HttpResponse.BodyHandlers.ofString());
        if (expect(r, 200, "history-time")) {
            outcomes.historyRecords.add(JSON.readTree(r.body()).path("count").asLong());
        }
    }

    /** One topic's life: create, write, read back whole, delete, and then the topic must be gone. */
    private void churn(long seq) throws IOException, InterruptedException {
        String topic = CHURN_PREFIX + seq;
        String body = String.format(Locale.ROOT, "{\"name\":\"%s\",\"partitions\":1,\"config\":{\"segmentBytes\":1024,"
                + "\"localRetentionMs\":0}}", topic);
        if (!expect(http.send(post("/v1/topics", body), HttpResponse.BodyHandlers.ofString()), 201, "churn-create")) {
            return;
        }
        for (int i = 0; i < 3; i++) {
            if (!expect(http.send(post("/v1/topics/" + topic + "/records", records(plan.batch())),
                    HttpResponse.BodyHandlers.ofString()), 200, "churn-produce")) {
                return;
            }
        }
        HttpResponse<String> read = http.send(get("/v1/topics/" + topic + "/partitions/0/records?offset=0&maxRecords=10000"),
                HttpResponse.BodyHandlers.ofString());
        if (!expect(read, 200, "churn-read")) {
            return;
        }
        int n = JSON.readTree(read.body()).path("records").size();
        if (n != 3 * plan.batch()) {
            outcomes.failed("churn-read short", topic + ": read " + n + " of " + 3 * plan.batch() + " records");
            return;
        }
        if (!expect(http.send(HttpRequest.newBuilder(base.resolve("/v1/topics/" + topic)).timeout(Duration.ofSeconds(60))
                .DELETE().build(), HttpResponse.BodyHandlers.ofString()), 204, "churn-delete")) {
            return;
        }
        HttpResponse<String> gone = http.send(get("/v1/topics/" + topic), HttpResponse.BodyHandlers.ofString());
        if (gone.statusCode() == 404) {
            outcomes.expected("churn 404 after delete");
            outcomes.churnCycles.increment();
        } else {
            outcomes.failed("churn-deleted topic still there " + gone.statusCode(), topic + ": " + abbreviate(gone.body()));
        }
    }

    /** Counts the answer: ok if it has {@code status}, else a failure named by the request and the error code. */
    private boolean expect(HttpResponse<String> r, int status, String request) {
        if (r.statusCode() == status) {
            outcomes.ok();
            return true;
        }
        String code = "";
        try {
            code = " " + JSON.readTree(r.body()).path("error").asText("");
        } catch (IOException e) {
            code = " (no JSON error)";
        }
        outcomes.failed(request + " " + r.statusCode() + code, r.request().method() + " " + r.request().uri() + " -> "
                + r.statusCode() + " " + abbreviate(r.body()));
        return false;
    }

    private static String abbreviate(String s) {
        return s.length() <= 300 ? s : s.substring(0, 300) + "...";
    }

    private HttpRequest post(String path, String json) {
        return HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build();
    }

    private HttpRequest get(String path) {
        return HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30)).build();
    }
}
