package io.tierlog.server;

import io.tierlog.core.Limits;
import io.tierlog.ingest.IngestConfig;
import io.tierlog.kafka.GroupConfig;

import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.Properties;

/**
 * The server's settings, resolved once at start. Sources in rising precedence: built-in defaults, a Java
 * properties file ({@code --config FILE}), environment variables ({@code TIERLOG_*}) and command-line flags.
 * Unknown keys in the file are rejected so that a typo does not silently fall back to a default.
 */
public record ServerConfig(String host, int port, Path dataDir, URI s3Endpoint, String s3Bucket, String s3Region,
                           String s3AccessKey, String s3SecretKey, String s3Prefix, int s3EmbeddedPort,
                           long retentionCheckIntervalMs, long fsyncIntervalMs, long shutdownTimeoutMs,
                           int ingestShards, int ingestRingSize, long ingestPublishTimeoutMs,
                           long minFreeDiskBytes, Limits limits, int kafkaPort, String kafkaAdvertisedHost,
                           int kafkaAdvertisedPort, int kafkaMaxRequestBytes, GroupConfig kafkaGroups,
                           IngestConfig.WaitStrategy ingestWaitStrategy, ReceiverConfig receivers,
                           Security security, java.util.List<Long> coldRollupsMs) {

    /**
     * Who may connect: the token file (null = no authentication), how often it is checked for changes, whether
     * /metrics is open, and whether listening on a non-loopback address without authentication was explicitly allowed.
     */
    public record Security(Path tokenFile, long reloadIntervalMs, boolean metricsOpen, boolean insecure, Path tlsCert,
                           Path tlsKey, Path tlsClientCa, boolean s3TlsVerify) {
        public Security {
            if (reloadIntervalMs < 0) {
                throw new IllegalArgumentException("auth.reload.interval.ms must be >= 0, was " + reloadIntervalMs);
            }
            if ((tlsCert == null) != (tlsKey == null)) {
                throw new IllegalArgumentException("tls.cert.file and tls.key.file must be given together");
            }
            if (tlsClientCa != null && tlsCert == null) {
                throw new IllegalArgumentException("tls.client.ca.file needs tls.cert.file and tls.key.file");
            }
        }

        /** Security with only a token file (tests). */
        public Security(Path tokenFile, long reloadIntervalMs, boolean metricsOpen, boolean insecure) {
            this(tokenFile, reloadIntervalMs, metricsOpen, insecure, null, null, null, true);
        }

        public boolean tlsEnabled() {
            return tlsCert != null;
        }

        public boolean authenticationEnabled() {
            return tokenFile != null;
        }
    }

    public ServerConfig {
        // "./data" must become an absolute, normalised path: the embedded S3 store rejects "." segments as
        // path traversal, and every log line should name the real directory
        dataDir = dataDir == null ? null : dataDir.toAbsolutePath().normalize();
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be in 0..65535, was " + port);
        }
        if (s3EmbeddedPort < 0 || s3EmbeddedPort > 65535) {
            throw new IllegalArgumentException("s3.embedded.port must be in 0..65535, was " + s3EmbeddedPort);
        }
        if (retentionCheckIntervalMs <= 0) {
            throw new IllegalArgumentException("retention.check.interval.ms must be > 0, was " + retentionCheckIntervalMs);
        }
        if (fsyncIntervalMs < 0) {
            throw new IllegalArgumentException("fsync.interval.ms must be >= 0, was " + fsyncIntervalMs);
        }
        if (shutdownTimeoutMs < 0) {
            throw new IllegalArgumentException("shutdown.timeout.ms must be >= 0, was " + shutdownTimeoutMs);
        }
        if (ingestShards < 0 || ingestShards > 256) {
            throw new IllegalArgumentException("ingest.shards must be in 0..256, was " + ingestShards);
        }
        if (ingestRingSize < 2 || Integer.bitCount(ingestRingSize) != 1) {
            throw new IllegalArgumentException("ingest.ring.size must be a power of two >= 2, was " + ingestRingSize);
        }
        if (ingestPublishTimeoutMs < 0) {
            throw new IllegalArgumentException("ingest.publish.timeout.ms must be >= 0, was " + ingestPublishTimeoutMs);
        }
        if (minFreeDiskBytes < 0) {
            throw new IllegalArgumentException("min.free.disk.bytes must be >= 0, was " + minFreeDiskBytes);
        }
        if (kafkaPort < -1 || kafkaPort > 65535) {
            throw new IllegalArgumentException("kafka.port must be in -1..65535, was " + kafkaPort);
        }
        if (kafkaAdvertisedPort < 0 || kafkaAdvertisedPort > 65535) {
            throw new IllegalArgumentException("kafka.advertised.port must be in 0..65535, was " + kafkaAdvertisedPort);
        }
        if (kafkaMaxRequestBytes < 1024) {
            throw new IllegalArgumentException("kafka.max.request.bytes must be >= 1024, was " + kafkaMaxRequestBytes);
        }
        if (kafkaGroups == null) {
            throw new IllegalArgumentException("kafkaGroups must be given");
        }
        if (security == null) {
            throw new IllegalArgumentException("security must be given");
        }
        if (limits.maxRequestBytes() < 1024) {
            throw new IllegalArgumentException("max.request.bytes must be >= 1024");
        }
        if (receivers == null) {
            throw new IllegalArgumentException("receivers must be given");
        }
    }

    /**
     * The Prometheus remote_write and OTLP doors' settings: where they write, how large a body may inflate to, and
     * which OTLP resource attributes become labels.
     */
    public record ReceiverConfig(String topic, int maxDecodedBytes, java.util.Set<String> promotedResourceAttributes) {
        public ReceiverConfig {
            io.tierlog.core.Validation.topicName(topic);
            if (maxDecodedBytes < 1024) {
                throw new IllegalArgumentException("receivers.max.decoded.bytes must be >= 1024, was " + maxDecodedBytes);
            }
            promotedResourceAttributes = java.util.Set.copyOf(promotedResourceAttributes);
        }
    }

    /** Without the S3 secret key: a configuration may be logged or shown. */
    @Override
    public String toString() {
        return "ServerConfig[host=" + host + ", port=" + port + ", dataDir=" + dataDir + ", s3Endpoint=" + s3Endpoint
                + ", s3Bucket=" + s3Bucket + ", s3AccessKey=" + s3AccessKey + ", s3SecretKey="
                + (s3SecretKey == null || s3SecretKey.isEmpty() ? "" : "(hidden)") + ", kafkaPort=" + kafkaPort
                + ", security=" + security + "]";
    }

    /** True when the Kafka listener is to run ({@code kafka.port} is not -1). */
    public boolean kafkaEnabled() {
        return kafkaPort >= 0;
    }

    /** True when no external S3 endpoint is configured and the embedded store must be started. */
    public boolean embeddedS3() {
        return s3Endpoint == null;
    }

    /** Every default: what a bare {@code ./tierlog server} runs with. */
    public static ServerConfig defaults() {
        return load(null, Map.of(), Map.of());
    }

    /**
     * Resolves the configuration.
     *
     * @param file  a properties file or null
     * @param env   the environment (only {@code TIERLOG_*} variables are read)
     * @param flags values given on the command line, by file key
     */
    public static ServerConfig load(Path file, Map<String, String> env, Map<String, String> flags) {
        Map<ConfigKey, String> values = new EnumMap<>(ConfigKey.class);
        for (ConfigKey k : ConfigKey.values()) {
            values.put(k, k.defaultValue);
        }
        if (file != null) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read configuration file " + file + ": " + e.getMessage(), e);
            }
            for (String name : p.stringPropertyNames()) {
                ConfigKey k = ConfigKey.byKey(name.trim());
                if (k == null) {
                    throw new IllegalArgumentException("unknown key '" + name + "' in " + file
                            + " (see docs/configuration.md)");
                }
                values.put(k, p.getProperty(name).trim());
            }
        }
        for (ConfigKey k : ConfigKey.values()) {
            String v = env.get(k.envVar());
            if (v != null) {
                values.put(k, v.trim());
            }
        }
        for (Map.Entry<String, String> e : flags.entrySet()) {
            ConfigKey k = ConfigKey.byKey(e.getKey());
            if (k == null) {
                throw new IllegalArgumentException("unknown option '" + e.getKey() + "'");
            }
            values.put(k, e.getValue().trim());
        }
        String endpoint = values.get(ConfigKey.S3_ENDPOINT);
        URI s3 = null;
        if (!endpoint.isEmpty()) {
            try {
                s3 = new URI(endpoint);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("s3.endpoint '" + endpoint + "' is not a URL: " + e.getMessage(), e);
            }
            if (s3.getScheme() == null || s3.getHost() == null) {
                throw new IllegalArgumentException("s3.endpoint '" + endpoint + "' must look like http://host:port");
            }
        }
        Limits limits = new Limits(
                intOf(values, ConfigKey.MAX_REQUEST_BYTES), intOf(values, ConfigKey.MAX_RECORD_VALUE_BYTES),
                intOf(values, ConfigKey.MAX_TAGS), intOf(values, ConfigKey.MAX_NAME_LENGTH),
                intOf(values, ConfigKey.MAX_TAG_VALUE_LENGTH), longOf(values, ConfigKey.MAX_WAIT_MS),
                intOf(values, ConfigKey.MAX_RECORDS_PER_RESPONSE));
        return new ServerConfig(values.get(ConfigKey.HOST), intOf(values, ConfigKey.PORT),
                Path.of(values.get(ConfigKey.DATA_DIR)), s3, values.get(ConfigKey.S3_BUCKET),
                values.get(ConfigKey.S3_REGION), values.get(ConfigKey.S3_ACCESS_KEY),
                values.get(ConfigKey.S3_SECRET_KEY), values.get(ConfigKey.S3_PREFIX),
                intOf(values, ConfigKey.S3_EMBEDDED_PORT), longOf(values, ConfigKey.RETENTION_CHECK_INTERVAL_MS),
                longOf(values, ConfigKey.FSYNC_INTERVAL_MS), longOf(values, ConfigKey.SHUTDOWN_TIMEOUT_MS),
                intOf(values, ConfigKey.INGEST_SHARDS), intOf(values, ConfigKey.INGEST_RING_SIZE),
                longOf(values, ConfigKey.INGEST_PUBLISH_TIMEOUT_MS), longOf(values, ConfigKey.MIN_FREE_DISK_BYTES),
                limits, intOf(values, ConfigKey.KAFKA_PORT), values.get(ConfigKey.KAFKA_ADVERTISED_HOST),
                intOf(values, ConfigKey.KAFKA_ADVERTISED_PORT), intOf(values, ConfigKey.KAFKA_MAX_REQUEST_BYTES),
                groupConfig(values), waitStrategy(values.get(ConfigKey.INGEST_WAIT_STRATEGY)), receiverConfig(values),
                security(values), durations(ConfigKey.COLD_ROLLUPS, values.get(ConfigKey.COLD_ROLLUPS)));
    }

    private static ReceiverConfig receiverConfig(Map<ConfigKey, String> values) {
        java.util.Set<String> promoted = new java.util.LinkedHashSet<>();
        for (String a : values.get(ConfigKey.OTLP_PROMOTE_RESOURCE_ATTRIBUTES).split(",")) {
            if (!a.isBlank()) {
                promoted.add(a.trim());
            }
        }
        return new ReceiverConfig(values.get(ConfigKey.RECEIVERS_TOPIC), intOf(values, ConfigKey.RECEIVERS_MAX_DECODED_BYTES),
                promoted);
    }

    private static Security security(Map<ConfigKey, String> values) {
        String file = values.get(ConfigKey.AUTH_TOKEN_FILE);
        return new Security(file.isEmpty() ? null : Path.of(file).toAbsolutePath(),
                longOf(values, ConfigKey.AUTH_RELOAD_INTERVAL_MS), boolOf(values, ConfigKey.AUTH_METRICS_OPEN),
                boolOf(values, ConfigKey.INSECURE), pathOf(values, ConfigKey.TLS_CERT_FILE),
                pathOf(values, ConfigKey.TLS_KEY_FILE), pathOf(values, ConfigKey.TLS_CLIENT_CA_FILE),
                boolOf(values, ConfigKey.S3_TLS_VERIFY));
    }

    private static Path pathOf(Map<ConfigKey, String> values, ConfigKey k) {
        String s = values.get(k);
        return s.isEmpty() ? null : Path.of(s).toAbsolutePath();
    }

    private static boolean boolOf(Map<ConfigKey, String> values, ConfigKey k) {
        String s = values.get(k);
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(k.key + " must be true or false, was '" + s + "'");
        };
    }

    /** A copy with another security setting (tests start secured servers from the defaults). */
    public ServerConfig withSecurity(Security s) {
        return new ServerConfig(host, port, dataDir, s3Endpoint, s3Bucket, s3Region, s3AccessKey, s3SecretKey, s3Prefix,
                s3EmbeddedPort, retentionCheckIntervalMs, fsyncIntervalMs, shutdownTimeoutMs, ingestShards,
                ingestRingSize, ingestPublishTimeoutMs, minFreeDiskBytes, limits, kafkaPort, kafkaAdvertisedHost,
                kafkaAdvertisedPort, kafkaMaxRequestBytes, kafkaGroups, ingestWaitStrategy, receivers, s, coldRollupsMs);
    }

    /** A comma list of durations ({@code 90s}, {@code 1m}, {@code 1h}, {@code 1d}, or milliseconds), distinct. */
    static java.util.List<Long> durations(ConfigKey k, String list) {
        java.util.List<Long> out = new java.util.ArrayList<>();
        for (String part : list.split(",")) {
            String d = part.trim();
            if (d.isEmpty()) {
                continue;
            }
            long unit = switch (d.charAt(d.length() - 1)) {
                case 's' -> 1_000L;
                case 'm' -> 60_000L;
                case 'h' -> 3_600_000L;
                case 'd' -> 86_400_000L;
                default -> 1L;
            };
            long ms;
            try {
                ms = Math.multiplyExact(Long.parseLong(unit == 1 ? d : d.substring(0, d.length() - 1)), unit);
            } catch (NumberFormatException | ArithmeticException e) {
                throw new IllegalArgumentException(k.key + ": '" + d + "' is not a duration such as 1m or 1h");
            }
            if (ms < 1 || out.contains(ms)) {
                throw new IllegalArgumentException(k.key + ": '" + d + "' is not positive or repeats");
            }
            out.add(ms);
        }
        return java.util.List.copyOf(out);
    }

    private static IngestConfig.WaitStrategy waitStrategy(String name) {
        try {
            return IngestConfig.WaitStrategy.valueOf(name.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("ingest.wait.strategy must be blocking, lite-blocking, phased-backoff, "
                    + "sleeping, yielding or busy-spin, was '" + name + "'", e);
        }
    }

    private static GroupConfig groupConfig(Map<ConfigKey, String> values) {
        try {
            return new GroupConfig(intOf(values, ConfigKey.KAFKA_GROUP_MIN_SESSION_TIMEOUT_MS),
                    intOf(values, ConfigKey.KAFKA_GROUP_MAX_SESSION_TIMEOUT_MS),
                    intOf(values, ConfigKey.KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS), intOf(values, ConfigKey.KAFKA_GROUP_MAX_SIZE));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("kafka.group.* options: " + e.getMessage(), e);
        }
    }

    private static int intOf(Map<ConfigKey, String> values, ConfigKey k) {
        long v = longOf(values, k);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(k.key + " = " + v + " is out of range");
        }
        return (int) v;
    }

    private static long longOf(Map<ConfigKey, String> values, ConfigKey k) {
        String s = values.get(k);
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(k.key + " must be a whole number, was '" + s + "'", e);
        }
    }
}
