package io.tierlog.server;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tierlog.core.BatchBuilder;
import io.tierlog.core.Compression;
import io.tierlog.core.CorruptBatchException;
import io.tierlog.core.Header;
import io.tierlog.core.InvalidInputException;
import io.tierlog.core.Limits;
import io.tierlog.core.MetricCodec;
import io.tierlog.core.MetricEvent;
import io.tierlog.core.MetricType;
import io.tierlog.core.Record;
import io.tierlog.core.RecordBatch;
import io.tierlog.core.SeriesKey;
import io.tierlog.core.Validation;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The JSON shapes of records (docs/api-notes.md, "Endpoints"): turns a produce body into one batch per
 * partition, strictly (unknown fields, wrong types and limits are rejected with the index of the record),
 * and renders stored records back with a streaming generator.
 */
final class RecordJson {
    private static final Set<String> METRIC_FIELDS = Set.of("name", "tags", "value", "timestamp", "partition", "type");
    private static final Set<String> BYTES_FIELDS = Set.of("key", "value", "valueBase64", "timestamp", "headers", "partition");

    private final ObjectMapper json;
    private final Limits limits;
    private final AtomicInteger roundRobin = new AtomicInteger();

    RecordJson(ObjectMapper json, Limits limits) {
        this.json = json;
        this.limits = limits;
    }

    /**
     * Parses a request body as one JSON value, with the API's settings ({@code json}): an empty or malformed body,
     * trailing tokens, duplicate keys and Jackson's read limits (nesting, number and string lengths) answer 400.
     */
    static JsonNode parseJson(ObjectMapper json, byte[] body) {
        if (body.length == 0) {
            throw ApiException.badRequest("request body is empty; a JSON object is expected");
        }
        try {
            JsonNode n = json.readTree(body);
            if (n == null || n.isMissingNode()) {
                throw ApiException.badRequest("request body is empty; a JSON object is expected");
            }
            return n;
        } catch (IOException e) {
            String m = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw ApiException.badRequest("malformed JSON: " + m);
        }
    }

    /**
     * Parses a JSON produce body into one encoded batch per partition (all validated before anything is
     * appended, so a bad record rejects the whole request), compressed with {@code codec}.
     */
    Map<Integer, RecordBatch> parseProduce(JsonNode root, boolean metrics, int partitions, long nowMs, Compression codec) {
        if (root == null || !root.isObject()) {
            throw ApiException.badRequest("body must be a JSON object {\"records\": [...]}");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!f.equals("records")) {
                throw ApiException.badRequest("unknown field '" + f + "' in body; expected only 'records'");
            }
        }
        JsonNode records = root.get("records");
        if (records == null || !records.isArray()) {
            throw ApiException.badRequest("'records' must be a JSON array");
        }
        if (records.isEmpty()) {
            throw ApiException.badRequest("'records' must hold at least one record");
        }
        Map<Integer, BatchBuilder> builders = new TreeMap<>();
        int i = 0;
        for (JsonNode r : records) {
            try {
                if (metrics) {
                    addMetric(r, partitions, nowMs, builders, codec);
                } else {
                    addBytes(r, partitions, nowMs, builders, codec);
                }
            } catch (ApiException e) {
                throw new ApiException(e.status, e.code, "records[" + i + "]: " + e.getMessage(), e.extra);
            } catch (InvalidInputException e) {
                throw ApiException.badRequest("records[" + i + "]: " + e.getMessage());
            }
            i++;
        }
        Map<Integer, RecordBatch> out = new TreeMap<>();
        builders.forEach((p, b) -> out.put(p, b.build()));
        return out;
    }

    private void addMetric(JsonNode r, int partitions, long nowMs, Map<Integer, BatchBuilder> builders, Compression codec) {
        checkFields(r, METRIC_FIELDS);
        String name = requiredText(r, "name");
        TreeMap<String, String> tags = new TreeMap<>();
        JsonNode t = r.get("tags");
        if (t != null && !t.isNull()) {
            if (!t.isObject()) {
                throw ApiException.badRequest("'tags' must be an object of strings");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = t.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isTextual()) {
                    throw ApiException.badRequest("tag '" + e.getKey() + "' must have a string value");
                }
                tags.put(e.getKey(), e.getValue().textValue());
            }
        }
        JsonNode v = r.get("value");
        if (v == null || !v.isNumber()) {
            throw ApiException.badRequest("'value' is required and must be a number");
        }
        MetricType type = MetricType.UNTYPED;
        JsonNode ty = r.get("type");
        if (ty != null && !ty.isNull()) {
            if (!ty.isTextual()) {
                throw ApiException.badRequest("'type' must be a string");
            }
            try {
                type = MetricType.valueOf(ty.textValue().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("'type' must be one of untyped, gauge, counter, histogram, summary");
            }
        }
        long ts = timestamp(r, nowMs);
        MetricEvent event = new MetricEvent(name, tags, ts, v.doubleValue(), type);
        Validation.metricEvent(event, limits);
        byte[] key = event.seriesKey().toBytes();
        int p = partition(r, partitions, key);
        MetricCodec.append(builders.computeIfAbsent(p, x -> new BatchBuilder(codec)), event, limits);
    }

    private void addBytes(JsonNode r, int partitions, long nowMs, Map<Integer, BatchBuilder> builders, Compression codec) {
        checkFields(r, BYTES_FIELDS);
        byte[] key = null;
        JsonNode k = r.get("key");
        if (k != null && !k.isNull()) {
            if (!k.isTextual()) {
                throw ApiException.badRequest("'key' must be a string");
            }
            key = k.textValue().getBytes(StandardCharsets.UTF_8);
            if (key.length > limits.maxRecordValueBytes()) {
                throw ApiException.tooLarge("key of " + key.length + " bytes exceeds the limit of "
                        + limits.maxRecordValueBytes() + " bytes");
            }
        }
        JsonNode v = r.get("value");
        JsonNode v64 = r.get("valueBase64");
        if (v != null && v64 != null) {
            throw ApiException.badRequest("give either 'value' or 'valueBase64', not both");
        }
        byte[] value = null;
        if (v64 != null && !v64.isNull()) {
            if (!v64.isTextual()) {
                throw ApiException.badRequest("'valueBase64' must be a base64 string");
            }
            try {
                value = Base64.getDecoder().decode(v64.textValue());
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("'valueBase64' is not valid base64: " + e.getMessage());
            }
        } else if (v != null && !v.isNull()) {
            try {
                value = json.writeValueAsBytes(v);
            } catch (IOException e) {
                throw ApiException.badRequest("'value' cannot be encoded: " + e.getMessage());
            }
        }
        if (value != null && value.length > limits.maxRecordValueBytes()) {
            throw ApiException.tooLarge("record value of " + value.length + " bytes exceeds the limit of "
                    + limits.maxRecordValueBytes() + " bytes");
        }
        List<Header> headers = new ArrayList<>();
        JsonNode h = r.get("headers");
        if (h != null && !h.isNull()) {
            if (!h.isObject()) {
                throw ApiException.badRequest("'headers' must be an object of strings");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = h.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode hv = e.getValue();
                if (!hv.isTextual() && !hv.isNull()) {
                    throw ApiException.badRequest("header '" + e.getKey() + "' must have a string value");
                }
                headers.add(new Header(e.getKey(), hv.isNull() ? null : hv.textValue().getBytes(StandardCharsets.UTF_8)));
            }
        }
        long ts = timestamp(r, nowMs);
        int p = partition(r, partitions, key);
        builders.computeIfAbsent(p, x -> new BatchBuilder(codec)).add(ts, key, value, headers);
    }

    private static void checkFields(JsonNode r, Set<String> allowed) {
        if (r == null || !r.isObject()) {
            throw ApiException.badRequest("a record must be a JSON object");
        }
        for (Iterator<String> it = r.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                throw ApiException.badRequest("unknown field '" + f + "'; allowed: " + String.join(", ", new java.util.TreeSet<>(allowed)));
            }
        }
    }

    private static String requiredText(JsonNode r, String field) {
        JsonNode n = r.get(field);
        if (n == null || !n.isTextual()) {
            throw ApiException.badRequest("'" + field + "' is required and must be a string");
        }
        return n.textValue();
    }

    private static long timestamp(JsonNode r, long nowMs) {
        JsonNode n = r.get("timestamp");
        if (n == null || n.isNull()) {
            return nowMs;
        }
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw ApiException.badRequest("'timestamp' must be a whole number of epoch milliseconds");
        }
        long ts = n.longValue();
        Validation.timestamp(ts);
        return ts;
    }

    private int partition(JsonNode r, int partitions, byte[] key) {
        JsonNode n = r.get("partition");
        if (n != null && !n.isNull()) {
            if (!n.isIntegralNumber() || !n.canConvertToInt()) {
                throw ApiException.badRequest("'partition' must be a whole number");
            }
            int p = n.intValue();
            if (p < 0 || p >= partitions) {
                throw ApiException.badRequest("'partition' " + p + " is outside 0.." + (partitions - 1));
            }
            return p;
        }
        if (key != null) {
            return SeriesKey.partitionFor(key, partitions);
        }
        return (roundRobin.getAndIncrement() & 0x7fffffff) % partitions;
    }

    /** Writes one record as the API's JSON object; {@code partition} is included when >= 0. */
    void write(JsonGenerator g, Record r, boolean metrics, int partition) throws IOException {
        g.writeStartObject();
        if (partition >= 0) {
            g.writeNumberField("partition", partition);
        }
        g.writeNumberField("offset", r.offset());
        g.writeNumberField("timestamp", r.timestamp());
        MetricEvent e = metrics ? tryDecode(r) : null;
        if (e != null) {
            g.writeStringField("name", e.name());
            g.writeObjectFieldStart("tags");
            for (Map.Entry<String, String> t : e.tags().entrySet()) {
                g.writeStringField(t.getKey(), t.getValue());
            }
            g.writeEndObject();
            g.writeNumberField("value", e.value());
            if (e.type() != MetricType.UNTYPED) {
                g.writeStringField("type", e.type().name().toLowerCase(Locale.ROOT));
            }
        } else {
            String key = r.key() == null ? null : utf8(r.key());
            if (r.key() == null) {
                g.writeNullField("key");
            } else if (key != null) {
                g.writeStringField("key", key);
            } else {
                g.writeStringField("keyBase64", Base64.getEncoder().encodeToString(r.key()));
            }
            writeValue(g, r.value());
            g.writeObjectFieldStart("headers");
            for (Header h : r.headers()) {
                if (h.value() == null) {
                    g.writeNullField(h.key());
                } else {
                    String s = utf8(h.value());
                    g.writeStringField(h.key(), s != null ? s : Base64.getEncoder().encodeToString(h.value()));
                }
            }
            g.writeEndObject();
        }
        g.writeEndObject();
    }

    private void writeValue(JsonGenerator g, byte[] value) throws IOException {
        if (value == null) {
            g.writeNullField("value");
            return;
        }
        JsonNode parsed = null;
        if (value.length > 0) {
            try {
                parsed = json.readTree(value);
            } catch (IOException e) {
                parsed = null;
            }
        }
        if (parsed != null && !parsed.isMissingNode()) {
            g.writeFieldName("value");
            g.writeTree(parsed);
        } else {
            g.writeStringField("valueBase64", Base64.getEncoder().encodeToString(value));
        }
    }

    private static MetricEvent tryDecode(Record r) {
        try {
            return MetricCodec.decode(r);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static String utf8(byte[] b) {
        try {
            CharBuffer cb = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b));
            return cb.toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
