package io.tierlog.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.tierlog.cold.testing.FaultProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The promise "local copies are dropped only once the upload is confirmed", checked with the object store down
 * while a topic keeps nothing locally by policy ({@code localRetentionMs=0}): the server's S3 traffic goes
 * through a {@link FaultProxy} that refuses connections or answers 500 / 503. During the outage the local
 * segments stay, reads from offset 0 return every record, and the offload lag metric grows; once the store is
 * back the offload catches up, the lag drops to zero and the local copies go.
 */
class ColdTierOutageTest {
    private static final int RECORDS = 200;

    @TempDir
    Path dir;

    /** The ways the store is down, each with how it starts and ends. */
    enum Outage {
        CONNECTION_REFUSED, HTTP_500, HTTP_503;

        void begin(FaultProxy proxy) throws IOException {
            switch (this) {
                case CONNECTION_REFUSED -> proxy.refuseConnections();
                case HTTP_500 -> proxy.failAll(500);
                case HTTP_503 -> proxy.failAll(503);
            }
        }

        void end(FaultProxy proxy) throws IOException {
            proxy.acceptConnections();
            proxy.heal();
        }
    }

    @ParameterizedTest
    @EnumSource(Outage.class)
    void localCopiesStayReadableDuringAnOutageAndOffloadCatchesUpAfter(Outage outage) throws IOException {
        try (EmbeddedS3 s3 = EmbeddedS3.start(dir.resolve("s3"), "127.0.0.1", 0, "seed", "ak", "sk");
             FaultProxy proxy = new FaultProxy(s3.endpoint());
             ServerHarness h = new ServerHarness(dir.resolve("data"), Map.of("s3.endpoint", proxy.endpoint().toString(),
                     "s3.bucket", "outage", "s3.access.key", "ak", "s3.secret.key", "sk"))) {
            h.createTopic("o", 1, "{\"segmentBytes\":1024,\"localRetentionMs\":0,\"retentionMs\":-1}");
            outage.begin(proxy);
            double failuresBefore = metric(h, "tierlog_cold_upload_failures_total");
            produce(h);

            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                    assertThat(metric(h, "tierlog_cold_upload_failures_total")).isGreaterThan(failuresBefore + 1));
            // several housekeeping runs (every 100 ms) have met the segments past localRetentionMs=0 by now
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() ->
                    metric(h, "tierlog_cold_upload_failures_total") > failuresBefore + 3);
            // (the topic description is not asked here: this partition's manifest was never loaded, and describing
            // it needs the store; reads of locally held offsets do not)
            assertThat(segmentFiles(h)).as("closed segments kept locally").hasSizeGreaterThan(2)
                    .contains("00000000000000000000.log");
            assertThat(metric(h, "tierlog_cold_offload_lag_bytes")).as("offload lag shows the outage").isPositive();
            assertThat(metric(h, "tierlog_cold_offload_lag_ms")).isPositive();
            JsonNode during = assertEveryRecordReadableFromZero(h);
            assertThat(during.get("tiers").get("hot").asInt()).isEqualTo(RECORDS);
            assertThat(metric(h, "tierlog_housekeeping_local_waiting_for_offload_total"))
                    .as("the housekeeper says it keeps segments for the offload").isPositive();

            outage.end(proxy);
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                JsonNode p = partition(h);
                assertThat(p.get("coldSegments").asInt()).isGreaterThan(2);
                assertThat(p.get("localLogStartOffset").asLong()).isPositive();
                assertThat(metric(h, "tierlog_cold_offload_lag_bytes")).isZero();
            });
            JsonNode all = assertEveryRecordReadableFromZero(h);
            assertThat(all.get("tiers").get("cold").asInt()).as("the oldest records now come from S3").isPositive();
        }
    }

    @Test
    void readsThatNeedTheColdTierAnswer503WithRetryAfterDuringAnOutage() throws IOException {
        try (EmbeddedS3 s3 = EmbeddedS3.start(dir.resolve("s3"), "127.0.0.1", 0, "seed", "ak", "sk");
             FaultProxy proxy = new FaultProxy(s3.endpoint());
             ServerHarness h = new ServerHarness(dir.resolve("data"), Map.of("s3.endpoint", proxy.endpoint().toString(),
                     "s3.bucket", "outage", "s3.access.key", "ak", "s3.secret.key", "sk"))) {
            h.createTopic("o", 1, "{\"segmentBytes\":1024,\"localRetentionMs\":0,\"retentionMs\":-1}");
            produce(h);
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(partition(h).get("localLogStartOffset").asLong()).isGreaterThan(20));
            long localStart = partition(h).get("localLogStartOffset").asLong();

            proxy.refuseConnections();
            ServerHarness.Resp cold = h.get("/v1/topics/o/partitions/0/records?offset=0&maxRecords=10");
            assertThat(cold.status()).as(cold.body()).isEqualTo(503);
            assertThat(cold.json().get("error").asText()).isEqualTo("cold_tier_unavailable");
            assertThat(cold.header("Retry-After")).isNotBlank();
            ServerHarness.Resp hot = h.get("/v1/topics/o/partitions/0/records?offset=" + localStart + "&maxRecords=10");
            assertThat(hot.status()).as("hot data stays readable: " + hot.body()).isEqualTo(200);
            assertThat(hot.json().get("records").get(0).get("offset").asLong()).isEqualTo(localStart);
            assertThat(h.post("/v1/topics/o/records", "{\"records\":[{\"name\":\"m\",\"value\":" + RECORDS + "}]}")
                    .status()).as("ingest goes on").isEqualTo(200);

            proxy.acceptConnections();
            ServerHarness.Resp back = h.get("/v1/topics/o/partitions/0/records?offset=0&maxRecords=10");
            assertThat(back.status()).as(back.body()).isEqualTo(200);
            assertThat(back.json().get("records").get(0).get("offset").asLong()).isZero();
        }
    }

    @Test
    void theServerStartsWithTheStoreDownServesHotDataAndConnectsTheColdTierWhenItReturns() throws IOException {
        try (EmbeddedS3 s3 = EmbeddedS3.start(dir.resolve("s3"), "127.0.0.1", 0, "seed", "ak", "sk");
             FaultProxy proxy = new FaultProxy(s3.endpoint())) {
            Map<String, String> flags = Map.of("s3.endpoint", proxy.endpoint().toString(), "s3.bucket", "outage",
                    "s3.access.key", "ak", "s3.secret.key", "sk");
            try (ServerHarness h = new ServerHarness(dir.resolve("data"), flags)) {
                h.createTopic("o", 1, "{\"segmentBytes\":1024,\"localRetentionMs\":0,\"retentionMs\":-1}");
                produce(h);
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                        assertThat(partition(h).get("localLogStartOffset").asLong()).isGreaterThan(20));
            }
            proxy.refuseConnections();
            try (ServerHarness h = new ServerHarness(dir.resolve("data"), flags)) {
                JsonNode health = h.get("/v1/health").json();
                assertThat(health.get("status").asText()).as("liveness stays ok").isEqualTo("ok");
                assertThat(health.get("parts").get("coldTier").get("status").asText()).isEqualTo("down");
                assertThat(health.get("parts").get("hotTier").get("status").asText()).isEqualTo("up");
                ServerHarness.Resp ack = h.post("/v1/topics/o/records", "{\"records\":[{\"name\":\"m\",\"value\":" + RECORDS + "}]}");
                assertThat(ack.status()).as("ingest works without the store: " + ack.body()).isEqualTo(200);
                ServerHarness.Resp hot = h.get("/v1/topics/o/partitions/0/records?offset=" + RECORDS + "&maxRecords=10");
                assertThat(hot.status()).as("hot data is served: " + hot.body()).isEqualTo(200);
                assertThat(hot.json().get("records").get(0).get("value").asLong()).isEqualTo(RECORDS);
                ServerHarness.Resp cold = h.get("/v1/topics/o/partitions/0/records?offset=0&maxRecords=10");
                assertThat(cold.status()).as(cold.body()).isEqualTo(503);
                assertThat(cold.header("Retry-After")).isNotBlank();

                proxy.acceptConnections();
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                    ServerHarness.Resp all = h.get("/v1/topics/o/partitions/0/records?offset=0&maxRecords=10000");
                    assertThat(all.status()).as(all.body()).isEqualTo(200);
                    assertThat(all.json().get("records")).hasSize(RECORDS + 1);
                    assertThat(h.get("/v1/health").json().get("parts").get("coldTier").get("status").asText()).isEqualTo("up");
                });
            }
        }
    }

    private static void produce(ServerHarness h) {
        for (int i = 0; i < RECORDS; i += 10) {
            StringBuilder sb = new StringBuilder("{\"records\":[");
            for (int j = i; j < i + 10; j++) {
                sb.append(j == i ? "" : ",").append("{\"name\":\"m\",\"value\":").append(j).append('}');
            }
            ServerHarness.Resp r = h.post("/v1/topics/o/records", sb.append("]}").toString());
            assertThat(r.status()).as(r.body()).isEqualTo(200);
        }
    }

    private static JsonNode assertEveryRecordReadableFromZero(ServerHarness h) {
        ServerHarness.Resp r = h.get("/v1/topics/o/partitions/0/records?offset=0&maxRecords=10000");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        List<Long> offsets = new ArrayList<>();
        List<Long> values = new ArrayList<>();
        r.json().get("records").forEach(rec -> {
            offsets.add(rec.get("offset").asLong());
            values.add(rec.get("value").asLong());
        });
        List<Long> expected = LongStream.range(0, RECORDS).boxed().toList();
        assertThat(offsets).containsExactlyElementsOf(expected);
        assertThat(values).containsExactlyElementsOf(expected);
        return r.json();
    }

    private static List<String> segmentFiles(ServerHarness h) throws IOException {
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(h.dataDir.resolve("topics/o/0"))) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".log")).toList();
        }
    }

    private static JsonNode partition(ServerHarness h) {
        return h.get("/v1/topics/o").json().get("partitions").get(0);
    }

    /** The sum of a metric's samples in the server's Prometheus exposition (0 when absent). */
    static double metric(ServerHarness h, String name) {
        ServerHarness.Resp r = h.get("/metrics");
        assertThat(r.status()).isEqualTo(200);
        double sum = 0;
        for (String line : r.body().split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }
}
