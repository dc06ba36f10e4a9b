package io.tierlog.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.tierlog.kafka.BackendException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Damaged stored data is the server's fault, not the client's: a read of it answers HTTP 500 {@code storage_error}
 * (Kafka: KAFKA_STORAGE_ERROR), is counted on /metrics and logged, and other data stays readable.
 */
class StorageFaultTest {
    @TempDir
    Path dir;

    private static String records(int from, int n) {
        StringBuilder sb = new StringBuilder("{\"records\":[");
        for (int i = from; i < from + n; i++) {
            sb.append(i == from ? "" : ",").append("{\"key\":\"k").append(i).append("\",\"value\":{\"n\":").append(i)
                    .append("},\"partition\":0}");
        }
        return sb.append("]}").toString();
    }

    /** Overwrites the first byte of the first record (its length varint) of the batch at the file's start. */
    private static void breakFirstRecord(Path file, long batchStart) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[]{(byte) 0x7f}), batchStart + io.tierlog.core.RecordBatch.HEADER_SIZE);
        }
    }

    private static double faults(ServerHarness h) {
        return h.get("/metrics").body().lines().filter(l -> l.startsWith("tierlog_storage_faults_total"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void aDamagedLocalSegmentIsAServerErrorAndOtherPartitionsStayReadable() throws IOException {
        Path data = dir.resolve("data");
        try (ServerHarness h = new ServerHarness(data)) {
            h.createTopic("local", 1, "{\"schema\":\"bytes\",\"remoteStorage\":false}");
            h.createTopic("other", 1, "{\"schema\":\"bytes\",\"remoteStorage\":false}");
            assertThat(h.post("/v1/topics/local/records", records(0, 5)).status()).isEqualTo(200);
            assertThat(h.post("/v1/topics/other/records", records(0, 5)).status()).isEqualTo(200);
            breakFirstRecord(data.resolve("topics/local/0/00000000000000000000.log"), 0);

            ServerHarness.Resp r = h.get("/v1/topics/local/partitions/0/records?offset=0");
            assertThat(r.status()).isEqualTo(500);
            assertThat(r.json().get("error").asText()).isEqualTo("storage_error");
            assertThat(r.json().get("message").asText()).contains("local-0").contains("does not decode");
            assertThat(faults(h)).isEqualTo(1.0);
            assertThat(h.get("/v1/topics/other/partitions/0/records?offset=0").json().get("records")).hasSize(5);
        }
    }

    @Test
    void aDamagedS3ObjectIsAStorageErrorForBothDoorsAndTheHotRangeStaysReadable() throws IOException {
        Path data = dir.resolve("data");
        try (ServerHarness h = new ServerHarness(data)) {
            h.createTopic("tiered", 1, "{\"schema\":\"bytes\",\"segmentBytes\":1024,\"localRetentionMs\":0,\"retentionMs\":-1}");
            for (int i = 0; i < 200; i += 10) {
                assertThat(h.post("/v1/topics/tiered/records", records(i, 10)).status()).isEqualTo(200);
            }
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    h.get("/v1/topics/tiered").json().get("partitions").get(0).get("localLogStartOffset").asLong() > 20);
            List<Path> objects;
            try (Stream<Path> s = Files.walk(data.resolve("s3"))) {
                objects = s.filter(p -> p.getFileName().toString().startsWith("00000000000000000000-")
                        && p.getFileName().toString().endsWith(".seg")).toList();
            }
            assertThat(objects).hasSize(1);
            breakFirstRecord(objects.getFirst(), 0);

            ServerHarness.Resp cold = h.get("/v1/topics/tiered/partitions/0/records?offset=0");
            assertThat(cold.status()).isEqualTo(500);
            assertThat(cold.json().get("error").asText()).isEqualTo("storage_error");
            assertThat(cold.json().get("message").asText()).contains(".seg");
            assertThat(faults(h)).isGreaterThanOrEqualTo(1.0);

            KafkaDoor door = new KafkaDoor(brokerOf(h));
            assertThatThrownBy(() -> door.fetch("tiered", 0, 0, 1 << 20)).isInstanceOf(BackendException.class)
                    .extracting(e -> ((BackendException) e).reason()).isEqualTo(BackendException.Reason.STORAGE_ERROR);

            long localStart = h.get("/v1/topics/tiered").json().get("partitions").get(0).get("localLogStartOffset").asLong();
            JsonNode hot = h.get("/v1/topics/tiered/partitions/0/records?offset=" + localStart).json();
            assertThat(hot.get("records").get(0).get("offset").asLong()).isEqualTo(localStart);
        }
    }

    private static Broker brokerOf(ServerHarness h) {
        return h.server.broker();
    }
}
