package io.tierlog.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tierlog.auth.Permission;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.staticfiles.Location;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.tierlog.cold.ObjectStore;
import io.tierlog.core.CorruptBatchException;
import io.tierlog.core.SeriesKey;
import io.tierlog.core.TopicPartition;
import io.tierlog.core.Validation;
import io.tierlog.kafka.GroupView;
import io.tierlog.query.MetricFilter;
import io.tierlog.query.TopicRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The web console (docs/console.md): its static files (served at {@code /} from the jar, the charting library from
 * its webjar under {@code /vendor/uplot/}) and the read-only JSON endpoints it needs beyond the topic API
 * ({@code /v1/status}, {@code /v1/storage}, a partition's {@code segments}, a topic's {@code series},
 * {@code /v1/groups}). Every input is bounded and every answer is a snapshot; errors use the API's shape through
 * {@link HttpApi}'s handler.
 */
final class ConsoleApi {
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleApi.class);
    private static final String JSON_TYPE = "application/json";
    /** Everything the console loads comes from this server: a CDN or any other origin is refused by the browser. */
    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; "
            + "style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'";
    private static final String UPLOT_POM = "META-INF/maven/org.webjars.npm/uplot/pom.properties";

    static final int DEFAULT_MAX_SEGMENTS = 1000;
    static final int MAX_MAX_SEGMENTS = 10_000;
    static final int DEFAULT_STORAGE_LIMIT = 1000;
    static final int MAX_STORAGE_LIMIT = 5000;
    static final int DEFAULT_SERIES_SCAN = 10_000;
    static final int MAX_SERIES_SCAN = 100_000;
    static final int MAX_NAMES = 1000;
    static final int MAX_TAG_KEYS = 100;
    static final int MAX_TAG_VALUES = 100;
    static final int MAX_GROUPS = 1000;
    /** Members listed for one group; its memberCount says how many there are. */
    static final int MAX_MEMBERS = 1000;
    /** A status answer starts a new S3 probe when the last one is older than this. */
    static final long PROBE_INTERVAL_MS = 5_000;

    private final Broker broker;
    private final ObjectMapper json;
    private final MeterRegistry registry;
    private final ServerConfig config;
    private final ObjectStore store;
    private final String s3Endpoint;
    private final int kafkaPort;
    private final LiveGroups liveGroups;
    private final long startedAtMs = System.currentTimeMillis();
    private final AtomicBoolean probing = new AtomicBoolean();
    private volatile Probe lastProbe;

    /** The outcome of one HEAD request to the bucket: reachability of the cold tier, independent of uploads. */
    private record Probe(long atMs, long tookMs, String error) {
    }

    private final HttpAccess access;

    ConsoleApi(Broker broker, ObjectMapper json, MeterRegistry registry, ServerConfig config, ObjectStore store,
               String s3Endpoint, int kafkaPort, LiveGroups liveGroups, HttpAccess access) {
        this.access = access;
        this.broker = broker;
        this.json = json;
        this.registry = registry;
        this.config = config;
        this.store = store;
        this.s3Endpoint = s3Endpoint;
        this.kafkaPort = kafkaPort;
        this.liveGroups = liveGroups;
        probeS3();
    }

    /** Adds the static files and the console's endpoints to the HTTP server being configured. */
    void install(JavalinConfig cfg) {
        Map<String, String> headers = Map.of("Cache-Control", "no-cache", "X-Content-Type-Options", "nosniff",
                "Content-Security-Policy", CONTENT_SECURITY_POLICY);
        cfg.staticFiles.add(s -> {
            s.hostedPath = "/";
            s.directory = "/console";
            s.location = Location.CLASSPATH;
            s.headers = headers;
        });
        var r = cfg.routes;
        String uplot = webjarVersion();
        if (uplot == null) {
            LOG.warn("the uPlot webjar is not on the class path: the console's charts will not load");
        }
        for (Map.Entry<String, String> f : VENDOR_FILES.entrySet()) {
            // the webjar has no directory entries, which Javalin's static handler needs: serve its two files by name
            String resource = "META-INF/resources/webjars/uplot/" + uplot + "/dist/" + f.getKey();
            r.get("/vendor/uplot/" + f.getKey(), ctx -> vendorFile(ctx, resource, f.getValue(), uplot));
        }
        r.get("/v1/status", access.authenticated(this::status));
        r.get("/v1/storage", access.clusterAdmin(this::storage)); // names the data directory and the S3 endpoint
        r.get("/v1/topics/{topic}/partitions/{partition}/segments", access.onTopic(Permission.CONSUME, this::segments));
        r.get("/v1/topics/{topic}/series", access.onTopic(Permission.CONSUME, this::series));
        // groups carry no permissions of their own: listing them shows every topic's consumers, an admin's view
        r.get("/v1/groups", access.clusterAdmin(this::groups));
        r.get("/v1/groups/{group}", access.clusterAdmin(this::group));
    }

    /** The charting library's files the console loads, with their media types. */
    private static final Map<String, String> VENDOR_FILES = Map.of("uPlot.esm.js", "text/javascript; charset=utf-8",
            "uPlot.min.css", "text/css; charset=utf-8");

    private void vendorFile(Context ctx, String resource, String type, String version) throws IOException {
        String etag = "\"uplot-" + version + "\"";
        ctx.header("Cache-Control", "no-cache");
        ctx.header("ETag", etag);
        ctx.header("X-Content-Type-Options", "nosniff");
        if (etag.equals(ctx.header("If-None-Match"))) {
            ctx.status(304);
            return;
        }
        try (InputStream in = version == null ? null : ConsoleApi.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw ApiException.notFound("the uPlot webjar is missing from the server's class path");
            }
            ctx.contentType(type).result(in.readAllBytes());
        }
    }

    private static String webjarVersion() {
        try (InputStream in = ConsoleApi.class.getClassLoader().getResourceAsStream(UPLOT_POM)) {
            if (in == null) {
                return null;
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException e) {
            return null;
        }
    }

    // ---------------------------------------------------------------- status

    /** One HEAD of a key that does not exist, on a virtual thread: answers never wait for S3. */
    private void probeS3() {
        if (!probing.compareAndSet(false, true)) {
            return;
        }
        Thread.ofVirtual().name("tierlog-s3-probe").start(() -> {
            long t0 = System.nanoTime();
            String error = null;
            try {
                String prefix = config.s3Prefix();
                store.head((prefix.isEmpty() ? "" : prefix + "/") + "console-probe");
            } catch (RuntimeException e) {
                error = e.getMessage() == null ? e.toString() : e.getMessage();
            } finally {
                lastProbe = new Probe(System.currentTimeMillis(), (System.nanoTime() - t0) / 1_000_000, error);
                probing.set(false);
            }
        });
    }

    private void status(Context ctx) {
        long now = System.currentTimeMillis();
        Probe probe = lastProbe;
        if (probe == null || now - probe.atMs() > PROBE_INTERVAL_MS) {
            probeS3();
        }
        List<String> problems = new java.util.ArrayList<>();
        ObjectNode out = json.createObjectNode();
        ObjectNode hot = json.createObjectNode();
        long free = freeBytes();
        hot.put("dataDir", config.dataDir().toString());
        hot.put("freeBytes", free);
        hot.put("minFreeBytes", config.minFreeDiskBytes());
        hot.put("localBytes", (long) sum("tierlog.log.size"));
        hot.put("partitions", registry.find("tierlog.log.size").gauges().size());
        hot.put("storageFaults", (long) counter("tierlog.storage.faults"));
        if (free >= 0 && free < config.minFreeDiskBytes()) {
            problems.add("hot tier: only " + free + " bytes free on the data directory (produce is refused)");
        }
        ObjectNode cold = json.createObjectNode();
        cold.put("endpoint", s3Endpoint);
        cold.put("bucket", config.s3Bucket());
        cold.put("embedded", config.embeddedS3());
        if (probe == null) {
            cold.putNull("reachable");
        } else {
            cold.put("reachable", probe.error() == null);
            cold.put("checkedAgoMs", Math.max(0, now - probe.atMs()));
            cold.put("probeMs", probe.tookMs());
            if (probe.error() != null) {
                cold.put("error", probe.error());
                problems.add("cold tier: S3 is not reachable: " + probe.error());
            }
        }
        cold.put("offloadLagBytes", (long) gauge("tierlog.cold.offload.lag.bytes"));
        cold.put("offloadLagMs", (long) gauge("tierlog.cold.offload.lag.ms"));
        cold.put("uploads", (long) counter("tierlog.cold.uploads"));
        cold.put("uploadFailures", (long) counter("tierlog.cold.upload.failures"));
        ObjectNode ingest = json.createObjectNode();
        var rings = registry.find("tierlog.ingest.ring.remaining").gauges();
        long minRemaining = rings.stream().mapToLong(g -> (long) g.value()).min().orElse(config.ingestRingSize());
        ingest.put("shards", rings.size());
        ingest.put("ringSize", config.ingestRingSize());
        ingest.put("ringRemainingMin", minRemaining);
        ingest.put("rejectsOverloaded", (long) counterTagged("tierlog.ingest.rejects", "reason", "overloaded"));
        if (minRemaining == 0) {
            problems.add("ingest: a ring is full (producers wait or are refused)");
        }
        out.put("status", problems.isEmpty() ? "ok" : "degraded");
        ArrayNode pr = out.putArray("problems");
        problems.forEach(pr::add);
        out.put("uptimeMs", now - startedAtMs);
        out.put("kafkaPort", kafkaPort);
        // no authentication exists yet; when it does, this says so and the console asks for a token
        out.putObject("auth").put("required", false);
        out.set("hot", hot);
        out.set("cold", cold);
        out.set("ingest", ingest);
        ok(ctx, out);
    }

    private long freeBytes() {
        try {
            return java.nio.file.Files.getFileStore(config.dataDir()).getUsableSpace();
        } catch (IOException e) {
            return -1;
        }
    }

    private double sum(String gauge) {
        return registry.find(gauge).gauges().stream().mapToDouble(Gauge::value).filter(Double::isFinite).sum();
    }

    private double gauge(String name) {
        Gauge g = registry.find(name).gauge();
        return g == null || !Double.isFinite(g.value()) ? 0 : g.value();
    }

    private double counter(String name) {
        var c = registry.find(name).counter();
        return c == null ? 0 : c.count();
    }

    private double counterTagged(String name, String tag, String value) {
        var c = registry.find(name).tag(tag, value).counter();
        return c == null ? 0 : c.count();
    }

    // ---------------------------------------------------------------- storage (the overview)

    /** Every topic (paged by name) with what it holds in each tier. */
    private void storage(Context ctx) {
        int limit = (int) bounded(ctx, "limit", DEFAULT_STORAGE_LIMIT, MAX_STORAGE_LIMIT);
        String after = ctx.queryParam("after");
        ObjectNode out = json.createObjectNode();
        ArrayNode arr = out.putArray("topics");
        List<TopicRegistry.Topic> all = broker.topics();
        out.put("total", all.size());
        String last = null;
        boolean more = false;
        for (TopicRegistry.Topic t : all) {
            if (after != null && t.name().compareTo(after) <= 0) {
                continue;
            }
            if (arr.size() == limit) {
                more = true;
                break;
            }
            ObjectNode n = arr.addObject();
            n.put("name", t.name());
            n.put("partitionCount", t.partitions());
            n.put("schema", t.config().schema());
            n.put("cleanupPolicy", t.config().cleanupPolicy());
            n.put("remoteStorage", t.config().remoteStorage());
            long records = 0, localBytes = 0, remoteBytes = 0, lag = 0, localSegments = 0, remoteSegments = 0;
            for (int p = 0; p < t.partitions(); p++) {
                TierView v;
                try {
                    v = broker.tierView(new TopicPartition(t.name(), p));
                } catch (io.tierlog.query.UnknownPartitionException e) {
                    continue; // deleted while we looked
                }
                records += v.records();
                localBytes += v.localBytes();
                remoteBytes += v.remoteBytes();
                lag += v.offloadLagBytes(t.config().remoteStorage());
                localSegments += v.local().size();
                remoteSegments += v.remote().size();
            }
            n.put("records", records);
            n.put("localBytes", localBytes);
            n.put("remoteBytes", remoteBytes);
            n.put("offloadLagBytes", lag);
            n.put("localSegments", localSegments);
            n.put("remoteSegments", remoteSegments);
            last = t.name();
        }
        if (more) {
            out.put("next", last);
        } else {
            out.putNull("next");
        }
        ok(ctx, out);
    }

    // ---------------------------------------------------------------- segments (the tier map)

    private void segments(Context ctx) {
        TopicRegistry.Topic t = topic(ctx);
        int p = HttpApi.partitionIndex(t, ctx.pathParam("partition"));
        int max = (int) bounded(ctx, "maxSegments", DEFAULT_MAX_SEGMENTS, MAX_MAX_SEGMENTS);
        TierView v = broker.tierView(new TopicPartition(t.name(), p));
        ObjectNode out = json.createObjectNode();
        out.put("topic", t.name());
        out.put("partition", p);
        out.put("logStartOffset", v.logStartOffset());
        out.put("localLogStartOffset", v.localLogStartOffset());
        out.put("highWatermark", v.highWatermark());
        long remoteStart = v.remote().isEmpty() ? -1 : v.remote().getFirst().baseOffset();
        long remoteEnd = v.remote().isEmpty() ? 0 : v.remote().getLast().nextOffset();
        out.put("remoteStartOffset", remoteStart);
        out.put("remoteEndOffset", remoteEnd);
        out.put("offloadedUpTo", v.offloadedUpTo());
        out.put("localBytes", v.localBytes());
        out.put("remoteBytes", v.remoteBytes());
        out.put("offloadLagBytes", v.offloadLagBytes(t.config().remoteStorage()));
        out.put("localSegmentCount", v.local().size());
        out.put("remoteSegmentCount", v.remote().size());
        // the newest segments are kept when there are more than asked for: that is where the tiers meet
        List<TierView.Local> local = v.local().subList(Math.max(0, v.local().size() - max), v.local().size());
        List<TierView.Remote> remote = v.remote().subList(Math.max(0, v.remote().size() - max), v.remote().size());
        out.put("truncated", local.size() < v.local().size() || remote.size() < v.remote().size());
        ArrayNode la = out.putArray("local");
        for (TierView.Local l : local) {
            ObjectNode n = la.addObject();
            n.put("baseOffset", l.baseOffset());
            n.put("nextOffset", l.nextOffset());
            n.put("bytes", l.bytes());
            if (!l.active()) {
                n.put("minTimestamp", l.minTimestamp());
                n.put("maxTimestamp", l.maxTimestamp());
            }
            n.put("active", l.active());
            n.put("offloaded", l.offloaded());
        }
        ArrayNode ra = out.putArray("remote");
        for (TierView.Remote s : remote) {
            ObjectNode n = ra.addObject();
            n.put("baseOffset", s.baseOffset());
            n.put("nextOffset", s.nextOffset());
            n.put("bytes", s.bytes());
            n.put("minTimestamp", s.minTimestamp());
            n.put("maxTimestamp", s.maxTimestamp());
        }
        ok(ctx, out);
    }

    // ---------------------------------------------------------------- series (suggestions)

    /**
     * The metric names and tags present in a time range, for the query page's suggestions. It reads at most
     * {@code maxRecords} records of the range (both tiers, oldest first) and says whether that was all of them.
     */
    private void series(Context ctx) {
        TopicRegistry.Topic t = topic(ctx);
        if (!t.config().metrics()) {
            throw ApiException.badRequest("series apply to metrics topics only; '" + t.name() + "' is a bytes topic");
        }
        String fromParam = ctx.queryParam("from");
        String toParam = ctx.queryParam("to");
        if (fromParam == null || toParam == null) {
            throw ApiException.badRequest("series need ?from=T1&to=T2 (epoch ms)");
        }
        long from = HttpApi.nonNegative("from", fromParam);
        long to = HttpApi.nonNegative("to", toParam);
        if (to < from) {
            throw ApiException.badRequest("'to' (" + to + ") must not be before 'from' (" + from + ")");
        }
        int maxRecords = (int) bounded(ctx, "maxRecords", DEFAULT_SERIES_SCAN, MAX_SERIES_SCAN);
        String onlyName = ctx.queryParam("name");
        if (onlyName != null && onlyName.isEmpty()) {
            onlyName = null;
        }
        MetricFilter filter = MetricFilter.parse(onlyName, List.of());
        SortedMap<String, java.util.Set<String>> seriesByName = new TreeMap<>();
        SortedMap<String, TreeSet<String>> tags = new TreeMap<>();
        boolean capped = false;
        int scanned = 0;
        Iterator<TopicRecord> it = broker.queryTimeRange(t, from, to, filter);
        try {
            while (scanned < maxRecords && it.hasNext()) {
                TopicRecord tr = it.next();
                scanned++;
                byte[] key = tr.record().key();
                if (key == null) {
                    continue;
                }
                SeriesKey sk;
                try {
                    sk = SeriesKey.parse(key);
                } catch (CorruptBatchException e) {
                    continue;
                }
                var set = seriesByName.get(sk.name());
                if (set == null) {
                    if (seriesByName.size() >= MAX_NAMES) {
                        capped = true;
                        continue;
                    }
                    set = new java.util.HashSet<>();
                    seriesByName.put(sk.name(), set);
                }
                if (set.size() < MAX_TAG_VALUES * 10) {
                    set.add(sk.canonical());
                } else {
                    capped = true;
                }
                for (Map.Entry<String, String> e : sk.tags().entrySet()) {
                    TreeSet<String> values = tags.get(e.getKey());
                    if (values == null) {
                        if (tags.size() >= MAX_TAG_KEYS) {
                            capped = true;
                            continue;
                        }
                        values = new TreeSet<>();
                        tags.put(e.getKey(), values);
                    }
                    if (values.size() < MAX_TAG_VALUES || values.contains(e.getValue())) {
                        values.add(e.getValue());
                    } else {
                        capped = true;
                    }
                }
            }
            boolean complete = !it.hasNext();
            ObjectNode out = json.createObjectNode();
            ArrayNode names = out.putArray("names");
            seriesByName.forEach((name, set) -> names.addObject().put("name", name).put("series", set.size()));
            ObjectNode tn = out.putObject("tags");
            tags.forEach((k, vs) -> {
                ArrayNode a = tn.putArray(k);
                vs.forEach(a::add);
            });
            out.put("scanned", scanned);
            out.put("complete", complete);
            out.put("capped", capped);
            ok(ctx, out);
        } finally {
            if (it instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    LOG.debug("closing series iterator: {}", e.toString());
                }
            }
        }
    }

    // ---------------------------------------------------------------- consumer groups

    private void groups(Context ctx) {
        TreeSet<String> ids = new TreeSet<>(broker.groupsWithOffsets());
        ids.addAll(liveGroups.ids()); // groups whose members have not committed yet
        List<String> all = List.copyOf(ids);
        ObjectNode out = json.createObjectNode();
        ArrayNode arr = out.putArray("groups");
        for (String g : all.subList(0, Math.min(all.size(), MAX_GROUPS))) {
            SortedMap<String, SortedMap<Integer, Long>> offsets = broker.allOffsets(g);
            ObjectNode n = arr.addObject();
            n.put("group", g);
            n.put("topics", offsets.size());
            n.put("lag", lag(offsets));
            Optional<GroupView> live = liveGroups.describe(g);
            n.put("state", live.map(GroupView::state).orElse(null));
            if (live.isPresent()) {
                n.put("members", live.get().members().size());
            } else {
                n.putNull("members");
            }
        }
        out.put("total", all.size());
        out.put("truncated", all.size() > MAX_GROUPS);
        ok(ctx, out);
    }

    private long lag(SortedMap<String, SortedMap<Integer, Long>> offsets) {
        long lag = 0;
        for (var e : offsets.entrySet()) {
            var topic = broker.topic(e.getKey());
            if (topic.isEmpty()) {
                continue;
            }
            for (var p : e.getValue().entrySet()) {
                if (p.getKey() < topic.get().partitions()) {
                    lag += Math.max(0, broker.state(new TopicPartition(e.getKey(), p.getKey())).highWatermark() - p.getValue());
                }
            }
        }
        return lag;
    }

    private void group(Context ctx) {
        String group = Validation.groupName(ctx.pathParam("group"));
        SortedMap<String, SortedMap<Integer, Long>> offsets = broker.allOffsets(group);
        Optional<GroupView> live = liveGroups.describe(group);
        if (offsets.isEmpty() && live.isEmpty()) {
            throw ApiException.notFound("group '" + group + "' has neither committed offsets nor members");
        }
        ObjectNode out = json.createObjectNode();
        out.put("group", group);
        ArrayNode topics = out.putArray("topics");
        offsets.forEach((topic, parts) -> {
            ObjectNode tn = topics.addObject();
            tn.put("topic", topic);
            var t = broker.topic(topic);
            tn.put("exists", t.isPresent());
            ArrayNode pa = tn.putArray("partitions");
            parts.forEach((p, committed) -> {
                ObjectNode pn = pa.addObject();
                pn.put("partition", p);
                pn.put("committed", committed);
                if (t.isPresent() && p < t.get().partitions()) {
                    var s = broker.state(new TopicPartition(topic, p));
                    pn.put("logStartOffset", s.logStartOffset());
                    pn.put("highWatermark", s.highWatermark());
                    pn.put("lag", Math.max(0, s.highWatermark() - committed));
                }
            });
        });
        if (!liveGroups.available()) {
            out.putNull("state");
            out.putNull("members");
            out.put("membersNote", "the Kafka listener is off (kafka.port -1): groups have no members to show");
        } else {
            live.ifPresentOrElse(v -> {
                out.put("state", v.state());
                out.put("protocol", v.protocol());
                out.put("memberCount", v.members().size());
                ArrayNode members = out.putArray("members");
                v.members().stream().limit(MAX_MEMBERS).forEach(m -> {
                    ObjectNode mn = members.addObject();
                    mn.put("memberId", m.memberId());
                    mn.put("instanceId", m.instanceId());
                    mn.put("clientId", m.clientId());
                    mn.put("clientHost", m.clientHost());
                    ObjectNode assigned = mn.putObject("assigned");
                    m.assigned().forEach((topic, ps) -> ps.forEach(assigned.withArray(topic)::add));
                });
            }, () -> {
                out.put("state", "Empty");
                out.put("memberCount", 0);
                out.putArray("members");
            });
        }
        ok(ctx, out);
    }

    // ---------------------------------------------------------------- helpers

    private TopicRegistry.Topic topic(Context ctx) {
        String name = Validation.topicName(ctx.pathParam("topic"));
        return broker.topic(name).orElseThrow(() -> ApiException.notFound("topic '" + name + "' does not exist"));
    }

    /** A whole number in 1..max (default when absent); above max is clamped, below 1 is 400. */
    private static long bounded(Context ctx, String name, long dflt, long max) {
        String s = ctx.queryParam(name);
        if (s == null) {
            return dflt;
        }
        long v = HttpApi.nonNegative(name, s);
        if (v < 1) {
            throw ApiException.badRequest(name + " must be >= 1");
        }
        return Math.min(v, max);
    }

    private void ok(Context ctx, Object value) {
        try {
            ctx.contentType(JSON_TYPE).result(json.writeValueAsBytes(value));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot render JSON", e);
        }
    }
}
