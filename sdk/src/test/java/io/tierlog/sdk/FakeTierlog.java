package io.tierlog.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.tierlog.core.BatchBuilder;
import io.tierlog.core.Compression;
import io.tierlog.core.MetricCodec;
import io.tierlog.core.MetricEvent;
import io.tierlog.core.Record;
import io.tierlog.core.RecordBatch;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small in-memory stand-in for the Tierlog HTTP API (the parts the SDK speaks), built on the JDK's HTTP
 * server. It counts produce requests and can be told to answer the next produce requests with 503, which
 * the real server cannot be made to do on demand.
 */
final class FakeTierlog implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final Map<String, Topic> topics = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Map<Integer, Long>>> groups = new ConcurrentHashMap<>();
    final AtomicInteger produceRequests = new AtomicInteger();
    final AtomicInteger rejectedWith503 = new AtomicInteger();
    private final Deque<Integer> injectedStatuses = new ArrayDeque<>();
    volatile boolean binaryFetch = true;

    private static final class Topic {
        final String schema;
        final List<List<Record>> partitions = new ArrayList<>();

        Topic(String schema, int n) {
            this.schema = schema;
            for (int i = 0; i < n; i++) {
                partitions.add(new ArrayList<>());
            }
        }
    }

    FakeTierlog() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", this::handle);
        server.start();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** The next produce requests answer these statuses (503 with Retry-After: 0) before being served. */
    synchronized void injectProduceFailures(int... statuses) {
        for (int s : statuses) {
            injectedStatuses.add(s);
        }
    }

    synchronized int recordCount(String topic) {
        return topics.get(topic).partitions.stream().mapToInt(List::size).sum();
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getRawPath();
            Map<String, List<String>> q = query(ex.getRequestURI().getRawQuery());
            String[] parts = path.substring(1).split("/");
            String m = ex.getRequestMethod();
            if (path.equals("/v1/health")) {
                json(ex, 200, JSON.createObjectNode().put("status", "ok"));
            } else if (path.equals("/v1/topics") && m.equals("POST")) {
                JsonNode body = JSON.readTree(ex.getRequestBody());
                String name = body.path("name").asText();
                Topic t = new Topic(body.path("config").path("schema").asText("metrics"), body.path("partitions").asInt());
                if (topics.putIfAbsent(name, t) != null) {
                    error(ex, 409, "conflict", "topic " + name + " exists");
                    return;
                }
                json(ex, 201, describe(name, t));
            } else if (parts.length == 3 && parts[1].equals("topics") && m.equals("GET")) {
                Topic t = topics.get(parts[2]);
                if (t == null) {
                    error(ex, 404, "not_found", "topic " + parts[2] + " does not exist");
                    return;
                }
                json(ex, 200, describe(parts[2], t));
            } else if (parts.length == 4 && parts[3].equals("records") && m.equals("POST")) {
                produce(ex, parts[2], Integer.parseInt(q.get("partition").get(0)));
            } else if (parts.length == 6 && parts[5].equals("records") && m.equals("GET")) {
                fetch(ex, parts[2], Integer.parseInt(parts[4]), Long.parseLong(first(q, "offset", "0")),
                        Integer.parseInt(first(q, "maxRecords", "10000")), Long.parseLong(first(q, "maxWaitMs", "0")));
            } else if (parts.length == 6 && parts[5].equals("offsets") && m.equals("GET")) {
                offsetForTime(ex, parts[2], Integer.parseInt(parts[4]), Long.parseLong(first(q, "timestamp", "0")));
            } else if (parts.length == 4 && parts[1].equals("groups") && m.equals("PUT")) {
                JsonNode body = JSON.readTree(ex.getRequestBody());
                Map<Integer, Long> offs = groups.computeIfAbsent(parts[2], g -> new ConcurrentHashMap<>())
                        .computeIfAbsent(body.path("topic").asText(), t -> new ConcurrentHashMap<>());
                for (JsonNode o : body.path("offsets")) {
                    offs.put(o.path("partition").asInt(), o.path("offset").asLong());
                }
                ex.sendResponseHeaders(204, -1);
            } else if (parts.length == 4 && parts[1].equals("groups") && m.equals("GET")) {
                Map<Integer, Long> offs = groups.getOrDefault(parts[2], Map.of()).getOrDefault(first(q, "topic", ""), Map.of());
                ObjectNode out = JSON.createObjectNode();
                ArrayNode arr = out.putArray("offsets");
                offs.forEach((p, o) -> arr.addObject().put("partition", p).put("offset", o));
                json(ex, 200, out);
            } else {
                error(ex, 404, "not_found", "no route " + m + " " + path);
            }
        } catch (RuntimeException e) {
            error(ex, 400, "invalid_request", e.toString());
        }
    }

    private void produce(HttpExchange ex, String topic, int partition) throws IOException {
        produceRequests.incrementAndGet();
        byte[] body = ex.getRequestBody().readAllBytes();
        Integer injected;
        synchronized (this) {
            injected = injectedStatuses.poll();
        }
        if (injected != null) {
            rejectedWith503.incrementAndGet();
            ex.getResponseHeaders().add("Retry-After", "0");
            error(ex, injected, "overloaded", "injected failure");
            return;
        }
        Topic t = topics.get(topic);
        if (t == null) {
            error(ex, 404, "not_found", "topic " + topic + " does not exist");
            return;
        }
        if (!ex.getRequestHeaders().getFirst("Content-Type").equals("application/vnd.tierlog.batch")) {
            error(ex, 415, "unsupported_media_type", "binary batches only in the fake");
            return;
        }
        List<RecordBatch> batches = RecordBatch.parseAll(ByteBuffer.wrap(body));
        long base;
        int count = 0;
        synchronized (this) {
            List<Record> log = t.partitions.get(partition);
            base = log.size();
            for (RecordBatch b : batches) {
                for (Record r : b.records()) {
                    log.add(new Record(log.size(), r.timestamp(), r.key(), r.value(), r.headers()));
                    count++;
                }
            }
            notifyAll();
        }
        ObjectNode out = JSON.createObjectNode();
        out.putArray("offsets").addObject().put("partition", partition).put("baseOffset", base).put("count", count);
        json(ex, 200, out);
    }

    private void fetch(HttpExchange ex, String topic, int partition, long offset, int maxRecords, long maxWaitMs)
            throws IOException {
        Topic t = topics.get(topic);
        List<Record> page = new ArrayList<>();
        long hw;
        synchronized (this) {
            List<Record> log = t.partitions.get(partition);
            if (offset > log.size()) {
                ObjectNode err = JSON.createObjectNode().put("error", "offset_out_of_range").put("message", "offset " + offset)
                        .put("logStartOffset", 0).put("highWatermark", log.size());
                json(ex, 416, err);
                return;
            }
            long deadline = System.currentTimeMillis() + maxWaitMs;
            while (offset == log.size() && System.currentTimeMillis() < deadline) {
                try {
                    wait(Math.max(1, deadline - System.currentTimeMillis()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            for (long o = offset; o < log.size() && page.size() < maxRecords; o++) {
                page.add(log.get((int) o));
            }
            hw = log.size();
        }
        String accept = ex.getRequestHeaders().getFirst("Accept");
        if (binaryFetch && accept != null && accept.contains("application/vnd.tierlog.batch")) {
            byte[] bytes = new byte[0];
            if (!page.isEmpty()) {
                BatchBuilder b = new BatchBuilder(Compression.NONE);
                page.forEach(r -> b.add(r.timestamp(), r.key(), r.value(), r.headers()));
                RecordBatch rb = b.build(page.get(0).offset());
                bytes = new byte[rb.sizeInBytes()];
                rb.buffer().get(bytes);
            }
            ex.getResponseHeaders().add("Content-Type", "application/vnd.tierlog.batch");
            ex.getResponseHeaders().add("Tierlog-High-Watermark", Long.toString(hw));
            ex.sendResponseHeaders(200, bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) {
                ex.getResponseBody().write(bytes);
            }
            return;
        }
        ObjectNode out = JSON.createObjectNode();
        ArrayNode arr = out.putArray("records");
        for (Record r : page) {
            ObjectNode n = arr.addObject().put("offset", r.offset()).put("timestamp", r.timestamp());
            if (t.schema.equals("metrics")) {
                MetricEvent e = MetricCodec.decode(r);
                n.put("name", e.name());
                ObjectNode tags = n.putObject("tags");
                e.tags().forEach(tags::put);
                n.put("value", e.value());
            } else {
                n.put("key", r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8));
                n.put("valueBase64", r.value() == null ? null : Base64.getEncoder().encodeToString(r.value()));
            }
        }
        out.put("nextOffset", page.isEmpty() ? offset : page.get(page.size() - 1).offset() + 1);
        out.put("highWatermark", hw);
        out.putObject("tiers").put("hot", page.size()).put("cold", 0);
        json(ex, 200, out);
    }

    private void offsetForTime(HttpExchange ex, String topic, int partition, long ts) throws IOException {
        long found;
        synchronized (this) {
            List<Record> log = topics.get(topic).partitions.get(partition);
            found = log.stream().filter(r -> r.timestamp() >= ts).mapToLong(Record::offset).findFirst().orElse(log.size());
        }
        json(ex, 200, JSON.createObjectNode().put("offset", found));
    }

    private synchronized ObjectNode describe(String name, Topic t) {
        ObjectNode n = JSON.createObjectNode().put("name", name);
        n.putObject("config").put("schema", t.schema);
        ArrayNode ps = n.putArray("partitions");
        for (int i = 0; i < t.partitions.size(); i++) {
            ps.addObject().put("partition", i).put("logStartOffset", 0).put("localLogStartOffset", 0)
                    .put("highWatermark", t.partitions.get(i).size()).put("remoteEndOffset", 0)
                    .put("hotSegments", 1).put("coldSegments", 0);
        }
        return n;
    }

    private static void json(HttpExchange ex, int status, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(bytes);
        }
    }

    private static void error(HttpExchange ex, int status, String code, String message) throws IOException {
        json(ex, status, JSON.createObjectNode().put("error", code).put("message", message));
    }

    private static String first(Map<String, List<String>> q, String k, String def) {
        List<String> v = q.get(k);
        return v == null || v.isEmpty() ? def : v.get(0);
    }

    private static Map<String, List<String>> query(String raw) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (raw == null) {
            return out;
        }
        for (String kv : raw.split("&")) {
            int eq = kv.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? kv : kv.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
            out.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
        }
        return out;
    }

    static Map<String, Object> bytesSchema() {
        Map<String, Object> m = new HashMap<>();
        m.put("schema", "bytes");
        return m;
    }
}
