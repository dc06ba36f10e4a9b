package io.tierlog.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.prometheus.write.v2.Types.Request;
import io.tierlog.receivers.proto.prometheus.Remote.WriteRequest;
import io.tierlog.receivers.proto.prometheus.Types.Histogram;
import io.tierlog.receivers.proto.prometheus.Types.Label;
import io.tierlog.receivers.proto.prometheus.Types.Sample;
import io.tierlog.receivers.proto.prometheus.Types.TimeSeries;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xerial.snappy.Snappy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code POST /api/v1/write} against a whole server: 1.0 and 2.0 requests stored as ordinary metric records and read
 * back through the topic query API, the 2.0 written headers, topic selection, and bad input answered with a 4xx and
 * the reason while nothing of the request is stored and the server keeps serving.
 */
class RemoteWriteReceiverTest {
    private static final String V1 = "application/x-protobuf";
    private static final String V2 = "application/x-protobuf;proto=io.prometheus.write.v2.Request";

    @TempDir
    static Path dir;
    static ServerHarness h;

    @BeforeAll
    static void start() {
        h = new ServerHarness(dir.resolve("data"));
        h.createTopic("metrics", 3, "{\"schema\":\"metrics\"}");
        h.createTopic("other", 1, "{\"schema\":\"metrics\"}");
        h.createTopic("blobs", 1, "{\"schema\":\"bytes\"}");
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    static ServerHarness.Resp write(String path, String contentType, String encoding, byte[] body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(h.base + path))
                .header("Content-Type", contentType).header("X-Prometheus-Remote-Write-Version", "0.1.0");
        if (encoding != null) {
            b.header("Content-Encoding", encoding);
        }
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return h.send(b.POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    static byte[] snappy(byte[] raw) {
        try {
            return Snappy.compress(raw);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static TimeSeries series(String name, Map<String, String> labels, long... tsAndValues) {
        TimeSeries.Builder b = TimeSeries.newBuilder()
                .addLabels(Label.newBuilder().setName("__name__").setValue(name));
        labels.forEach((k, v) -> b.addLabels(Label.newBuilder().setName(k).setValue(v)));
        for (int i = 0; i < tsAndValues.length; i += 2) {
            b.addSamples(Sample.newBuilder().setTimestamp(tsAndValues[i]).setValue(tsAndValues[i + 1]));
        }
        return b.build();
    }

    /** The stored records of one metric in a topic, as the query API returns them. */
    static List<JsonNode> stored(String topic, String name) {
        ServerHarness.Resp r = h.get("/v1/topics/" + topic + "/records?from=0&to=9999999999999&name=" + name);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        List<JsonNode> out = new ArrayList<>();
        r.json().get("records").forEach(out::add);
        return out;
    }

    @Test
    void v1_samples_are_stored_as_metric_records_and_read_back() {
        WriteRequest req = WriteRequest.newBuilder()
                .addTimeseries(series("rw1_requests_total", Map.of("job", "api", "code", "200"), 1_000, 1, 2_000, 3))
                .addTimeseries(series("rw1_requests_total", Map.of("job", "api", "code", "500"), 1_500, 7))
                .build();

        ServerHarness.Resp r = write("/api/v1/write", V1, "snappy", snappy(req.toByteArray()));

        assertThat(r.status()).as(r.body()).isEqualTo(204);
        List<JsonNode> got = stored("metrics", "rw1_requests_total");
        assertThat(got).extracting(n -> n.get("tags").get("code").asText() + "@" + n.get("timestamp").asLong() + "="
                + n.get("value").asDouble()).containsExactlyInAnyOrder("200@1000=1.0", "200@2000=3.0", "500@1500=7.0");
    }

    @Test
    void v2_samples_are_stored_with_their_type_and_the_written_headers_count_them() {
        Request req = Request.newBuilder()
                .addAllSymbols(Arrays.asList("", "__name__", "rw2_jobs_total", "job", "batch"))
                .addTimeseries(io.prometheus.write.v2.Types.TimeSeries.newBuilder()
                        .addAllLabelsRefs(Arrays.asList(1, 2, 3, 4))
                        .addSamples(io.prometheus.write.v2.Types.Sample.newBuilder().setTimestamp(10_000).setValue(5))
                        .addSamples(io.prometheus.write.v2.Types.Sample.newBuilder().setTimestamp(20_000).setValue(6))
                        .addExemplars(io.prometheus.write.v2.Types.Exemplar.newBuilder().setTimestamp(20_000).setValue(1))
                        .setMetadata(io.prometheus.write.v2.Types.Metadata.newBuilder()
                                .setType(io.prometheus.write.v2.Types.Metadata.MetricType.METRIC_TYPE_COUNTER)))
                .build();

        ServerHarness.Resp r = write("/api/v1/write", V2, "snappy", snappy(req.toByteArray()),
                "X-Prometheus-Remote-Write-Version", "2.0.0");

        assertThat(r.status()).as(r.body()).isEqualTo(204);
        assertThat(r.header("X-Prometheus-Remote-Write-Samples-Written")).isEqualTo("2");
        assertThat(r.header("X-Prometheus-Remote-Write-Histograms-Written")).isEqualTo("0");
        // the exemplar is not stored, and the header says so (the sender sees 0 of 1 written)
        assertThat(r.header("X-Prometheus-Remote-Write-Exemplars-Written")).isEqualTo("0");
        List<JsonNode> got = stored("metrics", "rw2_jobs_total");
        assertThat(got).extracting(n -> n.get("type").asText() + "@" + n.get("timestamp").asLong() + "="
                + n.get("value").asDouble()).containsExactly("counter@10000=5.0", "counter@20000=6.0");
        assertThat(h.get("/metrics").body())
                .contains("tierlog_receiver_exemplars_not_stored_total{door=\"remote_write_v2\"} 1.0")
                .containsPattern("tierlog_receiver_samples_total\\{door=\"remote_write_v2\",outcome=\"accepted\"} [1-9]");
    }

    @Test
    void the_topic_comes_from_the_query_parameter_or_the_header_and_must_be_a_metrics_topic() {
        byte[] a = snappy(WriteRequest.newBuilder().addTimeseries(series("rw_topic_a", Map.of(), 1, 1)).build().toByteArray());
        byte[] b = snappy(WriteRequest.newBuilder().addTimeseries(series("rw_topic_b", Map.of(), 1, 1)).build().toByteArray());
        assertThat(write("/api/v1/write?topic=other", V1, "snappy", a).status()).isEqualTo(204);
        assertThat(write("/api/v1/write", V1, "snappy", b, "X-Tierlog-Topic", "other").status()).isEqualTo(204);
        assertThat(stored("other", "rw_topic_a")).hasSize(1);
        assertThat(stored("other", "rw_topic_b")).hasSize(1);
        assertThat(stored("metrics", "rw_topic_a")).isEmpty();

        ServerHarness.Resp missing = write("/api/v1/write?topic=nope", V1, "snappy", a);
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.json().get("message").asText()).contains("topic 'nope' does not exist");
        ServerHarness.Resp bytesTopic = write("/api/v1/write?topic=blobs", V1, "snappy", a);
        assertThat(bytesTopic.status()).isEqualTo(400);
        assertThat(bytesTopic.json().get("message").asText()).contains("bytes topic");
    }

    @Test
    void bad_input_gets_a_4xx_with_the_reason_stores_nothing_and_the_server_keeps_serving() {
        long before = stored("metrics", "rw_bad").size();
        TimeSeries good = series("rw_bad", Map.of("job", "x"), 5_000, 1);
        expect(400, "not valid snappy", write("/api/v1/write", V1, "snappy", "plainly not snappy".getBytes()));
        expect(400, "not a valid prometheus.WriteRequest", write("/api/v1/write", V1, "snappy", snappy(new byte[]{0x0a, 0x7f, 0x01})));
        expect(415, "Content-Encoding", write("/api/v1/write", V1, null,
                WriteRequest.newBuilder().addTimeseries(good).build().toByteArray()));
        expect(415, "application/json", write("/api/v1/write", "application/json", "snappy", new byte[]{1}));
        // one bad series refuses the whole request: the good series before it is not stored either
        expect(400, "__name__ label is missing", write("/api/v1/write", V1, "snappy", snappy(WriteRequest.newBuilder()
                .addTimeseries(good).addTimeseries(TimeSeries.newBuilder().addLabels(Label.newBuilder().setName("job").setValue("x"))
                        .addSamples(Sample.newBuilder().setTimestamp(1).setValue(1))).build().toByteArray())));
        expect(400, "metric name 'rw-bad'", write("/api/v1/write", V1, "snappy", snappy(WriteRequest.newBuilder()
                .addTimeseries(good).addTimeseries(series("rw-bad", Map.of(), 1, 1)).build().toByteArray())));
        expect(400, "out-of-order", write("/api/v1/write", V1, "snappy", snappy(WriteRequest.newBuilder()
                .addTimeseries(series("rw_bad", Map.of("job", "x"), 5_000, 1, 4_000, 2)).build().toByteArray())));
        expect(400, "native histogram", write("/api/v1/write", V1, "snappy", snappy(WriteRequest.newBuilder()
                .addTimeseries(good.toBuilder().addHistograms(Histogram.newBuilder().setTimestamp(5_000).setCountInt(1)))
                .build().toByteArray())));
        // a snappy header declaring 2 GiB is refused before anything that size is allocated
        expect(413, "declares", write("/api/v1/write", V1, "snappy",
                new byte[]{(byte) 0xfe, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07, 0x00}));
        ServerHarness.Resp v2 = write("/api/v1/write", V2, "snappy", snappy(new byte[]{0x0a, 0x7f}));
        expect(400, "io.prometheus.write.v2.Request", v2);
        assertThat(v2.header("X-Prometheus-Remote-Write-Samples-Written")).isEqualTo("0");

        assertThat(stored("metrics", "rw_bad")).hasSize((int) before);
        // at least the 8 refused 1.0 requests above; the 4 that decoded held 7 samples, counted as rejected
        assertThat(h.get("/metrics").body())
                .containsPattern("tierlog_receiver_samples_total\\{door=\"remote_write_v1\",outcome=\"rejected\"} ([7-9]|[1-9][0-9])")
                .containsPattern("tierlog_receiver_requests_total\\{door=\"remote_write_v1\",outcome=\"rejected\"} ([8-9]|[1-9][0-9])");
        assertThat(write("/api/v1/write", V1, "snappy", snappy(WriteRequest.newBuilder().addTimeseries(good).build()
                .toByteArray())).status()).isEqualTo(204);
        assertThat(stored("metrics", "rw_bad")).hasSize((int) before + 1);
    }

    @Test
    void a_remote_written_sample_is_byte_for_byte_the_record_the_json_produce_writes() {
        h.createTopic("via-json", 1, "{\"schema\":\"metrics\"}");
        h.createTopic("via-rw", 1, "{\"schema\":\"metrics\"}");
        ServerHarness.Resp produced = h.post("/v1/topics/via-json/records", "{\"records\":[{\"name\":\"same_sample\","
                + "\"tags\":{\"job\":\"a\",\"zone\":\"z,1\"},\"value\":2.5,\"timestamp\":1234}]}");
        assertThat(produced.status()).as(produced.body()).isEqualTo(200);
        assertThat(write("/api/v1/write?topic=via-rw", V1, "snappy", snappy(WriteRequest.newBuilder()
                .addTimeseries(TimeSeries.newBuilder().addLabels(Label.newBuilder().setName("__name__").setValue("same_sample"))
                        .addLabels(Label.newBuilder().setName("job").setValue("a"))
                        .addLabels(Label.newBuilder().setName("zone").setValue("z,1"))
                        .addSamples(Sample.newBuilder().setTimestamp(1234).setValue(2.5)))
                .build().toByteArray())).status()).isEqualTo(204);

        List<org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]>> json = kafkaRead("via-json", 1);
        List<org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]>> rw = kafkaRead("via-rw", 1);
        assertThat(rw.getFirst().key()).isEqualTo(json.getFirst().key());
        assertThat(rw.getFirst().value()).isEqualTo(json.getFirst().value());
        assertThat(rw.getFirst().timestamp()).isEqualTo(json.getFirst().timestamp()).isEqualTo(1234);
    }

    /** Reads a one-partition topic from the start over the Kafka listener, as any Kafka consumer would. */
    private static List<org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]>> kafkaRead(String topic, int expected) {
        Map<String, Object> config = Map.of("bootstrap.servers", "127.0.0.1:" + h.server.kafkaPort());
        try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(config,
                new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            var tp = new org.apache.kafka.common.TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            List<org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
            while (out.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(java.time.Duration.ofMillis(500)).forEach(out::add);
            }
            assertThat(out).as("records of " + topic).hasSize(expected);
            return out;
        }
    }

    @Test
    void a_body_over_the_request_limit_is_413() {
        byte[] big = new byte[17 * 1024 * 1024];
        ServerHarness.Resp r = write("/api/v1/write", V1, "snappy", big);
        assertThat(r.status()).isEqualTo(413);
    }

    private static void expect(int status, String reason, ServerHarness.Resp r) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.json()).as(r.body()).isNotNull();
        assertThat(r.json().get("message").asText()).contains(reason);
    }
}
