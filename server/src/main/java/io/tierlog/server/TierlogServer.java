package io.tierlog.server;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.javalin.Javalin;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tierlog.cold.ColdTier;
import io.tierlog.cold.ColdTierConfig;
import io.tierlog.cold.S3Config;
import io.tierlog.cold.S3ObjectStore;
import io.tierlog.auth.TlsFiles;
import io.tierlog.auth.TokenFile;
import io.tierlog.kafka.KafkaListener;
import io.tierlog.kafka.KafkaListenerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One running Tierlog server: the embedded S3 store when no endpoint is configured, the cold-tier object
 * store, the {@link Broker} (hot tier, ingest, cold tier, query) and the HTTP API. It is the module's entry
 * type: {@link Main} runs it from the command line, tests start it in-process on random ports.
 */
public final class TierlogServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TierlogServer.class);

    private final ServerConfig config;
    private final EmbeddedS3 embeddedS3;
    private final S3ObjectStore store;
    private final Broker broker;
    private final HttpApi api;
    private final Javalin http;
    private final PrometheusMeterRegistry registry;
    private final KafkaListener kafka;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Null when the object store answered at start; otherwise retries its bucket check until it does. */
    private final BackgroundRetry bucketCheck;

    private TierlogServer(ServerConfig config, EmbeddedS3 embeddedS3, S3ObjectStore store, Broker broker, HttpApi api,
                          Javalin http, PrometheusMeterRegistry registry, KafkaListener kafka, BackgroundRetry bucketCheck) {
        this.bucketCheck = bucketCheck;
        this.config = config;
        this.kafka = kafka;
        this.embeddedS3 = embeddedS3;
        this.store = store;
        this.broker = broker;
        this.api = api;
        this.http = http;
        this.registry = registry;
    }

    /** Starts everything and returns once the HTTP API serves requests. */
    public static TierlogServer start(ServerConfig config) {
        try {
            Files.createDirectories(config.dataDir());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the data directory " + config.dataDir(), e);
        }
        DataDirFormat.checkOrInitialise(config.dataDir());
        refuseOpenDoors(config);
        TokenFile authenticator = config.security().authenticationEnabled()
                ? TokenFile.open(config.security().tokenFile(), config.security().reloadIntervalMs()) : null;
        TlsFiles tls = config.security().tlsEnabled() ? TlsFiles.load(config.security().tlsCert(),
                config.security().tlsKey(), config.security().tlsClientCa()) : null;
        EmbeddedS3 embedded = null;
        S3ObjectStore store = null;
        BackgroundRetry bucketCheck = null;
        Broker broker = null;
        KafkaListener kafka = null;
        try {
            URI endpoint = config.s3Endpoint();
            String accessKey = blankToNull(config.s3AccessKey());
            String secretKey = blankToNull(config.s3SecretKey());
            if (config.embeddedS3()) {
                if (accessKey == null || secretKey == null) {
                    EmbeddedS3.Credentials keys = EmbeddedS3.credentials(config.dataDir());
                    accessKey = keys.accessKey();
                    secretKey = keys.secretKey();
                }
                embedded = EmbeddedS3.start(config.dataDir().resolve("s3"), "127.0.0.1", config.s3EmbeddedPort(),
                        config.s3Bucket(), accessKey, secretKey);
                endpoint = embedded.endpoint();
            }
            S3Config s3 = new S3Config(endpoint, config.s3Region(), config.s3Bucket(), accessKey, secretKey, true,
                    Duration.ofSeconds(30), 3, 32L * 1024 * 1024, 16L * 1024 * 1024);
            store = S3ObjectStore.create(s3, config.security().s3TlsVerify());
            bucketCheck = checkBucket(store);
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            new ClassLoaderMetrics().bindTo(registry);
            new JvmMemoryMetrics().bindTo(registry);
            new JvmGcMetrics().bindTo(registry);
            new JvmThreadMetrics().bindTo(registry);
            new ProcessorMetrics().bindTo(registry);
            new UptimeMetrics().bindTo(registry);
            // uploads in flight get the cold tier's own close bound (ColdTierConfig.closeTimeout, 30 s)
            ColdTierConfig ctc = ColdTierConfig.DEFAULTS.withKeyPrefix(config.s3Prefix()).withRollups(config.coldRollupsMs());
            ObjectStoreWatch watchedStore = new ObjectStoreWatch(store);
            ColdTier cold = new ColdTier(watchedStore, ctc, registry);
            TopicRegistry topics = new TopicRegistry(config.dataDir().resolve("topics"), objectMapper());
            broker = new Broker(config, topics, cold, registry);
            if (config.kafkaEnabled()) {
                kafka = new KafkaListener(new KafkaListenerConfig(config.host(), config.kafkaPort(),
                        advertisedHost(config), config.kafkaAdvertisedPort(), config.kafkaMaxRequestBytes(), 0, config.kafkaGroups()),
                        new KafkaDoor(broker), registry, authenticator, tls);
                try {
                    kafka.start();
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot listen for Kafka clients on " + config.host() + ":"
                            + config.kafkaPort() + " (--kafka-port; -1 turns the listener off)", e);
                }
                LOG.info("listening for Kafka clients on {}:{}", config.host(), kafka.port());
            }
            HttpAccess access = new HttpAccess(authenticator, config.security().metricsOpen(), registry);
            HttpApi api = new HttpApi(broker, objectMapper(), config.limits(), kafka == null ? null : kafkaBootstrap(config, kafka),
                    access, watchedStore);
            ConsoleApi console = new ConsoleApi(broker, objectMapper(), registry, config, store, endpoint.toString(),
                    kafka == null ? -1 : kafka.port(), kafka == null ? LiveGroups.NONE : LiveGroups.of(kafka), access);
            ReceiverApi receivers = new ReceiverApi(broker, config.limits(), config.receivers(), registry, access);
            PrometheusQueryApi prometheus = new PrometheusQueryApi(broker, objectMapper(), access);
            Javalin http = api.start(config.host(), config.port(), cfg -> {
                console.install(cfg);
                receivers.install(cfg);
                prometheus.install(cfg);
            }, tls);
            prometheus.warmUp();
            TierlogServer server = new TierlogServer(config, embedded, store, broker, api, http, registry, kafka, bucketCheck);
            LOG.info("tierlog serving on {}://{}:{} (data in {}, cold tier s3://{}/{} at {})", tls == null ? "http" : "https", config.host(),
                    http.port(), config.dataDir().toAbsolutePath(), config.s3Bucket(), config.s3Prefix(), endpoint);
            return server;
        } catch (RuntimeException e) {
            if (kafka != null) {
                kafka.close();
            }
            if (bucketCheck != null) {
                bucketCheck.close();
            }
            if (broker != null) {
                broker.close();
            }
            if (store != null) {
                store.close();
            }
            if (embedded != null) {
                embedded.close();
            }
            throw e;
        }
    }

    /**
     * Checks (or creates) the bucket. When the object store cannot be reached the server starts anyway: the hot
     * tier ingests and serves, uploads queue up (the offload lag grows) and retry with backoff, reads that need the
     * cold tier answer 503, and the check itself is retried in the background. Returns that retry, or null.
     */
    private static BackgroundRetry checkBucket(S3ObjectStore store) {
        try {
            store.createBucketIfMissing();
            return null;
        } catch (io.tierlog.cold.ObjectStoreException e) {
            LOG.warn("object store unreachable at start ({}): starting with the hot tier only, the cold tier connects"
                    + " in the background", e.getMessage());
            return BackgroundRetry.start("object store bucket check", store::createBucketIfMissing,
                    Duration.ofSeconds(1), Duration.ofSeconds(30));
        }
    }

    /**
     * Refuses to serve a non-loopback address without authentication unless the operator said {@code --insecure}:
     * an open port on a network would let anyone read, write and delete everything.
     */
    static void refuseOpenDoors(ServerConfig config) {
        if (config.security().authenticationEnabled()) {
            return;
        }
        boolean loopback;
        try {
            loopback = java.net.InetAddress.getByName(config.host()).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException("host '" + config.host() + "' does not resolve", e);
        }
        if (loopback) {
            return;
        }
        if (!config.security().insecure()) {
            throw new IllegalArgumentException("refusing to listen on " + config.host() + " without authentication: "
                    + "set auth.token.file (see docs/security.md), bind to 127.0.0.1, or pass --insecure to accept that "
                    + "anyone who reaches the port may read, write and delete everything");
        }
        LOG.warn("listening on {} WITHOUT AUTHENTICATION (--insecure): anyone who reaches the port may read, write "
                + "and delete everything", config.host());
    }

    /** The JSON settings of the API: strict about trailing garbage and duplicate keys. */
    static ObjectMapper objectMapper() {
        return JsonMapper.builder()
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
    }

    /** The HTTP port actually bound (useful with port 0). */
    public int port() {
        return http.port();
    }

    /** The broker behind both doors (tests reach the Kafka backend through it). */
    Broker broker() {
        return broker;
    }

    /** The Kafka listener's bound port (useful with {@code kafka.port=0}); -1 when it is off. */
    public int kafkaPort() {
        return kafka == null ? -1 : kafka.port();
    }

    /** The advertised {@code host:port} of the Kafka listener, as a bootstrap address (IPv6 hosts in brackets). */
    private static String kafkaBootstrap(ServerConfig config, KafkaListener kafka) {
        String host = advertisedHost(config);
        int port = config.kafkaAdvertisedPort() == 0 ? kafka.port() : config.kafkaAdvertisedPort();
        return (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
    }

    /** The host Kafka clients are told to use: the configured one, else the bind address (a named host for 0.0.0.0). */
    private static String advertisedHost(ServerConfig config) {
        if (!config.kafkaAdvertisedHost().isBlank()) {
            return config.kafkaAdvertisedHost();
        }
        String h = config.host();
        if (h.equals("0.0.0.0") || h.equals("::") || h.equals("[::]")) {
            try {
                return java.net.InetAddress.getLocalHost().getCanonicalHostName();
            } catch (java.net.UnknownHostException e) {
                return "localhost";
            }
        }
        return h;
    }

    /** Where the cold tier's S3 store is (the embedded one or the configured endpoint). */
    public URI s3Endpoint() {
        return embeddedS3 != null ? embeddedS3.endpoint() : config.s3Endpoint();
    }

    public ServerConfig config() {
        return config;
    }

    /**
     * Graceful stop: new requests get 503, pending long polls are answered, requests in flight finish (bounded),
     * HTTP stops, then ingest drains, uploads finish within the cold tier's bound and the logs close.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        api.beginShutdown();
        if (kafka != null) {
            kafka.close(); // stops accepting, ends connections (their long polls), unpins fetched segments
        }
        broker.wakeReaders();
        int left = api.drain(Math.min(5_000, config.shutdownTimeoutMs()));
        if (left > 0) {
            LOG.warn("{} request(s) still in flight at shutdown; their connections will be closed", left);
        }
        try {
            http.stop();
        } catch (RuntimeException e) {
            LOG.warn("HTTP server did not stop cleanly: {}", e.toString());
        }
        if (bucketCheck != null) {
            bucketCheck.close();
        }
        broker.close();
        store.close();
        if (embeddedS3 != null) {
            embeddedS3.close();
        }
        registry.close();
        LOG.info("tierlog stopped");
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
