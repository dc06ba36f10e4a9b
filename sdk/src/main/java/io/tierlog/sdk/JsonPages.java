package io.tierlog.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import io.tierlog.core.Header;
import io.tierlog.core.MetricCodec;
import io.tierlog.core.MetricEvent;
import io.tierlog.core.MetricType;
import io.tierlog.core.SeriesKey;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.TreeMap;

/** One JSON page of the HTTP API's record reads, turned into {@link ConsumedRecord}s (the query client's pages). */
final class JsonPages {

    private JsonPages() {
    }

    /** One answer of a records endpoint. {@code highWatermark} is -1 when the answer did not carry it. */
    record Page(List<ConsumedRecord> records, long nextOffset, long highWatermark, long hot, long cold) {
    }

    /** Reads up to {@code maxRecords} records of one partition from {@code offset} (no long poll). */
    static Page offsetPage(Http http, String topic, int partition, long offset, int maxRecords, Duration requestTimeout) {
        String path = "/v1/topics/" + Http.enc(topic) + "/partitions/" + partition + "/records?offset=" + offset
                + "&maxRecords=" + maxRecords;
        HttpResponse<byte[]> r = http.send(http.request(path, requestTimeout).header("Accept", "application/json").GET().build());
        if (r.body().length == 0) {
            return new Page(List.of(), offset, -1, 0, 0);
        }
        return parseJson(Http.parse(r), topic, partition);
    }

    static Page parseJson(JsonNode n, String topic, int partition) {
        List<ConsumedRecord> out = new ArrayList<>();
        for (JsonNode rec : n.path("records")) {
            out.add(fromJson(topic, partition, rec));
        }
        return new Page(out, n.path("nextOffset").asLong(-1), n.path("highWatermark").asLong(-1),
                n.path("tiers").path("hot").asLong(0), n.path("tiers").path("cold").asLong(0));
    }

    static ConsumedRecord fromJson(String topic, int defaultPartition, JsonNode r) {
        int partition = r.has("partition") ? r.path("partition").asInt() : defaultPartition;
        long offset = r.path("offset").asLong();
        long ts = r.path("timestamp").asLong();
        if (r.has("name")) {
            TreeMap<String, String> tags = new TreeMap<>();
            r.path("tags").properties().forEach(e -> tags.put(e.getKey(), e.getValue().asText()));
            JsonNode v = r.path("value");
            double value = v.isNumber() ? v.doubleValue() : Double.parseDouble(v.asText("NaN"));
            MetricType type = r.has("type") ? MetricType.parse(r.path("type").asText()) : MetricType.UNTYPED;
            MetricEvent m = new MetricEvent(r.path("name").asText(), tags, ts, value, type);
            return new ConsumedRecord(topic, partition, offset, ts, SeriesKey.of(m.name(), tags).toBytes(),
                    MetricCodec.encodeValue(value, type), List.of(), m);
        }
        JsonNode k = r.path("key");
        byte[] key = k.isMissingNode() || k.isNull() ? null : k.asText().getBytes(StandardCharsets.UTF_8);
        byte[] value;
        if (r.hasNonNull("valueBase64")) {
            value = Base64.getDecoder().decode(r.path("valueBase64").asText());
        } else {
            JsonNode v = r.path("value");
            // the server stores a JSON "value" as its JSON text and shows stored bytes that parse as JSON that way
            value = v.isMissingNode() || v.isNull() ? null : v.toString().getBytes(StandardCharsets.UTF_8);
        }
        List<Header> headers = new ArrayList<>();
        r.path("headers").properties().forEach(e -> headers.add(new Header(e.getKey(),
                e.getValue().isNull() ? null : e.getValue().asText().getBytes(StandardCharsets.UTF_8))));
        return new ConsumedRecord(topic, partition, offset, ts, key, value, headers, null);
    }
}
