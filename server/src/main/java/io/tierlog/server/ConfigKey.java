package io.tierlog.server;

import java.util.Locale;

/**
 * Every server option, once: its key in the properties file, the environment variable and the command-line
 * flag derived from it, its default and a one-line description. {@link ServerConfig#load} and the CLI are
 * both driven by this table, so docs/configuration.md, the flags and the file format cannot drift apart.
 */
enum ConfigKey {
    HOST("host", "127.0.0.1", "address the HTTP API binds to"),
    PORT("port", "7070", "HTTP port (0 = pick a free port)"),
    KAFKA_PORT("kafka.port", "9092", "Kafka listener port on the same address (0 = pick a free port, -1 = no Kafka listener)"),
    KAFKA_ADVERTISED_HOST("kafka.advertised.host", "",
            "host Kafka clients are told to connect to (Metadata); empty = the bind address"),
    KAFKA_ADVERTISED_PORT("kafka.advertised.port", "0", "port Kafka clients are told to connect to; 0 = the bound port"),
    KAFKA_MAX_REQUEST_BYTES("kafka.max.request.bytes", "104857600",
            "largest Kafka request frame (Kafka's socket.request.max.bytes); a larger one closes its connection"),
    KAFKA_GROUP_MIN_SESSION_TIMEOUT_MS("kafka.group.min.session.timeout.ms", "6000",
            "shortest session timeout a Kafka consumer may ask for (Kafka's group.min.session.timeout.ms)"),
    KAFKA_GROUP_MAX_SESSION_TIMEOUT_MS("kafka.group.max.session.timeout.ms", "1800000",
            "longest session timeout a Kafka consumer may ask for (Kafka's group.max.session.timeout.ms)"),
    KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS("kafka.group.initial.rebalance.delay.ms", "3000",
            "how long an empty consumer group's first rebalance waits for more members (Kafka's group.initial.rebalance.delay.ms)"),
    KAFKA_GROUP_MAX_SIZE("kafka.group.max.size", "1000", "most members of one Kafka consumer group (Kafka's group.max.size)"),
    DATA_DIR("data.dir", "./data", "directory for topics, segments, offsets and the embedded S3 store"),
    S3_ENDPOINT("s3.endpoint", "", "S3-compatible endpoint URL; empty = start the embedded S3 store"),
    S3_BUCKET("s3.bucket", "tierlog", "bucket holding the cold tier (created when missing)"),
    S3_REGION("s3.region", "us-east-1", "S3 region"),
    S3_ACCESS_KEY("s3.access.key", "",
            "S3 access key; empty = the AWS default chain, or for the embedded store a key generated per data directory"),
    S3_SECRET_KEY("s3.secret.key", "",
            "S3 secret key; empty = the AWS default chain, or for the embedded store one generated into <data.dir>/s3-credentials.properties (0600)"),
    S3_PREFIX("s3.prefix", "tierlog", "key prefix of every object the cold tier writes (no leading or trailing /)"),
    S3_TLS_VERIFY("s3.tls.verify", "true",
            "false = accept any TLS certificate from an https s3.endpoint (a test store with a self-signed certificate)"),
    COLD_ROLLUPS("cold.rollups", "1h",
            "rollup resolutions stored in the S3 series blocks of metrics topics (comma list such as 1m,1h; empty = none): "
                    + "*_over_time queries at those steps read rollups instead of samples"),
    S3_EMBEDDED_PORT("s3.embedded.port", "0", "port of the embedded S3 store (0 = pick a free port)"),
    RETENTION_CHECK_INTERVAL_MS("retention.check.interval.ms", "30000",
            "period of the background task that rolls by segmentMs, flushes and applies retention"),
    FSYNC_INTERVAL_MS("fsync.interval.ms", "0",
            "fsync the logs at least this often (ms); 0 = leave it to the OS (acks=durable still fsyncs)"),
    SHUTDOWN_TIMEOUT_MS("shutdown.timeout.ms", "10000",
            "how long a graceful shutdown waits for ingest to drain and uploads to finish"),
    INGEST_SHARDS("ingest.shards", "0", "ingest writer threads (Disruptor rings); 0 = half the cores, at least 1"),
    INGEST_RING_SIZE("ingest.ring.size", "4096", "slots per ingest ring (a power of two)"),
    INGEST_WAIT_STRATEGY("ingest.wait.strategy", "blocking",
            "how an idle ingest writer waits: blocking, lite-blocking, phased-backoff, sleeping, yielding or busy-spin"),
    INGEST_PUBLISH_TIMEOUT_MS("ingest.publish.timeout.ms", "200",
            "how long a produce waits for a free ring slot before answering 503 overloaded"),
    MIN_FREE_DISK_BYTES("min.free.disk.bytes", "268435456",
            "produce answers 503 overloaded while the data directory's file system has less free space than this"),
    MAX_REQUEST_BYTES("max.request.bytes", "16777216", "largest accepted request body"),
    MAX_RECORD_VALUE_BYTES("max.record.value.bytes", "1048576", "largest accepted record value"),
    MAX_TAGS("max.tags", "32", "most tags per metric"),
    MAX_NAME_LENGTH("max.name.length", "256", "longest metric name or tag key"),
    MAX_TAG_VALUE_LENGTH("max.tag.value.length", "256", "longest tag value"),
    MAX_WAIT_MS("max.wait.ms", "30000", "upper bound of a long poll's maxWaitMs"),
    MAX_RECORDS_PER_RESPONSE("max.records.per.response", "10000", "upper bound of maxRecords"),
    RECEIVERS_TOPIC("receivers.topic", "metrics",
            "metrics topic that Prometheus remote_write and OTLP requests write to unless they name one (?topic= or X-Tierlog-Topic)"),
    RECEIVERS_MAX_DECODED_BYTES("receivers.max.decoded.bytes", "16777216",
            "largest remote_write or OTLP body after snappy or gzip is undone; checked before decompressing where the format declares it"),
    OTLP_PROMOTE_RESOURCE_ATTRIBUTES("otlp.promote.resource.attributes", "",
            "comma-separated OTLP resource attributes that become labels (service.name and service.instance.id always become job and instance)"),
    AUTH_TOKEN_FILE("auth.token.file", "",
            "JSON file of principals, hashed tokens and grants (tierlog token add writes it); empty = no authentication"),
    AUTH_RELOAD_INTERVAL_MS("auth.reload.interval.ms", "1000",
            "how often (at most) a request checks whether the token file changed and reloads it"),
    AUTH_METRICS_OPEN("auth.metrics.open", "false",
            "true = GET /metrics needs no token (for a Prometheus without credentials); else it needs cluster admin"),
    TLS_CERT_FILE("tls.cert.file", "",
            "PEM certificate chain (server first) for HTTPS and the Kafka listener's TLS; empty = no TLS"),
    TLS_KEY_FILE("tls.key.file", "", "PEM PKCS#8 private key of tls.cert.file"),
    TLS_CLIENT_CA_FILE("tls.client.ca.file", "",
            "PEM CA whose client certificates identify principals (subject CN = principal name); empty = none asked"),
    INSECURE("insecure", "false",
            "true = allow listening on a non-loopback address without authentication (flag: --insecure)");

    final String key;
    final String defaultValue;
    final String description;

    ConfigKey(String key, String defaultValue, String description) {
        this.key = key;
        this.defaultValue = defaultValue;
        this.description = description;
    }

    /** {@code TIERLOG_DATA_DIR} for {@code data.dir}. */
    String envVar() {
        return "TIERLOG_" + key.replace('.', '_').toUpperCase(Locale.ROOT);
    }

    /** {@code --data-dir} for {@code data.dir}. */
    String flag() {
        return "--" + key.replace('.', '-');
    }

    static ConfigKey byKey(String key) {
        for (ConfigKey k : values()) {
            if (k.key.equals(key)) {
                return k;
            }
        }
        return null;
    }
}
