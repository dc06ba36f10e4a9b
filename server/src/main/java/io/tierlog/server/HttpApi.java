package io.tierlog.server;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.tierlog.auth.Permission;
import io.tierlog.auth.TlsFiles;
import io.tierlog.core.InvalidInputException;
import io.tierlog.core.Limits;
import io.tierlog.core.Record;
import io.tierlog.core.RecordBatch;
import io.tierlog.core.TopicPartition;
import io.tierlog.core.Validation;
import io.tierlog.hot.OffsetOutOfRangeException;
import io.tierlog.ingest.Acks;
import io.tierlog.ingest.AppendAck;
import io.tierlog.ingest.OverloadedException;
import io.tierlog.query.MetricFilter;
import io.tierlog.query.PartitionRead;
import io.tierlog.query.PartitionState;
import io.tierlog.query.TopicRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The HTTP API (docs/api-notes.md) on Javalin (Jetty 12, virtual threads): request parsing and validation, the error
 * contract ({@code {"error", "message"}} with the listed statuses) and the JSON/binary/SSE renderings. It holds
 * no state of its own; everything goes through the {@link Broker}.
 */
final class HttpApi {
    private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
    static final String BATCH_MEDIA_TYPE = "application/vnd.tierlog.batch";
    private static final String JSON_TYPE = "application/json";
    private static final int DEFAULT_MAX_BYTES = 1024 * 1024;
    private static final int MAX_MAX_BYTES = 16 * 1024 * 1024;
    private static final long SSE_POLL_MS = 2_000;

    private final Broker broker;
    /** The cold tier's store as last seen, for /v1/health. */
    private final ObjectStoreWatch coldStore;
    private final ObjectMapper json;
    private final Limits limits;
    private final RecordJson records;
    private final BatchValidator validator;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
    /** {@code host:port} Kafka clients bootstrap from (the listener's advertised address); null when it is off. */
    private final String kafkaBootstrapServers;
    private final HttpAccess access;

    HttpApi(Broker broker, ObjectMapper json, Limits limits, String kafkaBootstrapServers, HttpAccess access,
            ObjectStoreWatch coldStore) {
        this.coldStore = coldStore;
        this.broker = broker;
        this.access = access;
        this.json = json;
        this.limits = limits;
        this.kafkaBootstrapServers = kafkaBootstrapServers;
        this.records = new RecordJson(json, limits);
        this.validator = broker.validator();
    }

    /** Builds and starts the HTTP server; {@code extension} adds routes and static files (the web console). */
    Javalin start(String host, int port, java.util.function.Consumer<io.javalin.config.JavalinConfig> extension,
                  TlsFiles tls) {
        Javalin app = Javalin.create(cfg -> {
            extension.accept(cfg);
            if (tls != null) {
                // the only connector: HTTPS; Javalin adds its plain one only when none was added
                cfg.jetty.addConnector((server, httpConfig) -> {
                    httpConfig.addCustomizer(new org.eclipse.jetty.server.SecureRequestCustomizer(false));
                    var ssl = new org.eclipse.jetty.util.ssl.SslContextFactory.Server();
                    ssl.setSslContext(tls.context());
                    ssl.setWantClientAuth(tls.clientCertificates());
                    var c = new org.eclipse.jetty.server.ServerConnector(server,
                            new org.eclipse.jetty.server.SslConnectionFactory(ssl, "http/1.1"),
                            new org.eclipse.jetty.server.HttpConnectionFactory(httpConfig));
                    c.setHost(host);
                    c.setPort(port);
                    return c;
                });
            }
            cfg.concurrency.useVirtualThreads = true;
            cfg.startup.showJavalinBanner = false;
            cfg.http.maxRequestSize = limits.maxRequestBytes();
            cfg.jetty.modifyServer(server -> server.setErrorHandler(new JsonJettyErrorHandler()));
            cfg.jetty.modifyHttpConfiguration(hc -> hc.setIdleTimeout(limits.maxWaitMs() + 30_000));
            var r = cfg.routes;
            r.before(ctx -> {
                inFlight.incrementAndGet();
                if (closing.get()) {
                    throw ApiException.overloaded("server is shutting down");
                }
            });
            r.before(access::authenticate); // after the shutdown check: a closing server answers 503 to everyone
            r.after(ctx -> inFlight.decrementAndGet());
            r.get("/v1/health", this::health);
            r.get("/v1/cluster", access.authenticated(this::cluster));
            r.get("/metrics", access.metrics(this::metrics));
            r.post("/v1/topics", access.authenticated(this::createTopic)); // admin on the name in the body
            r.get("/v1/topics", access.authenticated(this::listTopics)); // lists the topics the principal may see
            r.get("/v1/topics/{topic}", access.seeingTopic(this::describeTopic));
            r.delete("/v1/topics/{topic}", access.onTopic(Permission.ADMIN, this::deleteTopic));
            r.post("/v1/topics/{topic}/records", access.onTopic(Permission.PRODUCE, this::produce));
            r.get("/v1/topics/{topic}/records", access.onTopic(Permission.CONSUME, this::queryTopic));
            r.get("/v1/topics/{topic}/partitions/{partition}/records", access.onTopic(Permission.CONSUME, this::readPartition));
            r.get("/v1/topics/{topic}/partitions/{partition}/offsets",
                    access.onTopic(Permission.CONSUME, this::offsetForTimestamp));
            r.get("/v1/topics/{topic}/partitions/{partition}/stream", access.onTopic(Permission.CONSUME, this::stream));
            r.put("/v1/groups/{group}/offsets", access.authenticated(this::commitOffsets)); // consume on the body's topic
            r.get("/v1/groups/{group}/offsets", access.authenticated(this::fetchOffsets)); // consume on ?topic=
            r.exception(Exception.class, this::onException);
            r.error(404, ctx -> rewriteFrameworkError(ctx, "not_found"));
            r.error(405, ctx -> rewriteFrameworkError(ctx, "invalid_request"));
        });
        return app.start(host, port);
    }

    /** Javalin answers unmatched paths itself in plain text; give them the API's error shape. */
    private void rewriteFrameworkError(Context ctx, String code) {
        String type = ctx.res().getContentType();
        if (type != null && type.startsWith(JSON_TYPE)) {
            return;
        }
        String text = ctx.result();
        writeError(ctx, new ApiException(ctx.statusCode(), code,
                text == null || text.isBlank() ? "no such endpoint: " + ctx.method() + " " + ctx.path() : text));
    }

    /** Refuses new requests (503) and tells streaming handlers (SSE) to finish so that the HTTP server can stop. */
    void beginShutdown() {
        closing.set(true);
    }

    /** Waits up to {@code timeoutMs} for the requests in flight to be answered; returns how many are left. */
    int drain(long timeoutMs) {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(5_000_000L);
        }
        return inFlight.get();
    }

    /**
     * Liveness (always 200 while the process answers: a cold-tier outage must not get the server restarted, the hot
     * tier keeps ingesting and serving) plus the state of each part: {@code parts.coldTier.status} is {@code down}
     * while the object store's latest call failed.
     */
    private void health(Context ctx) {
        ObjectNode n = json.createObjectNode();
        n.put("status", "ok");
        ObjectNode parts = n.putObject("parts");
        parts.putObject("hotTier").put("status", "up");
        ObjectNode cold = parts.putObject("coldTier");
        boolean up = coldStore.reachable();
        cold.put("status", up ? "up" : "down");
        cold.put("sinceMs", coldStore.changedAtMs());
        if (!up) {
            cold.put("error", coldStore.lastError());
        }
        ok(ctx, n);
    }

    // ---------------------------------------------------------------- errors

    private void onException(Exception e, Context ctx) {
        ApiException api = toApi(e);
        if ("storage_error".equals(api.code)) {
            broker.storageFaults().increment();
        }
        if (api.status == 500 && closing.get()) {
            api = ApiException.overloaded("server is shutting down");
        }
        String topic = ctx.pathParamMap().get("topic");
        if ((api.status == 500 || api.status == 416) && topic != null && broker.topic(topic).isEmpty()) {
            // a read raced with the topic's deletion: its log was closed or its remote data removed under it
            api = ApiException.notFound("topic '" + topic + "' does not exist (deleted during the request)");
        }
        if (api.status >= 500 && api.status != 503) {
            LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
        } else if ("cold_tier_unavailable".equals(api.code)) {
            LOG.warn("{} {} -> 503: {}", ctx.method(), ctx.path(), api.getMessage());
        } else {
            LOG.debug("{} {} -> {} {}", ctx.method(), ctx.path(), api.status, api.getMessage());
        }
        if (api.status == 503) {
            ctx.header("Retry-After", "1");
        }
        writeError(ctx, api);
    }

    static ApiException toApi(Throwable e) {
        Throwable t = e;
        while ((t instanceof java.util.concurrent.CompletionException || t instanceof java.util.concurrent.ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof ApiException a) {
            return a;
        }
        if (t instanceof OffsetOutOfRangeException o) {
            return ApiException.outOfRange(o.getMessage(), o.logStartOffset(), o.highWatermark());
        }
        if (t instanceof OverloadedException o) {
            return ApiException.overloaded(o.getMessage());
        }
        if (t instanceof io.tierlog.query.UnknownPartitionException u) {
            return ApiException.notFound(u.getMessage());
        }
        if (t instanceof BatchValidator.RejectedBatchException r && r.problem() == BatchValidator.Problem.TOO_LARGE) {
            return ApiException.tooLarge(r.getMessage());
        }
        if (t instanceof io.tierlog.receivers.ReceiverException r) {
            int status = r.reason().httpStatus();
            return new ApiException(status, status == 413 ? "payload_too_large" : status == 415 ? "unsupported_media_type"
                    : "invalid_request", r.getMessage());
        }
        if (t instanceof InvalidInputException i) {
            return ApiException.badRequest(i.getMessage());
        }
        if (t instanceof io.tierlog.cold.ObjectStoreException os && !(t instanceof io.tierlog.cold.ObjectNotFoundException)) {
            // the store is down or failing (after the SDK's own retries): not the client's fault, and transient
            return ApiException.coldTierUnavailable("the cold tier (object store) is unavailable: " + os.getMessage());
        }
        if (t instanceof io.tierlog.core.StorageException se) {
            return new ApiException(500, "storage_error", "stored data is damaged or unreadable: " + se.getMessage());
        }
        if (t instanceof JsonProcessingException j) {
            return ApiException.badRequest("malformed JSON: " + j.getOriginalMessage());
        }
        if (t instanceof HttpResponseException h) {
            int s = h.getStatus();
            String code = switch (s) {
                case 404 -> "not_found";
                case 413 -> "payload_too_large";
                case 415 -> "unsupported_media_type";
                default -> "invalid_request";
            };
            return new ApiException(s < 500 ? s : 400, code, h.getMessage());
        }
        if (t instanceof io.tierlog.ingest.IngestClosedException c) {
            return ApiException.overloaded("server is shutting down: " + c.getMessage());
        }
        return new ApiException(500, "internal_error", "internal error: " + t);
    }

    private void writeError(Context ctx, ApiException e) {
        ObjectNode n = json.createObjectNode();
        n.put("error", e.code);
        n.put("message", e.getMessage() == null ? e.code : e.getMessage());
        e.extra.forEach((k, v) -> n.putPOJO(k, v));
        ctx.status(e.status).contentType(JSON_TYPE).result(bytes(n));
    }

    // ---------------------------------------------------------------- service

    /** Where Kafka clients connect, so that a client configured with the HTTP address alone finds the Kafka listener. */
    private void cluster(Context ctx) {
        ObjectNode n = json.createObjectNode();
        n.put("kafkaBootstrapServers", kafkaBootstrapServers);
        ctx.contentType(JSON_TYPE).result(bytes(n));
    }

    private void metrics(Context ctx) {
        ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(broker.scrapeMetrics());
    }

    // ---------------------------------------------------------------- topics

    private void createTopic(Context ctx) {
        JsonNode body = jsonBody(ctx);
        if (!body.isObject()) {
            throw ApiException.badRequest("body must be a JSON object {\"name\", \"partitions\", \"config\"}");
        }
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!f.equals("name") && !f.equals("partitions") && !f.equals("config")) {
                throw ApiException.badRequest("unknown field '" + f + "'; expected name, partitions, config");
            }
        }
        JsonNode nameNode = body.get("name");
        if (nameNode == null || !nameNode.isTextual()) {
            throw ApiException.badRequest("'name' is required and must be a string");
        }
        String name = Validation.topicName(nameNode.textValue());
        access.require(ctx, Permission.ADMIN, name);
        JsonNode p = body.get("partitions");
        int partitions = 1;
        if (p != null && !p.isNull()) {
            if (!p.isIntegralNumber() || !p.canConvertToInt() || p.intValue() < 1 || p.intValue() > 1024) {
                throw ApiException.badRequest("'partitions' must be a whole number in 1..1024, was " + p);
            }
            partitions = p.intValue();
        }
        TopicConfig config = TopicConfig.parse(body.get("config"));
        TopicRegistry.Topic t = broker.createTopic(name, partitions, config);
        ctx.status(201).contentType(JSON_TYPE).result(bytes(describe(t)));
    }

    private void listTopics(Context ctx) {
        ObjectNode out = json.createObjectNode();
        ArrayNode arr = out.putArray("topics");
        for (TopicRegistry.Topic t : broker.topics()) {
            if (HttpAccess.seesTopic(ctx, t.name())) {
                arr.add(describe(t));
            }
        }
        ctx.contentType(JSON_TYPE).result(bytes(out));
    }

    private void describeTopic(Context ctx) {
        ctx.contentType(JSON_TYPE).result(bytes(describe(topic(ctx))));
    }

    private void deleteTopic(Context ctx) {
        TopicRegistry.Topic t = topic(ctx);
        if (!broker.deleteTopic(t.name())) {
            throw ApiException.notFound("topic '" + t.name() + "' does not exist");
        }
        ctx.status(204);
    }

    ObjectNode describe(TopicRegistry.Topic t) {
        ObjectNode n = json.createObjectNode();
        n.put("name", t.name());
        n.put("partitionCount", t.partitions());
        t.config().writeTo(n.putObject("config"));
        ArrayNode parts = n.putArray("partitions");
        for (int p = 0; p < t.partitions(); p++) {
            PartitionState s = broker.state(new TopicPartition(t.name(), p));
            ObjectNode pn = parts.addObject();
            pn.put("partition", p);
            pn.put("logStartOffset", s.logStartOffset());
            pn.put("localLogStartOffset", s.localLogStartOffset());
            pn.put("highWatermark", s.highWatermark());
            pn.put("remoteEndOffset", s.remoteEndOffset());
            pn.put("hotSegments", s.hotSegments());
            pn.put("coldSegments", s.coldSegments());
        }
        return n;
    }

    // ---------------------------------------------------------------- produce

    private void produce(Context ctx) {
        TopicRegistry.Topic t = topic(ctx);
        Acks acks = Acks.LEADER;
        String a = ctx.queryParam("acks");
        if (a != null) {
            acks = switch (a) {
                case "leader" -> Acks.LEADER;
                case "durable" -> Acks.DURABLE;
                default -> throw ApiException.badRequest("acks must be 'leader' or 'durable', was '" + a + "'");
            };
        }
        String type = mediaType(ctx);
        Map<Integer, BatchValidator.Valid> perPartition = new TreeMap<>();
        if (BATCH_MEDIA_TYPE.equals(type)) {
            String ps = ctx.queryParam("partition");
            if (ps == null) {
                throw ApiException.badRequest("binary produce needs ?partition=N");
            }
            int p = partitionIndex(t, ps);
            perPartition.put(p, validator.check(ByteBuffer.wrap(body(ctx)), t.config().metrics()));
        } else if (type == null || JSON_TYPE.equals(type)) {
            if (ctx.queryParam("partition") != null) {
                throw ApiException.badRequest("?partition= applies to binary batches only; name the partition in each JSON record");
            }
            JsonNode root = parseJson(body(ctx));
            Map<Integer, RecordBatch> batches = records.parseProduce(root, t.config().metrics(), t.partitions(),
                    System.currentTimeMillis(), t.config().compression().serverBuiltBatches);
            batches.forEach((p, b) -> perPartition.put(p, new BatchValidator.Valid(b.buffer(), 1, b.recordCount(),
                    b.minTimestamp())));
        } else {
            throw ApiException.unsupportedMediaType("Content-Type '" + ctx.contentType()
                    + "' is not supported; use application/json or " + BATCH_MEDIA_TYPE);
        }
        List<AppendAck> acked = broker.produce(t, perPartition, acks);
        ObjectNode out = json.createObjectNode();
        ArrayNode arr = out.putArray("offsets");
        for (AppendAck ack : acked) {
            ObjectNode o = arr.addObject();
            o.put("partition", ack.topicPartition().partition());
            o.put("baseOffset", ack.baseOffset());
            o.put("count", ack.count());
        }
        ctx.contentType(JSON_TYPE).result(bytes(out));
    }

    // ---------------------------------------------------------------- consume

    private void readPartition(Context ctx) throws IOException {
        TopicRegistry.Topic t = topic(ctx);
        TopicPartition tp = new TopicPartition(t.name(), partitionIndex(t, ctx.pathParam("partition")));
        String offsetParam = ctx.queryParam("offset");
        String fromParam = ctx.queryParam("from");
        String toParam = ctx.queryParam("to");
        int maxRecords = maxRecords(ctx);
        if (offsetParam != null && (fromParam != null || toParam != null)) {
            throw ApiException.badRequest("give either offset or from/to, not both");
        }
        PartitionRead read;
        if (fromParam != null || toParam != null) {
            long from = fromParam == null ? 0 : nonNegative("from", fromParam);
            long to = toParam == null ? Long.MAX_VALUE : nonNegative("to", toParam);
            if (to < from) {
                throw ApiException.badRequest("'to' (" + to + ") must not be before 'from' (" + from + ")");
            }
            read = broker.readTimeRange(tp, from, to, maxRecords);
        } else {
            if (offsetParam == null) {
                throw ApiException.badRequest("give ?offset=N (or ?from=T1&to=T2)");
            }
            long offset = nonNegative("offset", offsetParam);
            int maxBytes = maxBytes(ctx);
            long maxWaitMs = maxWaitMs(ctx);
            if (accepts(ctx, BATCH_MEDIA_TYPE)) {
                Broker.BatchRead b = broker.readBatches(tp, offset, maxBytes, maxWaitMs);
                ctx.header("Tierlog-Next-Offset", Long.toString(b.nextOffset()));
                ctx.header("Tierlog-High-Watermark", Long.toString(b.highWatermark()));
                ctx.contentType(BATCH_MEDIA_TYPE);
                byte[] out = new byte[b.batches().remaining()];
                b.batches().duplicate().get(out);
                ctx.result(out);
                return;
            }
            read = broker.read(tp, offset, maxRecords, maxBytes, maxWaitMs);
        }
        writeRead(ctx, t, read);
    }

    private void writeRead(Context ctx, TopicRegistry.Topic t, PartitionRead read) throws IOException {
        ctx.contentType(JSON_TYPE);
        ByteArrayOutputStream buf = new ByteArrayOutputStream(256 + read.records().size() * 96);
        try (JsonGenerator g = json.getFactory().createGenerator(buf)) {
            g.writeStartObject();
            g.writeArrayFieldStart("records");
            for (Record r : read.records()) {
                records.write(g, r, t.config().metrics(), -1);
            }
            g.writeEndArray();
            g.writeNumberField("nextOffset", read.nextOffset());
            g.writeNumberField("highWatermark", read.highWatermark());
            g.writeObjectFieldStart("tiers");
            g.writeNumberField("hot", read.hotCount());
            g.writeNumberField("cold", read.coldCount());
            g.writeEndObject();
            g.writeEndObject();
        }
        ctx.result(buf.toByteArray());
    }

    private void queryTopic(Context ctx) throws IOException {
        TopicRegistry.Topic t = topic(ctx);
        String fromParam = ctx.queryParam("from");
        String toParam = ctx.queryParam("to");
        if (fromParam == null || toParam == null) {
            throw ApiException.badRequest("a topic query needs ?from=T1&to=T2 (epoch ms)");
        }
        long from = nonNegative("from", fromParam);
        long to = nonNegative("to", toParam);
        if (to < from) {
            throw ApiException.badRequest("'to' (" + to + ") must not be before 'from' (" + from + ")");
        }
        int maxRecords = maxRecords(ctx);
        MetricFilter filter = MetricFilter.parse(ctx.queryParam("name"), ctx.queryParams("tag"));
        if (!t.config().metrics() && !filter.matchesAll()) {
            throw ApiException.badRequest("name and tag filters apply to metrics topics only; '" + t.name()
                    + "' is a bytes topic");
        }
        Iterator<TopicRecord> it = broker.queryTimeRange(t, from, to, filter);
        try {
            // first element before committing the status, so an early failure still becomes a clean error
            boolean has = it.hasNext();
            ctx.status(200).contentType(JSON_TYPE);
            OutputStream os = ctx.res().getOutputStream(); // raw: flushes reach the client at once
            int n = 0;
            long last = -1;
            try (JsonGenerator g = json.getFactory().createGenerator(os)) {
                g.writeStartObject();
                g.writeArrayFieldStart("records");
                while (has && n < maxRecords) {
                    TopicRecord tr = it.next();
                    records.write(g, tr.record(), t.config().metrics(), tr.partition());
                    last = tr.record().timestamp();
                    n++;
                    if ((n & 255) == 0) {
                        g.flush();
                    }
                    has = it.hasNext();
                }
                g.writeEndArray();
                g.writeNumberField("count", n);
                g.writeBooleanField("truncated", has);
                if (has) {
                    g.writeNumberField("lastTimestamp", last);
                }
                g.writeEndObject();
            }
        } finally {
            if (it instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    LOG.debug("closing query iterator: {}", e.toString());
                }
            }
        }
    }

    private void offsetForTimestamp(Context ctx) {
        TopicRegistry.Topic t = topic(ctx);
        TopicPartition tp = new TopicPartition(t.name(), partitionIndex(t, ctx.pathParam("partition")));
        String ts = ctx.queryParam("timestamp");
        if (ts == null) {
            throw ApiException.badRequest("give ?timestamp=T (epoch ms)");
        }
        long offset = broker.offsetForTimestamp(tp, nonNegative("timestamp", ts));
        ok(ctx, Map.of("offset", offset));
    }

    private void stream(Context ctx) throws IOException {
        TopicRegistry.Topic t = topic(ctx);
        TopicPartition tp = new TopicPartition(t.name(), partitionIndex(t, ctx.pathParam("partition")));
        String offsetParam = ctx.queryParam("offset");
        long next = offsetParam == null ? broker.state(tp).highWatermark() : nonNegative("offset", offsetParam);
        // validate the start offset before the stream is committed, so a bad one is a clean 416
        PartitionRead first = broker.read(tp, next, limits.maxRecordsPerResponse(), DEFAULT_MAX_BYTES, 0);
        ctx.status(200);
        ctx.res().setContentType("text/event-stream");
        ctx.res().setCharacterEncoding("UTF-8");
        ctx.header("Cache-Control", "no-cache");
        ctx.header("X-Accel-Buffering", "no");
        OutputStream os = ctx.res().getOutputStream(); // raw: flushes reach the client at once
        boolean metrics = t.config().metrics();
        os.write(": tierlog stream\n\n".getBytes(StandardCharsets.UTF_8));
        os.flush();
        PartitionRead read = first;
        try {
            while (!closing.get()) {
                if (read.records().isEmpty()) {
                    os.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
                } else {
                    StringBuilder sb = new StringBuilder();
                    for (Record r : read.records()) {
                        ByteArrayOutputStream one = new ByteArrayOutputStream(128);
                        try (JsonGenerator g = json.getFactory().createGenerator(one)) {
                            records.write(g, r, metrics, -1);
                        }
                        sb.append("id: ").append(r.offset()).append('\n')
                                .append("data: ").append(one.toString(StandardCharsets.UTF_8)).append("\n\n");
                    }
                    os.write(sb.toString().getBytes(StandardCharsets.UTF_8));
                }
                os.flush();
                next = read.nextOffset();
                read = broker.read(tp, next, limits.maxRecordsPerResponse(), DEFAULT_MAX_BYTES,
                        Math.min(SSE_POLL_MS, limits.maxWaitMs()));
            }
        } catch (IOException e) {
            LOG.debug("SSE client of {} went away: {}", tp, e.toString());
        } catch (RuntimeException e) {
            ApiException api = toApi(e);
            String msg = "event: error\ndata: " + new String(bytes(Map.of("error", api.code, "message",
                    String.valueOf(api.getMessage()))), StandardCharsets.UTF_8) + "\n\n";
            try {
                os.write(msg.getBytes(StandardCharsets.UTF_8));
                os.flush();
            } catch (IOException ignored) {
                LOG.debug("SSE client of {} went away", tp);
            }
        }
    }

    // ---------------------------------------------------------------- consumer offsets

    private void commitOffsets(Context ctx) {
        String group = Validation.groupName(ctx.pathParam("group"));
        JsonNode body = jsonBody(ctx);
        if (!body.isObject()) {
            throw ApiException.badRequest("body must be a JSON object {\"topic\", \"offsets\"}");
        }
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!f.equals("topic") && !f.equals("offsets")) {
                throw ApiException.badRequest("unknown field '" + f + "'; expected topic, offsets");
            }
        }
        JsonNode tn = body.get("topic");
        if (tn == null || !tn.isTextual()) {
            throw ApiException.badRequest("'topic' is required and must be a string");
        }
        access.require(ctx, Permission.CONSUME, Validation.topicName(tn.textValue()));
        TopicRegistry.Topic t = topicNamed(Validation.topicName(tn.textValue()));
        JsonNode offs = body.get("offsets");
        if (offs == null || !offs.isArray()) {
            throw ApiException.badRequest("'offsets' must be an array of {\"partition\", \"offset\"}");
        }
        Map<Integer, Long> commit = new TreeMap<>();
        for (JsonNode o : offs) {
            if (!o.isObject()) {
                throw ApiException.badRequest("each offset must be an object {\"partition\", \"offset\"}");
            }
            for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!f.equals("partition") && !f.equals("offset")) {
                    throw ApiException.badRequest("unknown field '" + f + "' in offsets; expected partition, offset");
                }
            }
            JsonNode p = o.get("partition");
            JsonNode off = o.get("offset");
            if (p == null || !p.isIntegralNumber() || !p.canConvertToInt()) {
                throw ApiException.badRequest("'partition' must be a whole number");
            }
            if (p.intValue() < 0 || p.intValue() >= t.partitions()) {
                throw ApiException.badRequest("partition " + p.intValue() + " is outside 0.." + (t.partitions() - 1));
            }
            if (off == null || !off.isIntegralNumber() || !off.canConvertToLong() || off.longValue() < 0) {
                throw ApiException.badRequest("'offset' must be a whole number >= 0");
            }
            commit.put(p.intValue(), off.longValue());
        }
        broker.commitOffsets(group, t.name(), commit);
        ctx.status(204);
    }

    private void fetchOffsets(Context ctx) {
        String group = Validation.groupName(ctx.pathParam("group"));
        String topic = ctx.queryParam("topic");
        if (topic == null) {
            throw ApiException.badRequest("give ?topic=NAME");
        }
        access.require(ctx, Permission.CONSUME, Validation.topicName(topic));
        TopicRegistry.Topic t = topicNamed(Validation.topicName(topic));
        ObjectNode out = json.createObjectNode();
        ArrayNode arr = out.putArray("offsets");
        broker.fetchOffsets(group, t.name()).forEach((p, o) -> {
            ObjectNode n = arr.addObject();
            n.put("partition", p);
            n.put("offset", o);
        });
        ctx.contentType(JSON_TYPE).result(bytes(out));
    }

    // ---------------------------------------------------------------- helpers

    private TopicRegistry.Topic topic(Context ctx) {
        return topicNamed(Validation.topicName(ctx.pathParam("topic")));
    }

    private TopicRegistry.Topic topicNamed(String name) {
        return broker.topic(name).orElseThrow(() -> ApiException.notFound("topic '" + name + "' does not exist"));
    }

    static int partitionIndex(TopicRegistry.Topic t, String text) {
        int p;
        try {
            p = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("partition must be a whole number, was '" + abbreviate(text) + "'");
        }
        if (p < 0 || p >= t.partitions()) {
            throw ApiException.notFound("topic '" + t.name() + "' has no partition " + p + " (it has "
                    + t.partitions() + ")");
        }
        return p;
    }

    static long nonNegative(String what, String text) {
        long v;
        try {
            v = Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw ApiException.badRequest(what + " must be a whole number, was '" + abbreviate(text) + "'");
        }
        if (v < 0) {
            throw ApiException.badRequest(what + " must be >= 0, was " + v);
        }
        return v;
    }

    private int maxRecords(Context ctx) {
        String s = ctx.queryParam("maxRecords");
        if (s == null) {
            return limits.maxRecordsPerResponse();
        }
        long v = nonNegative("maxRecords", s);
        if (v == 0) {
            throw ApiException.badRequest("maxRecords must be >= 1");
        }
        return (int) Math.min(v, limits.maxRecordsPerResponse());
    }

    private static int maxBytes(Context ctx) {
        String s = ctx.queryParam("maxBytes");
        if (s == null) {
            return DEFAULT_MAX_BYTES;
        }
        long v = nonNegative("maxBytes", s);
        if (v == 0) {
            throw ApiException.badRequest("maxBytes must be >= 1");
        }
        return (int) Math.min(v, MAX_MAX_BYTES);
    }

    private long maxWaitMs(Context ctx) {
        String s = ctx.queryParam("maxWaitMs");
        return s == null ? 0 : Math.min(nonNegative("maxWaitMs", s), limits.maxWaitMs());
    }

    private static String mediaType(Context ctx) {
        String ct = ctx.header("Content-Type");
        if (ct == null || ct.isBlank()) {
            return null;
        }
        int semi = ct.indexOf(';');
        return (semi < 0 ? ct : ct.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
    }

    private static boolean accepts(Context ctx, String type) {
        String accept = ctx.header("Accept");
        return accept != null && accept.toLowerCase(Locale.ROOT).contains(type);
    }

    private JsonNode jsonBody(Context ctx) {
        String type = mediaType(ctx);
        if (type != null && !JSON_TYPE.equals(type)) {
            throw ApiException.unsupportedMediaType("Content-Type '" + ctx.contentType() + "' is not supported; use "
                    + JSON_TYPE);
        }
        return parseJson(body(ctx));
    }

    private JsonNode parseJson(byte[] body) {
        return RecordJson.parseJson(json, body);
    }

    /**
     * Reads the body, refusing more than the limit (413) without buffering it. The excess of a moderately
     * oversized body is read and discarded so that the client, still sending, gets the 413 rather than a reset
     * connection; a body declared larger than 4x the limit is refused at once and the connection closed.
     */
    private byte[] body(Context ctx) {
        long declared = ctx.req().getContentLengthLong();
        int max = limits.maxRequestBytes();
        try (InputStream in = ctx.req().getInputStream()) {
            if (declared > max) {
                tooLarge(ctx, in, declared > 4L * max, "request body of " + declared + " bytes exceeds the limit of "
                        + max + " bytes");
            }
            byte[] buf = new byte[(int) Math.max(declared < 0 ? 8192 : declared, 1)];
            int n = 0;
            while (true) {
                if (n == buf.length) {
                    if (buf.length > max) {
                        tooLarge(ctx, in, false, "request body exceeds the limit of " + max + " bytes");
                    }
                    buf = java.util.Arrays.copyOf(buf, (int) Math.min((long) buf.length * 2, (long) max + 1));
                }
                int r = in.read(buf, n, buf.length - n);
                if (r < 0) {
                    break;
                }
                n += r;
                if (n > max) {
                    tooLarge(ctx, in, false, "request body exceeds the limit of " + max + " bytes");
                }
            }
            return n == buf.length ? buf : java.util.Arrays.copyOf(buf, n);
        } catch (IOException e) {
            throw ApiException.badRequest("cannot read the request body: " + e.getMessage());
        }
    }

    private void tooLarge(Context ctx, InputStream in, boolean closeAtOnce, String message) throws IOException {
        if (!closeAtOnce) {
            long budget = 4L * limits.maxRequestBytes();
            byte[] sink = new byte[64 * 1024];
            int r;
            while (budget > 0 && (r = in.read(sink)) >= 0) {
                budget -= r;
            }
            closeAtOnce = budget <= 0;
        }
        if (closeAtOnce) {
            ctx.header("Connection", "close");
        }
        throw ApiException.tooLarge(message);
    }

    private void ok(Context ctx, Object value) {
        ctx.contentType(JSON_TYPE).result(bytes(value));
    }

    private byte[] bytes(Object value) {
        try {
            return json.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render JSON", e);
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}
