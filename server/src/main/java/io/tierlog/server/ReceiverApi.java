package io.tierlog.server;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.tierlog.core.BatchBuilder;
import io.tierlog.core.Compression;
import io.tierlog.core.Limits;
import io.tierlog.core.MetricCodec;
import io.tierlog.core.RecordBatch;
import io.tierlog.core.SeriesKey;
import io.tierlog.core.Validation;
import io.tierlog.ingest.Acks;
import io.tierlog.receivers.OtlpMetricsDecoder;
import io.tierlog.receivers.ReceiverException;
import io.tierlog.receivers.RemoteWriteDecoder;
import io.tierlog.receivers.SampleSeries;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Prometheus remote_write ({@code POST /api/v1/write}, 1.0 and 2.0) and OTLP/HTTP metrics
 * ({@code POST /v1/metrics}) doors. Decoding and validation live in the metrics-receivers module; this class
 * picks the topic, turns the decoded series into metric records (the same key and value the SDK and the JSON
 * produce write) and appends them through {@link Broker#produce}, the HTTP produce path, so acknowledgement and
 * durability are the same. A request is decoded and validated whole before anything is appended: a refused
 * request stores nothing. Status codes follow the protocols: 2xx stored, 4xx not to be retried, 5xx/429 retry.
 */
final class ReceiverApi {
    private static final Logger LOG = LoggerFactory.getLogger(ReceiverApi.class);
    static final String TOPIC_HEADER = "X-Tierlog-Topic";
    static final String SAMPLES_WRITTEN = "X-Prometheus-Remote-Write-Samples-Written";
    static final String HISTOGRAMS_WRITTEN = "X-Prometheus-Remote-Write-Histograms-Written";
    static final String EXEMPLARS_WRITTEN = "X-Prometheus-Remote-Write-Exemplars-Written";

    private final Broker broker;
    private final ServerConfig.ReceiverConfig config;
    private final RemoteWriteDecoder remoteWrite;
    private final OtlpMetricsDecoder otlp;
    private final MeterRegistry registry;

    private final HttpAccess access;

    ReceiverApi(Broker broker, Limits limits, ServerConfig.ReceiverConfig config, MeterRegistry registry, HttpAccess access) {
        this.access = access;
        this.broker = broker;
        this.config = config;
        this.registry = registry;
        this.remoteWrite = new RemoteWriteDecoder(limits, config.maxDecodedBytes());
        this.otlp = new OtlpMetricsDecoder(limits, config.maxDecodedBytes(), config.promotedResourceAttributes());
    }

    void install(JavalinConfig cfg) {
        cfg.routes.post("/api/v1/write", this::remoteWrite);
        cfg.routes.post("/v1/metrics", this::otlp);
    }

    // ---------------------------------------------------------------- remote_write

    private void remoteWrite(Context ctx) {
        requireProduce(ctx);
        RemoteWriteDecoder.Version version;
        try {
            version = RemoteWriteDecoder.version(ctx.header("Content-Type"));
        } catch (ReceiverException e) {
            requests("remote_write", "rejected").increment();
            throw e;
        }
        String door = version == RemoteWriteDecoder.Version.V1 ? "remote_write_v1" : "remote_write_v2";
        if (version == RemoteWriteDecoder.Version.V2) {
            // 2.0: the written counts are answered on every response, errors included (nothing written yet)
            writtenHeaders(ctx, 0, 0);
        }
        RemoteWriteDecoder.Decoded decoded;
        TopicRegistry.Topic topic;
        try {
            topic = topic(ctx);
            decoded = remoteWrite.decode(ctx.header("Content-Type"), ctx.header("Content-Encoding"), ctx.bodyAsBytes());
        } catch (RuntimeException e) {
            requests(door, "rejected").increment();
            if (e instanceof ReceiverException r && r.samplesRefused() > 0) {
                samples(door, "rejected").increment(r.samplesRefused());
            }
            throw e;
        }
        exemplarsNotStored(door, decoded.exemplarsNotStored());
        store(topic, decoded.series(), acks(ctx), door);
        samples(door, "accepted").increment(decoded.samples());
        requests(door, "accepted").increment();
        if (version == RemoteWriteDecoder.Version.V2) {
            writtenHeaders(ctx, decoded.samples(), 0);
        }
        ctx.status(204);
    }

    private static void writtenHeaders(Context ctx, int samples, int exemplars) {
        ctx.header(SAMPLES_WRITTEN, Integer.toString(samples));
        ctx.header(HISTOGRAMS_WRITTEN, "0");
        ctx.header(EXEMPLARS_WRITTEN, Integer.toString(exemplars));
    }

    // ---------------------------------------------------------------- OTLP

    private void otlp(Context ctx) {
        requireProduce(ctx);
        OtlpMetricsDecoder.Encoding encoding;
        try {
            encoding = OtlpMetricsDecoder.encoding(ctx.header("Content-Type"));
        } catch (ReceiverException e) {
            requests("otlp", "rejected").increment();
            throw e; // no encoding to answer a Status in: the API's JSON error
        }
        try {
            TopicRegistry.Topic topic = topic(ctx);
            OtlpMetricsDecoder.Decoded decoded = otlp.decode(ctx.header("Content-Type"), ctx.header("Content-Encoding"),
                    ctx.bodyAsBytes());
            store(topic, decoded.series(), acks(ctx), "otlp");
            samples("otlp", "accepted").increment(decoded.samples());
            exemplarsNotStored("otlp", decoded.exemplarsNotStored());
            if (decoded.rejectedDataPoints() > 0) {
                samples("otlp", "rejected").increment(decoded.rejectedDataPoints());
                LOG.debug("otlp: {} data points rejected: {}", decoded.rejectedDataPoints(), decoded.errorMessage());
            }
            requests("otlp", "accepted").increment();
            ctx.status(200).contentType(encoding.mediaType()).result(OtlpMetricsDecoder.response(decoded, encoding));
        } catch (RuntimeException e) {
            requests("otlp", "rejected").increment();
            ApiException api = HttpApi.toApi(e);
            if (api.status >= 500 && api.status != 503) {
                LOG.error("POST /v1/metrics failed", e);
            }
            if (api.status == 503) {
                ctx.header("Retry-After", "1");
            }
            int code = api.status == 503 ? 14 /* UNAVAILABLE */ : api.status >= 500 ? 13 /* INTERNAL */
                    : OtlpMetricsDecoder.STATUS_INVALID_ARGUMENT;
            ctx.status(api.status).contentType(encoding.mediaType())
                    .result(OtlpMetricsDecoder.status(code, api.getMessage(), encoding));
        }
    }

    // ---------------------------------------------------------------- shared

    /** {@code ?topic=}, else the {@code X-Tierlog-Topic} header, else the configured topic. */
    private String topicName(Context ctx) {
        String name = ctx.queryParam("topic");
        if (name == null || name.isEmpty()) {
            name = ctx.header(TOPIC_HEADER);
        }
        if (name == null || name.isEmpty()) {
            name = config.topic();
        }
        return Validation.topicName(name);
    }

    /** 403 unless the caller may produce to the request's topic: checked before anything of the request is read. */
    private void requireProduce(Context ctx) {
        access.require(ctx, io.tierlog.auth.Permission.PRODUCE, topicName(ctx));
    }

    /** The request's topic ({@link #topicName}); it must be a metrics topic. */
    private TopicRegistry.Topic topic(Context ctx) {
        String n = topicName(ctx);
        TopicRegistry.Topic t = broker.topic(n).orElseThrow(() -> ApiException.notFound("topic '" + n
                + "' does not exist; create it as a metrics topic (POST /v1/topics) or name another with ?topic="));
        if (!t.config().metrics()) {
            throw ApiException.badRequest("topic '" + n + "' is a bytes topic; metrics receivers write to metrics topics");
        }
        return t;
    }

    private static Acks acks(Context ctx) {
        String a = ctx.queryParam("acks");
        if (a == null) {
            return Acks.LEADER;
        }
        return switch (a) {
            case "leader" -> Acks.LEADER;
            case "durable" -> Acks.DURABLE;
            default -> throw ApiException.badRequest("acks must be 'leader' or 'durable', was '" + a + "'");
        };
    }

    /** One batch per partition, each series placed by its key's hash as the SDK places it; waits for the acks. */
    private void store(TopicRegistry.Topic topic, List<SampleSeries> series, Acks acks, String door) {
        if (series.isEmpty()) {
            return;
        }
        Map<Integer, BatchBuilder> builders = new TreeMap<>();
        for (SampleSeries s : series) {
            byte[] key = s.key().toBytes();
            BatchBuilder b = builders.computeIfAbsent(SeriesKey.partitionFor(key, topic.partitions()),
                    p -> new BatchBuilder(Compression.NONE));
            for (int i = 0; i < s.size(); i++) {
                b.add(s.timestamps()[i], key, MetricCodec.encodeValue(s.values()[i], s.type()));
            }
        }
        Map<Integer, BatchValidator.Valid> perPartition = new TreeMap<>();
        builders.forEach((p, b) -> {
            RecordBatch batch = b.build();
            perPartition.put(p, new BatchValidator.Valid(batch.buffer(), 1, batch.recordCount(), batch.minTimestamp()));
        });
        broker.produce(topic, perPartition, acks);
        LOG.trace("{}: stored {} series in {}", door, series.size(), topic.name());
    }

    private void exemplarsNotStored(String door, int count) {
        if (count > 0) {
            Counter.builder("tierlog.receiver.exemplars.not.stored").tag("door", door)
                    .description("exemplars received and not stored (Tierlog keeps samples only)")
                    .register(registry).increment(count);
            LOG.debug("{}: {} exemplars not stored", door, count);
        }
    }

    private Counter samples(String door, String outcome) {
        return Counter.builder("tierlog.receiver.samples").tag("door", door).tag("outcome", outcome)
                .description("samples received by the remote_write and OTLP doors: stored, or refused (remote_write: in a"
                        + " request refused whole that decoded; OTLP: rejected data points)")
                .register(registry);
    }

    private Counter requests(String door, String outcome) {
        return Counter.builder("tierlog.receiver.requests").tag("door", door).tag("outcome", outcome)
                .description("requests to the remote_write and OTLP doors, stored or refused whole")
                .register(registry);
    }
}
