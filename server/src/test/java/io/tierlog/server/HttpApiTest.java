package io.tierlog.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.tierlog.core.BatchBuilder;
import io.tierlog.core.Compression;
import io.tierlog.core.Limits;
import io.tierlog.core.MetricCodec;
import io.tierlog.core.MetricEvent;
import io.tierlog.core.RecordBatch;
import io.tierlog.ingest.OverloadedException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Every endpoint of the HTTP API (docs/api-notes.md) against a whole in-process server, with the exact shapes and statuses. */
class HttpApiTest {
    @TempDir
    static Path dir;
    static ServerHarness h;

    @BeforeAll
    static void start() {
        h = new ServerHarness(dir.resolve("data"));
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    @Test
    void healthAndMetrics() {
        ServerHarness.Resp r = h.get("/v1/health");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().get("status").asText()).isEqualTo("ok");
        h.createTopic("metrics-probe", 1, null);
        h.post("/v1/topics/metrics-probe/records", "{\"records\":[{\"name\":\"a\",\"value\":1}]}");
        h.get("/v1/topics/metrics-probe/partitions/0/records?offset=0");
        ServerHarness.Resp m = h.get("/metrics");
        assertThat(m.status()).isEqualTo(200);
        assertThat(m.header("Content-Type")).startsWith("text/plain");
        assertThat(m.body()).contains("jvm_memory_used_bytes").contains("tierlog_ingest").contains("tierlog_query")
                .contains("tierlog_cold")
                .contains("tierlog_log_high_watermark{partition=\"0\",topic=\"metrics-probe\"} 1.0")
                .contains("tierlog_log_size_bytes{partition=\"0\",topic=\"metrics-probe\"}");
        h.delete("/v1/topics/metrics-probe");
        assertThat(h.get("/metrics").body()).doesNotContain("topic=\"metrics-probe\"");
    }

    @Test
    void clusterNamesTheKafkaBootstrapAddress() {
        ServerHarness.Resp r = h.get("/v1/cluster");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().get("kafkaBootstrapServers").asText()).isEqualTo("127.0.0.1:" + h.server.kafkaPort());
        try (ServerHarness advertised = new ServerHarness(dir.resolve("advertised"),
                Map.of("kafka.advertised.host", "kafka.example", "kafka.advertised.port", "19092"));
             ServerHarness off = new ServerHarness(dir.resolve("off"), Map.of("kafka.port", "-1"))) {
            assertThat(advertised.get("/v1/cluster").json().get("kafkaBootstrapServers").asText())
                    .isEqualTo("kafka.example:19092");
            assertThat(off.get("/v1/cluster").json().get("kafkaBootstrapServers").isNull()).isTrue();
        }
    }

    @Test
    void topicLifecycle() {
        JsonNode created = h.createTopic("life", 3, "{\"schema\":\"bytes\",\"segmentBytes\":65536,\"remoteStorage\":false}");
        assertThat(created.get("name").asText()).isEqualTo("life");
        assertThat(created.get("config").get("schema").asText()).isEqualTo("bytes");
        assertThat(created.get("config").get("segmentBytes").asLong()).isEqualTo(65536);
        assertThat(created.get("config").get("remoteStorage").asBoolean()).isFalse();
        assertThat(created.get("partitions")).hasSize(3);
        JsonNode p0 = created.get("partitions").get(0);
        for (String f : List.of("partition", "logStartOffset", "localLogStartOffset", "highWatermark",
                "remoteEndOffset", "hotSegments", "coldSegments")) {
            assertThat(p0.has(f)).as(f).isTrue();
        }
        assertThat(h.createTopic("life2", 1, null).get("config").get("schema").asText()).isEqualTo("metrics");
        JsonNode compacted = h.createTopic("compacted", 1, "{\"schema\":\"bytes\",\"cleanupPolicy\":\"compact\"}");
        assertThat(compacted.get("config").get("cleanupPolicy").asText()).isEqualTo("compact");
        assertThat(compacted.get("config").get("remoteStorage").asBoolean()).isFalse();

        ServerHarness.Resp dup = h.post("/v1/topics", "{\"name\":\"life\",\"partitions\":1}");
        assertThat(dup.status()).isEqualTo(409);
        assertThat(dup.json().get("error").asText()).isEqualTo("conflict");

        ServerHarness.Resp list = h.get("/v1/topics");
        assertThat(list.status()).isEqualTo(200);
        List<String> names = new ArrayList<>();
        list.json().get("topics").forEach(t -> names.add(t.get("name").asText()));
        assertThat(names).contains("life", "life2");

        assertThat(h.get("/v1/topics/life").json().get("partitions")).hasSize(3);
        assertThat(Files.exists(h.dataDir.resolve("topics/life/topic.json"))).isTrue();

        assertThat(h.delete("/v1/topics/life").status()).isEqualTo(204);
        ServerHarness.Resp gone = h.get("/v1/topics/life");
        assertThat(gone.status()).isEqualTo(404);
        assertThat(gone.json().get("error").asText()).isEqualTo("not_found");
        assertThat(Files.exists(h.dataDir.resolve("topics/life"))).isFalse();
        assertThat(h.delete("/v1/topics/life").status()).isEqualTo(404);
        // the name can be used again, starting from offset 0
        h.createTopic("life", 1, "{\"schema\":\"bytes\"}");
        assertThat(h.get("/v1/topics/life").json().get("partitions").get(0).get("highWatermark").asLong()).isZero();
    }

    @Test
    void produceAndConsumeMetrics() {
        h.createTopic("cpu", 4, null);
        ServerHarness.Resp p = h.post("/v1/topics/cpu/records", """
                {"records": [
                  {"name": "cpu.usage", "tags": {"host": "a"}, "value": 0.42, "timestamp": 1732470000000},
                  {"name": "cpu.usage", "tags": {"host": "a"}, "value": 0.43, "timestamp": 1732470001000},
                  {"name": "cpu.usage", "tags": {"host": "b"}, "value": 7, "timestamp": 1732470002000, "partition": 3}
                ]}""");
        assertThat(p.status()).as(p.body()).isEqualTo(200);
        JsonNode offsets = p.json().get("offsets");
        int total = 0;
        for (JsonNode o : offsets) {
            assertThat(o.get("baseOffset").asLong()).isZero();
            total += o.get("count").asInt();
        }
        assertThat(total).isEqualTo(3);
        // host=a goes where the series key hashes, both samples in order
        int pa = io.tierlog.core.SeriesKey.partitionFor(
                io.tierlog.core.SeriesKey.of("cpu.usage", Map.of("host", "a")).toBytes(), 4);
        JsonNode read = h.get("/v1/topics/cpu/partitions/" + pa + "/records?offset=0").json();
        JsonNode recs = read.get("records");
        List<Double> values = new ArrayList<>();
        recs.forEach(r -> {
            if (r.get("tags").get("host").asText().equals("a")) {
                values.add(r.get("value").asDouble());
            }
        });
        assertThat(values).containsExactly(0.42, 0.43);
        JsonNode first = recs.get(0);
        assertThat(first.get("offset").asLong()).isZero();
        assertThat(first.get("name").asText()).isEqualTo("cpu.usage");
        assertThat(read.get("nextOffset").asLong()).isEqualTo(recs.size());
        assertThat(read.get("highWatermark").asLong()).isEqualTo(recs.size());
        assertThat(read.get("tiers").get("hot").asInt()).isEqualTo(recs.size());
        assertThat(read.get("tiers").get("cold").asInt()).isZero();

        JsonNode p3 = h.get("/v1/topics/cpu/partitions/3/records?offset=0&maxRecords=10").json();
        assertThat(p3.get("records").findValuesAsText("host")).contains("b");

        // by time within a partition, [from, to)
        JsonNode byTime = h.get("/v1/topics/cpu/partitions/" + pa + "/records?from=1732470001000&to=1732470002000").json();
        assertThat(byTime.get("records")).hasSize(1);
        assertThat(byTime.get("records").get(0).get("value").asDouble()).isEqualTo(0.43);

        // across partitions, ordered by timestamp, with filters
        JsonNode all = h.get("/v1/topics/cpu/records?from=1732470000000&to=1732470003000").json();
        List<Long> ts = new ArrayList<>();
        all.get("records").forEach(r -> ts.add(r.get("timestamp").asLong()));
        assertThat(ts).containsExactly(1732470000000L, 1732470001000L, 1732470002000L);
        assertThat(all.get("records").get(2).get("partition").asInt()).isEqualTo(3);
        assertThat(h.get("/v1/topics/cpu/records?from=0&to=1732470003000&tag=host:b").json().get("records")).hasSize(1);
        assertThat(h.get("/v1/topics/cpu/records?from=0&to=1732470003000&name=cpu.usage&maxRecords=2").json()
                .get("records")).hasSize(2);
        assertThat(h.get("/v1/topics/cpu/records?from=0&to=1732470003000&name=mem").json().get("records")).isEmpty();

        // offsets for timestamp
        assertThat(h.get("/v1/topics/cpu/partitions/" + pa + "/offsets?timestamp=1732470000500").json()
                .get("offset").asLong()).isEqualTo(1);
        assertThat(h.get("/v1/topics/cpu/partitions/" + pa + "/offsets?timestamp=1832470000500").json()
                .get("offset").asLong()).isEqualTo(2);
    }

    @Test
    void bytesTopicJsonAndBase64() {
        h.createTopic("events", 1, "{\"schema\":\"bytes\"}");
        byte[] bin = {0, (byte) 0xff, 3};
        ServerHarness.Resp p = h.post("/v1/topics/events/records?acks=durable", """
                {"records": [
                  {"key": "user-1", "value": {"clicked": true, "n": [1, 2]}, "timestamp": 5, "headers": {"h": "v"}},
                  {"key": "user-2", "valueBase64": "%s"},
                  {"value": "just text"}
                ]}""".formatted(Base64.getEncoder().encodeToString(bin)));
        assertThat(p.status()).as(p.body()).isEqualTo(200);
        JsonNode recs = h.get("/v1/topics/events/partitions/0/records?offset=0").json().get("records");
        assertThat(recs).hasSize(3);
        assertThat(recs.get(0).get("key").asText()).isEqualTo("user-1");
        assertThat(recs.get(0).get("value").get("n").get(1).asInt()).isEqualTo(2);
        assertThat(recs.get(0).get("headers").get("h").asText()).isEqualTo("v");
        assertThat(recs.get(0).get("timestamp").asLong()).isEqualTo(5);
        assertThat(Base64.getDecoder().decode(recs.get(1).get("valueBase64").asText())).isEqualTo(bin);
        assertThat(recs.get(2).get("value").asText()).isEqualTo("just text");
        assertThat(recs.get(2).get("key").isNull()).isTrue();
    }

    @Test
    void binaryProduceAndConsume() {
        h.createTopic("bin", 2, null);
        BatchBuilder b = new BatchBuilder(Compression.LZ4);
        for (int i = 0; i < 5; i++) {
            MetricCodec.append(b, new MetricEvent("m", Map.of("i", "" + i), 1000 + i, i), Limits.DEFAULTS);
        }
        RecordBatch batch = b.build(777); // offsets in the batch are ignored
        byte[] bytes = new byte[batch.sizeInBytes()];
        batch.buffer().get(bytes);
        ServerHarness.Resp p = h.post("/v1/topics/bin/records?partition=1", HttpApi.BATCH_MEDIA_TYPE, bytes);
        assertThat(p.status()).as(p.body()).isEqualTo(200);
        assertThat(p.json().get("offsets").get(0).get("baseOffset").asLong()).isZero();
        assertThat(p.json().get("offsets").get(0).get("count").asInt()).isEqualTo(5);
        assertThat(h.post("/v1/topics/bin/records", HttpApi.BATCH_MEDIA_TYPE, bytes).status()).isEqualTo(400);

        ServerHarness.Resp raw = h.get("/v1/topics/bin/partitions/1/records?offset=0", HttpApi.BATCH_MEDIA_TYPE);
        assertThat(raw.status()).isEqualTo(200);
        assertThat(raw.header("Content-Type")).startsWith(HttpApi.BATCH_MEDIA_TYPE);
        List<RecordBatch> back = RecordBatch.parseAll(ByteBuffer.wrap(raw.raw().body()));
        assertThat(back).hasSize(1);
        assertThat(back.get(0).baseOffset()).isZero();
        assertThat(back.get(0).records()).hasSize(5);
        assertThat(MetricCodec.decode(back.get(0).records().get(4)).value()).isEqualTo(4.0);
        assertThat(h.get("/v1/topics/bin/partitions/1/records?offset=3").json().get("records").get(0)
                .get("tags").get("i").asText()).isEqualTo("3");
    }

    @Test
    void consumerOffsets() {
        h.createTopic("co", 2, null);
        assertThat(h.put("/v1/groups/g1/offsets", "{\"topic\":\"co\",\"offsets\":[{\"partition\":0,\"offset\":42},{\"partition\":1,\"offset\":7}]}")
                .status()).isEqualTo(204);
        JsonNode got = h.get("/v1/groups/g1/offsets?topic=co").json().get("offsets");
        assertThat(got).hasSize(2);
        assertThat(got.get(0).get("partition").asInt()).isZero();
        assertThat(got.get(0).get("offset").asLong()).isEqualTo(42);
        assertThat(got.get(1).get("offset").asLong()).isEqualTo(7);
        assertThat(h.get("/v1/groups/other/offsets?topic=co").json().get("offsets")).isEmpty();
        assertThat(h.get("/v1/groups/g1/offsets?topic=nope").status()).isEqualTo(404);
        assertThat(h.put("/v1/groups/g1/offsets", "{\"topic\":\"co\",\"offsets\":[{\"partition\":5,\"offset\":1}]}").status())
                .isEqualTo(400);
    }

    @Test
    void outOfRangeCarriesBounds() {
        h.createTopic("oor", 1, null);
        h.post("/v1/topics/oor/records", "{\"records\":[{\"name\":\"a\",\"value\":1},{\"name\":\"a\",\"value\":2}]}");
        ServerHarness.Resp r = h.get("/v1/topics/oor/partitions/0/records?offset=3");
        assertThat(r.status()).isEqualTo(416);
        assertThat(r.json().get("error").asText()).isEqualTo("offset_out_of_range");
        assertThat(r.json().get("logStartOffset").asLong()).isZero();
        assertThat(r.json().get("highWatermark").asLong()).isEqualTo(2);
        assertThat(r.json().get("message").asText()).isNotBlank();
        // at the high watermark without wait: an empty page
        JsonNode empty = h.get("/v1/topics/oor/partitions/0/records?offset=2").json();
        assertThat(empty.get("records")).isEmpty();
        assertThat(empty.get("nextOffset").asLong()).isEqualTo(2);
    }

    @Test
    void errorShapesOfEveryCode() {
        ServerHarness.Resp nf = h.get("/v1/no/such/path");
        assertThat(nf.status()).isEqualTo(404);
        assertThat(nf.json().get("error").asText()).isEqualTo("not_found");
        ServerHarness.Resp media = h.post("/v1/topics", "text/plain", "{}".getBytes(StandardCharsets.UTF_8));
        assertThat(media.status()).isEqualTo(415);
        assertThat(media.json().get("error").asText()).isEqualTo("unsupported_media_type");
        ServerHarness.Resp big = h.post("/v1/topics", "application/json", new byte[16 * 1024 * 1024 + 1]);
        assertThat(big.status()).isEqualTo(413);
        assertThat(big.json().get("error").asText()).isEqualTo("payload_too_large");
        ApiException overloaded = HttpApi.toApi(new OverloadedException("ring full"));
        assertThat(overloaded.status).isEqualTo(503);
        assertThat(overloaded.code).isEqualTo("overloaded");
    }
}
