package io.tierlog.loadtest.kafka;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What both brokers under comparison get alike: the JVM options (heap, GC), segment size and retention of the
 * benchmark topics. Neither broker fsyncs on a timer: both leave flushing to the OS page cache (Kafka's default
 * {@code log.flush.interval.messages}, Tierlog's {@code fsync.interval.ms=0}); only Tierlog's acks=all waits for
 * an fsync. {@code tiering} lets Tierlog offload closed segments to its embedded S3 store as it would by default;
 * off, both brokers keep one local tier.
 */
record BrokerSettings(List<String> jvmOptions, long segmentBytes, long retentionMs, boolean tiering, Duration startTimeout) {

    /** Kafka's production JVM settings (kafka-server-start.sh) with the given heap, for both brokers. */
    static List<String> jvmOptions(String heap) {
        return List.of("-Xms" + heap, "-Xmx" + heap, "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
                "-XX:InitiatingHeapOccupancyPercent=35", "-XX:+ExplicitGCInvokesConcurrent");
    }

    static BrokerSettings defaults() {
        return new BrokerSettings(jvmOptions("1g"), 128L * 1024 * 1024, 7L * 24 * 3600 * 1000, false, Duration.ofSeconds(90));
    }

    /** The topic configs both brokers understand with the same meaning. */
    Map<String, String> commonTopicConfigs() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("segment.bytes", Long.toString(segmentBytes));
        c.put("retention.ms", Long.toString(retentionMs));
        return c;
    }
}
