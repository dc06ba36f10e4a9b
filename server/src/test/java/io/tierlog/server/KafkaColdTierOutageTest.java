package io.tierlog.server;

import io.tierlog.cold.testing.FaultProxy;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.RecordBatch;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FetchResponse;
import org.apache.kafka.common.requests.ListOffsetsRequest;
import org.apache.kafka.common.requests.ListOffsetsResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An object-store outage seen through the Kafka door, for a topic whose early segments are only in S3
 * ({@code localRetentionMs=0}): a fetch of the cold range answers KAFKA_STORAGE_ERROR (retriable) and delivers
 * nothing, fetches of locally held offsets keep working, ListOffsets answers earliest and latest from what the
 * server knows and a timestamp either exactly or with the storage error, and a real kafka-clients consumer that
 * started at offset 0 during the outage receives every record, in order and once, when the store returns. When the
 * store is down from the server's start (the manifest never loaded), describing the topic over HTTP answers 503 with
 * Retry-After, ListOffsets answers the storage error, and locally held offsets are still fetched.
 */
class KafkaColdTierOutageTest {
    private static final int RECORDS = 200;
    private static final String CONFIG = "{\"segmentBytes\":1024,\"localRetentionMs\":0,\"retentionMs\":-1}";
    private static final TopicPartition TP = new TopicPartition("o", 0);

    @TempDir
    Path dir;

    @Test
    void aConsumerFromOffsetZeroGetsNothingOfTheColdRangeDuringAnOutageAndEverythingOnceTheStoreReturns() throws Exception {
        try (EmbeddedS3 s3 = EmbeddedS3.start(dir.resolve("s3"), "127.0.0.1", 0, "seed", "ak", "sk");
             FaultProxy proxy = new FaultProxy(s3.endpoint());
             ServerHarness h = new ServerHarness(dir.resolve("data"), flags(proxy))) {
            h.createTopic("o", 1, CONFIG);
            long t0 = System.currentTimeMillis() - 60_000;
            produce(h, t0);
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(partition(h).get("localLogStartOffset").asLong()).isGreaterThan(20));
            long localStart = partition(h).get("localLogStartOffset").asLong();

            proxy.refuseConnections();
            try (Raw raw = new Raw(h.server.kafkaPort())) {
                FetchResponseData.PartitionData cold = raw.fetch(0);
                assertThat(Errors.forCode(cold.errorCode())).as("a fetch of the cold range").isEqualTo(Errors.KAFKA_STORAGE_ERROR);
                assertThat(cold.records() == null ? 0 : cold.records().sizeInBytes()).isZero();

                FetchResponseData.PartitionData hot = raw.fetch(localStart);
                assertThat(Errors.forCode(hot.errorCode())).as("a fetch of locally held offsets").isEqualTo(Errors.NONE);
                List<Long> hotOffsets = new ArrayList<>();
                for (RecordBatch b : ((org.apache.kafka.common.record.Records) hot.records()).batches()) {
                    b.forEach(r -> hotOffsets.add(r.offset()));
                }
                assertThat(hotOffsets).isNotEmpty().contains(localStart).allMatch(o -> o < RECORDS);

                assertThat(raw.listOffsets(ListOffsetsRequest.EARLIEST_TIMESTAMP)).isEqualTo(new Answer(Errors.NONE, 0));
                assertThat(raw.listOffsets(ListOffsetsRequest.LATEST_TIMESTAMP)).isEqualTo(new Answer(Errors.NONE, RECORDS));
                assertThat(raw.listOffsets(t0 + localStart + 3)).as("a timestamp in the hot range")
                        .isEqualTo(new Answer(Errors.NONE, localStart + 3));
                assertThat(raw.listOffsets(t0 + 5)).as("a timestamp in the cold range: exact, or the storage error")
                        .isIn(new Answer(Errors.NONE, 5), new Answer(Errors.KAFKA_STORAGE_ERROR, -1));
            }

            List<Long> offsets = new ArrayList<>();
            try (KafkaConsumer<byte[], byte[]> c = h.kafkaConsumer("outage", "outage-consumer")) {
                c.assign(List.of(TP));
                c.seek(TP, 0);
                double storageErrors = storageErrors(h);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                // the client retries the cold fetch: wait for three more storage errors, taking whatever it delivers
                while (storageErrors(h) < storageErrors + 3 && System.nanoTime() < deadline) {
                    c.poll(Duration.ofMillis(100)).forEach(r -> offsets.add(r.offset()));
                }
                assertThat(storageErrors(h)).as("the consumer's fetches met KAFKA_STORAGE_ERROR")
                        .isGreaterThanOrEqualTo(storageErrors + 3);
                assertThat(offsets).as("nothing is delivered while offset 0 is unreadable").isEmpty();
                assertThat(h.get("/v1/health").status()).as("the server is alive").isEqualTo(200);

                proxy.acceptConnections();
                deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (offsets.size() < RECORDS && System.nanoTime() < deadline) {
                    for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                        offsets.add(r.offset());
                    }
                }
            }
            assertThat(offsets).as("every record from offset 0, in order, once")
                    .containsExactlyElementsOf(LongStream.range(0, RECORDS).boxed().toList());
        }
    }

    @Test
    void whileATopicsManifestCannotLoadDescribingItAnswers503AndOnlyItsColdRangeFailsOverKafka() throws Exception {
        try (EmbeddedS3 s3 = EmbeddedS3.start(dir.resolve("s3"), "127.0.0.1", 0, "seed", "ak", "sk");
             FaultProxy proxy = new FaultProxy(s3.endpoint())) {
            long t0 = System.currentTimeMillis() - 60_000;
            try (ServerHarness h = new ServerHarness(dir.resolve("data"), flags(proxy))) {
                h.createTopic("o", 1, CONFIG);
                produce(h, t0);
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                        assertThat(partition(h).get("localLogStartOffset").asLong()).isGreaterThan(20));
            }
            proxy.refuseConnections();
            try (ServerHarness h = new ServerHarness(dir.resolve("data"), flags(proxy))) {
                ServerHarness.Resp d = h.get("/v1/topics/o");
                assertThat(d.status()).as(d.body()).isEqualTo(503);
                assertThat(d.header("Retry-After")).isNotBlank();
                assertThat(d.header("Content-Type")).startsWith("application/json");
                assertThat(d.json().get("error").asText()).isEqualTo("cold_tier_unavailable");

                try (Raw raw = new Raw(h.server.kafkaPort())) {
                    assertThat(raw.listOffsets(ListOffsetsRequest.EARLIEST_TIMESTAMP))
                            .as("earliest is 0 or unknown for now, never the local start (which would hide the cold range)")
                            .isIn(new Answer(Errors.NONE, 0), new Answer(Errors.KAFKA_STORAGE_ERROR, -1));
                    // the high watermark is local state: answered without the manifest
                    assertThat(raw.listOffsets(ListOffsetsRequest.LATEST_TIMESTAMP)).isEqualTo(new Answer(Errors.NONE, RECORDS));
                    assertThat(Errors.forCode(raw.fetch(0).errorCode())).isEqualTo(Errors.KAFKA_STORAGE_ERROR);

                    // the newest record is in the local active segment: fetching it does not need the store
                    FetchResponseData.PartitionData hot = raw.fetch(RECORDS - 1);
                    assertThat(Errors.forCode(hot.errorCode())).as("a fetch of a locally held offset").isEqualTo(Errors.NONE);
                    assertThat(hot.logStartOffset()).as("the log start is unknown (-1) or 0, never the local start")
                            .isIn(FetchResponse.INVALID_LOG_START_OFFSET, 0L);
                    List<Long> hotOffsets = new ArrayList<>();
                    for (RecordBatch b : ((org.apache.kafka.common.record.Records) hot.records()).batches()) {
                        b.forEach(r -> hotOffsets.add(r.offset()));
                    }
                    assertThat(hotOffsets).contains((long) RECORDS - 1);
                }

                proxy.acceptConnections();
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                    ServerHarness.Resp back = h.get("/v1/topics/o");
                    assertThat(back.status()).as(back.body()).isEqualTo(200);
                    assertThat(back.json().get("partitions").get(0).get("logStartOffset").asLong()).isZero();
                });
            }
        }
    }

    private static Map<String, String> flags(FaultProxy proxy) {
        return Map.of("s3.endpoint", proxy.endpoint().toString(), "s3.bucket", "outage", "s3.access.key", "ak",
                "s3.secret.key", "sk");
    }

    /** RECORDS metric samples; record i has timestamp {@code t0 + i}. */
    private static void produce(ServerHarness h, long t0) {
        for (int i = 0; i < RECORDS; i += 10) {
            StringBuilder sb = new StringBuilder("{\"records\":[");
            for (int j = i; j < i + 10; j++) {
                sb.append(j == i ? "" : ",").append("{\"name\":\"m\",\"value\":").append(j)
                        .append(",\"timestamp\":").append(t0 + j).append('}');
            }
            ServerHarness.Resp r = h.post("/v1/topics/o/records", sb.append("]}").toString());
            assertThat(r.status()).as(r.body()).isEqualTo(200);
        }
    }

    private static com.fasterxml.jackson.databind.JsonNode partition(ServerHarness h) {
        return h.get("/v1/topics/o").json().get("partitions").get(0);
    }

    /** KAFKA_STORAGE_ERROR answers the listener counted so far. */
    private static double storageErrors(ServerHarness h) {
        ServerHarness.Resp r = h.get("/metrics");
        assertThat(r.status()).isEqualTo(200);
        double sum = 0;
        for (String line : r.body().split("\n")) {
            if (line.startsWith("tierlog_kafka_errors_total{") && line.contains("code=\"KAFKA_STORAGE_ERROR\"")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    /** A partition's ListOffsets answer: its error and offset. */
    record Answer(Errors error, long offset) {
    }

    /** One request, one response, on a blocking socket: what the raw protocol answers, without a client's retries. */
    private static final class Raw implements AutoCloseable {
        private final Socket socket;
        private final DataInputStream in;
        private final DataOutputStream out;
        private int correlationId;

        Raw(int port) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(30_000);
            in = new DataInputStream(socket.getInputStream());
            out = new DataOutputStream(socket.getOutputStream());
        }

        <R extends AbstractResponse> R roundTrip(AbstractRequest request, Class<R> type) throws IOException {
            RequestHeader header = new RequestHeader(request.apiKey(), request.version(), "outage-test", ++correlationId);
            ByteBuffer b = request.serializeWithHeader(header);
            out.writeInt(b.remaining());
            out.write(b.array(), b.arrayOffset() + b.position(), b.remaining());
            out.flush();
            byte[] frame = new byte[in.readInt()];
            in.readFully(frame);
            return type.cast(AbstractResponse.parseResponse(ByteBuffer.wrap(frame), header));
        }

        FetchResponseData.PartitionData fetch(long offset) throws IOException {
            FetchRequestData data = new FetchRequestData().setReplicaId(-1).setMaxWaitMs(0).setMinBytes(1)
                    .setMaxBytes(1 << 20).setSessionId(0).setSessionEpoch(-1)
                    .setTopics(new ArrayList<>(List.of(new FetchRequestData.FetchTopic().setTopic(TP.topic())
                            .setPartitions(new ArrayList<>(List.of(new FetchRequestData.FetchPartition()
                                    .setPartition(TP.partition()).setFetchOffset(offset).setPartitionMaxBytes(1 << 20)))))));
            FetchResponse r = roundTrip(new FetchRequest(data, (short) 12), FetchResponse.class);
            assertThat(Errors.forCode(r.data().errorCode())).isEqualTo(Errors.NONE);
            return r.data().responses().getFirst().partitions().getFirst();
        }

        Answer listOffsets(long timestamp) throws IOException {
            ListOffsetsRequest req = ListOffsetsRequest.Builder.forConsumer(true, IsolationLevel.READ_UNCOMMITTED)
                    .setTargetTimes(List.of(new ListOffsetsRequestData.ListOffsetsTopic().setName(TP.topic())
                            .setPartitions(List.of(new ListOffsetsRequestData.ListOffsetsPartition()
                                    .setPartitionIndex(TP.partition()).setTimestamp(timestamp)))))
                    .build((short) 7);
            ListOffsetsResponseData.ListOffsetsPartitionResponse p = roundTrip(req, ListOffsetsResponse.class).data()
                    .topics().getFirst().partitions().getFirst();
            return new Answer(Errors.forCode(p.errorCode()), p.offset());
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
