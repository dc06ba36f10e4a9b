package io.tierlog.server;

import io.tierlog.core.Compression;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * A topic's {@code compression.type} (Kafka's name and values): {@code producer} keeps what the client sent, and has
 * the server compress the batches it builds itself (from JSON) with zstd, so that HTTP producers do not store
 * uncompressed batches; an explicit codec is the one every stored batch of the topic uses: clients' batches in
 * another codec are re-encoded in it, as Kafka does ({@link BatchRecompressor}).
 */
enum TopicCompression {
    PRODUCER("producer", Compression.ZSTD),
    NONE("none", Compression.NONE),
    GZIP("gzip", Compression.GZIP),
    SNAPPY("snappy", Compression.SNAPPY),
    LZ4("lz4", Compression.LZ4),
    ZSTD("zstd", Compression.ZSTD);

    /** The value in topic configs (both doors, topic.json). */
    final String configName;
    /** The codec of batches the server builds for this topic (zstd at level 1 for {@code producer}). */
    final Compression serverBuiltBatches;

    TopicCompression(String configName, Compression serverBuiltBatches) {
        this.configName = configName;
        this.serverBuiltBatches = serverBuiltBatches;
    }

    /**
     * Parses a config value, case-insensitively; Kafka's topic-level {@code uncompressed} is accepted as {@code none}.
     * Empty for anything else.
     */
    static Optional<TopicCompression> parse(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (v.equals("uncompressed")) {
            return Optional.of(NONE);
        }
        return Arrays.stream(values()).filter(c -> c.configName.equals(v)).findFirst();
    }

    /** The accepted values, for error messages. */
    static String choices() {
        return String.join(", ", Arrays.stream(values()).map(c -> "'" + c.configName + "'").toList());
    }
}
