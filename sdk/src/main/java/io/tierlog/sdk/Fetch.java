package io.tierlog.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import io.tierlog.core.CorruptBatchException;
import io.tierlog.core.Header;
import io.tierlog.core.MetricCodec;
import io.tierlog.core.MetricEvent;
import io.tierlog.core.MetricType;
import io.tierlog.core.Record;
import io.tierlog.core.RecordBatch;
import io.tierlog.core.SeriesKey;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.TreeMap;

/** Reads one page of records (JSON or binary batches) and turns it into {@link ConsumedRecord}s. */
final class Fetch {
    static final String HIGH_WATERMARK_HEADER = "Tierlog-High-Watermark";
    static final String NEXT_OFFSET_HEADER = "Tierlog-Next-Offset";

    private static final java.lang.invoke.VarHandle DOUBLE_BE =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(double[].class, java.nio.ByteOrder.BIG_ENDIAN);

    private static final MetricType[] TYPES = MetricType.values();

    private Fetch() {
    }

    /** One answer of a records endpoint. {@code highWatermark} is -1 when the answer did not carry it. */
    record Page(List<ConsumedRecord> records, long nextOffset, long highWatermark, long hot, long cold) {
    }

    static HttpRequest offsetRequest(Http http, String topic, int partition, long offset, int maxRecords, long maxWaitMs,
                                     boolean binary, Duration requestTimeout) {
        String path = "/v1/topics/" + Http.enc(topic) + "/partitions/" + partition + "/records?offset=" + offset
                + "&maxRecords=" + maxRecords + (maxWaitMs > 0 ? "&maxWaitMs=" + maxWaitMs : "");
        return http.request(path, requestTimeout.plusMillis(maxWaitMs))
                .header("Accept", binary ? Http.BATCH_MEDIA_TYPE + ", application/json;q=0.5" : "application/json")
                .GET().build();
    }

    /** Parses an answer of the per-partition offset read, JSON or binary, keeping offsets >= {@code from}. */
    static Page parse(HttpResponse<byte[]> r, String topic, int partition, long from, boolean metricsTopic) {
        return parse(r, topic, partition, from, metricsTopic, Integer.MAX_VALUE);
    }

    /**
     * As above, decoding at most {@code maxRecords} records of a binary answer; the page's next offset is then
     * the one after the last record decoded. A binary answer is bounded by bytes of stored (compressed)
     * batches, so it can hold ten times more records than a consumer takes per fetch; decoding them all
     * and refetching the rest made the tailing consumer decode each record about ten times.
     */
    static Page parse(HttpResponse<byte[]> r, String topic, int partition, long from, boolean metricsTopic,
                      int maxRecords) {
        if (r.statusCode() / 100 != 2) {
            throw Http.error(r);
        }
        String type = r.headers().firstValue("Content-Type").orElse("");
        if (type.startsWith(Http.BATCH_MEDIA_TYPE)) {
            return parseBinary(r, topic, partition, from, metricsTopic, maxRecords);
        }
        if (r.body().length == 0) {
            return new Page(List.of(), from, -1, 0, 0);
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

    private static Page parseBinary(HttpResponse<byte[]> r, String topic, int partition, long from, boolean metricsTopic,
                                    int maxRecords) {
        List<ConsumedRecord> out = new ArrayList<>();
        long next = from;
        ByteBuffer buf = ByteBuffer.wrap(r.body());
        for (RecordBatch b : RecordBatch.iterate(buf)) {
            if (!b.isValidHeaderAndCrc()) {
                throw new CorruptBatchException("batch at offset " + b.baseOffset() + " of " + topic + "-" + partition
                        + " failed its CRC check");
            }
            if (b.lastOffset() < from) {
                continue;
            }
            for (Record rec : b.records()) {
                if (rec.offset() < from) {
                    continue;
                }
                MetricEvent metric = metricsTopic ? decodeMetric(rec) : null;
                out.add(new ConsumedRecord(topic, partition, rec.offset(), rec.timestamp(), rec.key(), rec.value(),
                        rec.headers(), metric));
                next = Math.max(next, rec.offset() + 1);
            }
            if (out.size() >= maxRecords) {
                break; // the batch's records are all kept (the caller trims); later batches are fetched again
            }
        }
        long hw = r.headers().firstValue(HIGH_WATERMARK_HEADER).map(Long::parseLong).orElse(-1L);
        if (out.size() < maxRecords) {
            next = Math.max(next, r.headers().firstValue(NEXT_OFFSET_HEADER).map(Long::parseLong).orElse(next));
        }
        return new Page(out, next, hw, 0, 0);
    }

    /**
     * {@link MetricCodec#decode}, written out: {@link SeriesKey#parse(byte[])} caches parsed keys (a page of
     * thousands of samples holds far fewer series), and hashing the key bytes there is cheaper than the
     * per-page {@code HashMap<ByteBuffer, SeriesKey>} this used before (ByteBuffer.hashCode showed in JFR).
     */
    private static MetricEvent decodeMetric(Record rec) {
        if (rec.key() == null || rec.value() == null || rec.value().length != MetricCodec.VALUE_SIZE) {
            return MetricCodec.decode(rec); // throws the codec's own "not a metric sample" error
        }
        SeriesKey key = SeriesKey.parse(rec.key());
        byte[] v = rec.value();
        MetricType type = type(v[0]);
        return new MetricEvent(key.name(), key.tags(), rec.timestamp(), (double) DOUBLE_BE.get(v, 1), type);
    }

    /** {@link MetricType#fromId} without its per-call {@code values()} copy. */
    private static MetricType type(int id) {
        for (MetricType t : TYPES) {
            if (t.id() == id) {
                return t;
            }
        }
        return MetricType.fromId(id); // throws the codec's own "unknown metric type id" error
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
