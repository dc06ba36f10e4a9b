package io.tierlog.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bad input of every kind gets a clear 4xx in the API's error shape, never a 500, and leaves the stored data
 * exactly as it was (the topic's description and records are compared before and after).
 */
class BadInputTest {
    @TempDir
    static Path dir;
    static ServerHarness h;

    @BeforeAll
    static void start() {
        h = new ServerHarness(dir.resolve("data"));
        h.createTopic("m", 2, null);
        h.createTopic("b", 1, "{\"schema\":\"bytes\"}");
        assertThat(h.post("/v1/topics/m/records", "{\"records\":[{\"name\":\"cpu\",\"tags\":{\"h\":\"a\"},\"value\":1,\"timestamp\":1000},"
                + "{\"name\":\"cpu\",\"tags\":{\"h\":\"b\"},\"value\":2,\"timestamp\":2000}]}").status()).isEqualTo(200);
        assertThat(h.post("/v1/topics/b/records", "{\"records\":[{\"key\":\"k\",\"value\":1}]}").status()).isEqualTo(200);
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    private static String snapshot() {
        StringBuilder sb = new StringBuilder();
        sb.append(h.get("/v1/topics").body());
        for (String t : List.of("m", "b")) {
            JsonNode d = h.get("/v1/topics/" + t).json();
            for (int p = 0; p < d.get("partitions").size(); p++) {
                sb.append(h.get("/v1/topics/" + t + "/partitions/" + p + "/records?offset=0").body());
            }
        }
        return sb.toString();
    }

    private static void expect(int status, String code, Supplier<ServerHarness.Resp> call) {
        String before = snapshot();
        ServerHarness.Resp r = call.get();
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.json()).as("JSON error body: " + r.body()).isNotNull();
        assertThat(r.json().get("error").asText()).isEqualTo(code);
        assertThat(r.json().get("message").asText()).isNotBlank();
        assertThat(snapshot()).isEqualTo(before);
    }

    @Test
    void malformedAndMistypedTopicCreation() {
        expect(400, "invalid_request", () -> h.post("/v1/topics", "{\"name\": \"x\", "));
        expect(400, "invalid_request", () -> h.post("/v1/topics", ""));
        expect(400, "invalid_request", () -> h.post("/v1/topics", "[1,2]"));
        expect(400, "invalid_request", () -> h.post("/v1/topics", "{\"name\":\"x\"} trailing"));
        expect(400, "invalid_request", () -> h.post("/v1/topics", "{\"name\":5}"));
        expect(400, "invalid_request", () -> h.post("/v1/topics", "{\"partitions\":1}"));
        expect(400, "invalid_request", () -> h.post("/v1/topics", "{\"name\":\"x\",\"partitions\":\"4\"}"));
        expect(400, "invalid_request", () -> h.post("/v1/topics", "{\"name\":\"x\",\"partitions\":0}"));
        expect(400, "invalid_request", () -> h.post("/v1/topics", "{\"name\":\"x\",\"partitions\":1025}"));
        expect(400, "invalid_request", () -> h.post("/v1/topics", "{\"name\":\"x\",\"partitions\":1.5}"));
        expect(400, "invalid_request", () -> h.post("/v1/topics", "{\"name\":\"x\",\"partitions\":99999999999}"));
        expect(400, "invalid_request", () -> h.post("/v1/topics", "{\"name\":\"x\",\"config\":{\"colour\":\"red\"}}"));
        expect(400, "invalid_request", () -> h.post("/v1/topics", "{\"name\":\"x\",\"config\":{\"segmentBytes\":\"big\"}}"));
        expect(400, "invalid_request", () -> h.post("/v1/topics", "{\"name\":\"x\",\"config\":{\"segmentBytes\":10}}"));
        expect(400, "invalid_request", () -> h.post("/v1/topics", "{\"name\":\"x\",\"config\":{\"schema\":\"xml\"}}"));
        expect(400, "invalid_request", () -> h.post("/v1/topics", "{\"name\":\"x\",\"config\":{\"cleanupPolicy\":\"shred\"}}"));
        expect(400, "invalid_request", () -> h.post("/v1/topics", "{\"name\":\"x\",\"config\":{\"remoteStorage\":\"yes\"}}"));
        expect(400, "invalid_request", () -> h.post("/v1/topics", "{\"name\":\"x\",\"config\":{\"retentionMs\":-5}}"));
        expect(400, "invalid_request", () -> h.post("/v1/topics", "{\"name\":\"x\",\"extra\":1}"));
        expect(400, "invalid_request", () -> h.post("/v1/topics",
                "{\"name\":\"x\",\"config\":{\"cleanupPolicy\":\"compact\",\"remoteStorage\":true}}"));
        expect(400, "invalid_request", () -> h.post("/v1/topics", "{\"name\":\"x\",\"name\":\"y\"}"));
        expect(415, "unsupported_media_type", () -> h.post("/v1/topics", "application/x-www-form-urlencoded",
                "name=x".getBytes(StandardCharsets.UTF_8)));
        expect(413, "payload_too_large", () -> h.post("/v1/topics", "application/json", new byte[17 * 1024 * 1024]));
        assertThat(h.get("/v1/topics/x").status()).isEqualTo(404);
    }

    @Test
    void invalidAndTraversingTopicNames() {
        for (String name : List.of("../x", "a/b", "..", ".", "a b", "x".repeat(201), "caf\u00e9", "a\\b", "")) {
            String body = "{\"name\":" + ServerHarness.JSON.valueToTree(name) + ",\"partitions\":1}";
            expect(400, "invalid_request", () -> h.post("/v1/topics", body));
        }
        expect(400, "invalid_request", () -> h.get("/v1/topics/%2e%2e"));
        expect(400, "invalid_request", () -> h.get("/v1/topics/..%2Fx"));
        expect(400, "invalid_request", () -> h.post("/v1/topics/%2e%2e/records", "{\"records\":[{\"name\":\"a\",\"value\":1}]}"));
        expect(400, "invalid_request", () -> h.delete("/v1/topics/%2e%2e"));
        assertThat(h.get("/v1/topics/a%2Fb").status()).isBetween(400, 404);
        assertThat(Files.exists(h.dataDir.resolve("x"))).isFalse();
        assertThat(Files.exists(h.dataDir.getParent().resolve("x"))).isFalse();
    }

    @Test
    void badProduceBodies() {
        String p = "/v1/topics/m/records";
        expect(400, "invalid_request", () -> h.post(p, "{\"records\":"));
        expect(400, "invalid_request", () -> h.post(p, "{\"records\":[]}"));
        expect(400, "invalid_request", () -> h.post(p, "{\"records\":{}}"));
        expect(400, "invalid_request", () -> h.post(p, "{\"recs\":[]}"));
        expect(400, "invalid_request", () -> h.post(p, "{\"records\":[{\"value\":1}]}"));
        expect(400, "invalid_request", () -> h.post(p, "{\"records\":[{\"name\":\"a\"}]}"));
        expect(400, "invalid_request", () -> h.post(p, "{\"records\":[{\"name\":\"a\",\"value\":\"1\"}]}"));
        expect(400, "invalid_request", () -> h.post(p, "{\"records\":[{\"name\":\"a\",\"value\":1,\"colour\":1}]}"));
        expect(400, "invalid_request", () -> h.post(p, "{\"records\":[{\"name\":\"9bad\",\"value\":1}]}"));
        expect(400, "invalid_request", () -> h.post(p, "{\"records\":[{\"name\":\"a\",\"value\":1,\"tags\":{\"h\":1}}]}"));
        expect(400, "invalid_request", () -> h.post(p, "{\"records\":[{\"name\":\"a\",\"value\":1,\"timestamp\":-1}]}"));
        expect(400, "invalid_request", () -> h.post(p, "{\"records\":[{\"name\":\"a\",\"value\":1,\"timestamp\":\"now\"}]}"));
        expect(400, "invalid_request", () -> h.post(p, "{\"records\":[{\"name\":\"a\",\"value\":1,\"timestamp\":1e30}]}"));
        expect(400, "invalid_request", () -> h.post(p, "{\"records\":[{\"name\":\"a\",\"value\":1,\"partition\":2}]}"));
        expect(400, "invalid_request", () -> h.post(p, "{\"records\":[{\"name\":\"a\",\"value\":1,\"partition\":-1}]}"));
        StringBuilder manyTags = new StringBuilder("{");
        for (int i = 0; i < 33; i++) {
            manyTags.append(i == 0 ? "" : ",").append("\"t").append(i).append("\":\"v\"");
        }
        manyTags.append('}');
        expect(400, "invalid_request", () -> h.post(p, "{\"records\":[{\"name\":\"a\",\"value\":1,\"tags\":" + manyTags + "}]}"));
        expect(400, "invalid_request", () -> h.post(p, "{\"records\":[{\"name\":\"" + "a".repeat(257) + "\",\"value\":1}]}"));
        // one bad record rejects the whole request: the good one before it is not stored
        expect(400, "invalid_request", () -> h.post(p, "{\"records\":[{\"name\":\"ok\",\"value\":1},{\"name\":\"\",\"value\":1}]}"));
        expect(400, "invalid_request", () -> h.post(p + "?acks=maybe", "{\"records\":[{\"name\":\"a\",\"value\":1}]}"));
        expect(415, "unsupported_media_type", () -> h.post(p, "text/csv", "a,1".getBytes(StandardCharsets.UTF_8)));
        expect(413, "payload_too_large", () -> h.post(p, "application/json", new byte[16 * 1024 * 1024 + 10]));
        expect(404, "not_found", () -> h.post("/v1/topics/nope/records", "{\"records\":[{\"name\":\"a\",\"value\":1}]}"));
    }

    @Test
    void oversizedRecordsAndBadBinary() {
        String big = "x".repeat(1024 * 1024 + 1);
        expect(413, "payload_too_large", () -> h.post("/v1/topics/b/records", "{\"records\":[{\"value\":\"" + big + "\"}]}"));
        expect(400, "invalid_request", () -> h.post("/v1/topics/b/records", "{\"records\":[{\"valueBase64\":\"@@@\"}]}"));
        expect(400, "invalid_request", () -> h.post("/v1/topics/b/records", "{\"records\":[{\"value\":1,\"valueBase64\":\"AA==\"}]}"));
        expect(400, "invalid_request", () -> h.post("/v1/topics/b/records", "{\"records\":[{\"key\":5}]}"));
        expect(400, "invalid_request", () -> h.post("/v1/topics/b/records", "{\"records\":[{\"headers\":[1]}]}"));
        expect(400, "invalid_request", () -> h.post("/v1/topics/b/records?partition=0", HttpApi.BATCH_MEDIA_TYPE,
                "garbage garbage garbage garbage garbage garbage garbage".getBytes(StandardCharsets.UTF_8)));
        expect(400, "invalid_request", () -> h.post("/v1/topics/b/records?partition=0", HttpApi.BATCH_MEDIA_TYPE, new byte[0]));
        expect(404, "not_found", () -> h.post("/v1/topics/b/records?partition=7", HttpApi.BATCH_MEDIA_TYPE, new byte[60]));
        expect(400, "invalid_request", () -> h.post("/v1/topics/b/records?partition=x", HttpApi.BATCH_MEDIA_TYPE, new byte[60]));
        // a valid bytes batch is not a metric sample: rejected by a metrics topic
        io.tierlog.core.RecordBatch rb = new io.tierlog.core.BatchBuilder(io.tierlog.core.Compression.NONE)
                .add(1, "k".getBytes(StandardCharsets.UTF_8), "v".getBytes(StandardCharsets.UTF_8)).build();
        byte[] bytes = new byte[rb.sizeInBytes()];
        rb.buffer().get(bytes);
        expect(400, "invalid_request", () -> h.post("/v1/topics/m/records?partition=0", HttpApi.BATCH_MEDIA_TYPE, bytes));
        // a corrupted CRC
        bytes[bytes.length - 1] ^= 1;
        expect(400, "invalid_request", () -> h.post("/v1/topics/b/records?partition=0", HttpApi.BATCH_MEDIA_TYPE, bytes));
    }

    /** A binary batch whose records are all valid samples except one: the whole request is refused. */
    private static byte[] metricBatch(byte[] badKey, byte[] badValue, long badTimestamp) {
        byte[] goodKey = io.tierlog.core.SeriesKey.of("cpu", java.util.Map.of("h", "a")).toBytes();
        byte[] goodValue = io.tierlog.core.MetricCodec.encodeValue(1.5, io.tierlog.core.MetricType.GAUGE);
        io.tierlog.core.RecordBatch rb = new io.tierlog.core.BatchBuilder(io.tierlog.core.Compression.LZ4)
                .add(1000, goodKey, goodValue)
                .add(badTimestamp, badKey, badValue)
                .add(1000, goodKey, goodValue)
                .build();
        byte[] bytes = new byte[rb.sizeInBytes()];
        rb.buffer().get(bytes);
        return bytes;
    }

    @Test
    void everyRecordOfABinaryMetricBatchIsValidated() {
        byte[] goodKey = io.tierlog.core.SeriesKey.of("cpu", java.util.Map.of("h", "a")).toBytes();
        byte[] goodValue = io.tierlog.core.MetricCodec.encodeValue(2.5, io.tierlog.core.MetricType.GAUGE);
        // the valid batch is accepted (and its series key is now known to the server as valid)
        assertThat(h.post("/v1/topics/m/records?partition=0", HttpApi.BATCH_MEDIA_TYPE,
                metricBatch(goodKey, goodValue, 1000)).status()).isEqualTo(200);
        byte[] unknownType = goodValue.clone();
        unknownType[0] = 99;
        byte[] nanCounter = io.tierlog.core.MetricCodec.encodeValue(Double.NaN, io.tierlog.core.MetricType.COUNTER);
        byte[] badName = "9cpu{h=a}".getBytes(StandardCharsets.UTF_8);
        byte[] badTag = "cpu{h=a,9x=b}".getBytes(StandardCharsets.UTF_8);
        byte[] longTag = ("cpu{h=" + "v".repeat(10_000) + "}").getBytes(StandardCharsets.UTF_8);
        byte[] unparsable = "cpu{h=a".getBytes(StandardCharsets.UTF_8);
        String path = "/v1/topics/m/records?partition=0";
        String type = HttpApi.BATCH_MEDIA_TYPE;
        expect(400, "invalid_request", () -> h.post(path, type, metricBatch(goodKey, unknownType, 1000)));
        expect(400, "invalid_request", () -> h.post(path, type, metricBatch(goodKey, nanCounter, 1000)));
        expect(400, "invalid_request", () -> h.post(path, type, metricBatch(goodKey, new byte[8], 1000)));
        expect(400, "invalid_request", () -> h.post(path, type, metricBatch(null, goodValue, 1000)));
        expect(400, "invalid_request", () -> h.post(path, type, metricBatch(goodKey, null, 1000)));
        expect(400, "invalid_request", () -> h.post(path, type, metricBatch(badName, goodValue, 1000)));
        expect(400, "invalid_request", () -> h.post(path, type, metricBatch(badTag, goodValue, 1000)));
        expect(400, "invalid_request", () -> h.post(path, type, metricBatch(longTag, goodValue, 1000)));
        expect(400, "invalid_request", () -> h.post(path, type, metricBatch(unparsable, goodValue, 1000)));
        expect(400, "invalid_request", () -> h.post(path, type,
                metricBatch(goodKey, goodValue, io.tierlog.core.Validation.MAX_TIMESTAMP + 1)));
        // refused twice: a rejected key is never remembered as valid
        expect(400, "invalid_request", () -> h.post(path, type, metricBatch(badName, goodValue, 1000)));
    }

    @Test
    void badReadParameters() {
        String r = "/v1/topics/m/partitions/0/records";
        expect(400, "invalid_request", () -> h.get(r + "?offset=-1"));
        expect(400, "invalid_request", () -> h.get(r + "?offset=abc"));
        expect(400, "invalid_request", () -> h.get(r + "?offset=99999999999999999999999"));
        expect(400, "invalid_request", () -> h.get(r));
        expect(400, "invalid_request", () -> h.get(r + "?offset=0&maxRecords=0"));
        expect(400, "invalid_request", () -> h.get(r + "?offset=0&maxRecords=-3"));
        expect(400, "invalid_request", () -> h.get(r + "?offset=0&maxWaitMs=soon"));
        expect(400, "invalid_request", () -> h.get(r + "?offset=0&maxBytes=0"));
        expect(400, "invalid_request", () -> h.get(r + "?offset=0&from=1"));
        expect(400, "invalid_request", () -> h.get(r + "?from=5&to=1"));
        expect(416, "offset_out_of_range", () -> h.get(r + "?offset=" + Long.MAX_VALUE));
        expect(404, "not_found", () -> h.get("/v1/topics/m/partitions/2/records?offset=0"));
        expect(404, "not_found", () -> h.get("/v1/topics/m/partitions/1024/records?offset=0"));
        expect(404, "not_found", () -> h.get("/v1/topics/m/partitions/-1/records?offset=0"));
        expect(400, "invalid_request", () -> h.get("/v1/topics/m/partitions/one/records?offset=0"));
        expect(404, "not_found", () -> h.get("/v1/topics/nope/partitions/0/records?offset=0"));
        expect(400, "invalid_request", () -> h.get("/v1/topics/m/records?from=0"));
        expect(400, "invalid_request", () -> h.get("/v1/topics/m/records?from=0&to=10&tag=novalue"));
        expect(400, "invalid_request", () -> h.get("/v1/topics/m/records?from=0&to=10&name=9x"));
        expect(400, "invalid_request", () -> h.get("/v1/topics/b/records?from=0&to=10&name=x"));
        expect(400, "invalid_request", () -> h.get("/v1/topics/m/partitions/0/offsets"));
        expect(400, "invalid_request", () -> h.get("/v1/topics/m/partitions/0/offsets?timestamp=-4"));
        expect(416, "offset_out_of_range", () -> h.get("/v1/topics/m/partitions/0/stream?offset=999"));
        expect(400, "invalid_request", () -> h.get("/v1/topics/m/partitions/0/stream?offset=x"));
    }

    @Test
    void badConsumerOffsetCommits() {
        String g = "/v1/groups/g/offsets";
        expect(400, "invalid_request", () -> h.put(g, "{\"topic\":\"m\",\"offsets\":[{\"partition\":0,\"offset\":-1}]}"));
        expect(400, "invalid_request", () -> h.put(g, "{\"topic\":\"m\",\"offsets\":[{\"partition\":\"0\",\"offset\":1}]}"));
        expect(400, "invalid_request", () -> h.put(g, "{\"topic\":\"m\",\"offsets\":{}}"));
        expect(400, "invalid_request", () -> h.put(g, "{\"topic\":\"m\"}"));
        expect(400, "invalid_request", () -> h.put(g, "{\"offsets\":[]}"));
        expect(400, "invalid_request", () -> h.put(g, "not json"));
        expect(404, "not_found", () -> h.put(g, "{\"topic\":\"nope\",\"offsets\":[]}"));
        // group names are Kafka's group ids: '..' is one (kept under an escaped file name), a control character is not
        String one = "{\"topic\":\"m\",\"offsets\":[{\"partition\":0,\"offset\":1}]}";
        expect(400, "invalid_request", () -> h.put("/v1/groups/a%0Ab/offsets", one));
        assertThat(h.put("/v1/groups/%2e%2e/offsets", one).status()).isEqualTo(204);
        assertThat(h.get("/v1/groups/%2e%2e/offsets?topic=m").json().get("offsets").get(0).get("offset").asLong()).isEqualTo(1);
        expect(400, "invalid_request", () -> h.get(g));
        expect(415, "unsupported_media_type", () -> h.send(HttpRequest.newBuilder(URI.create(h.base + g))
                .header("Content-Type", "text/plain").PUT(HttpRequest.BodyPublishers.ofString("{}"))));
        assertThat(h.get(g + "?topic=m").json().get("offsets")).isEmpty();
    }

    @Test
    void unknownEndpointsAndMethods() {
        expect(404, "not_found", () -> h.get("/v2/topics"));
        ServerHarness.Resp r = h.send(HttpRequest.newBuilder(URI.create(h.base + "/v1/topics")).method("PATCH",
                HttpRequest.BodyPublishers.noBody()));
        assertThat(r.status()).isBetween(400, 405);
        assertThat(r.json().get("error").asText()).isNotBlank();
    }

    @Test
    void aBinaryBatchWithAnOversizedValueInABytesTopicIs413AndNothingIsStored() {
        h.createTopic("blobs", 1, "{\"schema\":\"bytes\"}");
        io.tierlog.core.BatchBuilder b = new io.tierlog.core.BatchBuilder(io.tierlog.core.Compression.LZ4);
        b.add(1_732_470_000_000L, null, new byte[10]);
        b.add(1_732_470_000_001L, null, new byte[1024 * 1024 + 1]);
        java.nio.ByteBuffer buf = b.build().buffer();
        byte[] body = new byte[buf.remaining()];
        buf.get(body);
        expect(413, "payload_too_large", () -> h.post("/v1/topics/blobs/records?partition=0", "application/vnd.tierlog.batch", body));
        assertThat(h.get("/v1/topics/blobs").json().get("partitions").get(0).get("highWatermark").asLong()).isZero();
    }
}
