package io.tierlog.cold;

import io.tierlog.core.TopicPartition;

import java.util.UUID;

/**
 * Where the cold tier's objects live in the bucket, in one place: {@code <prefix>/<topic>/<partition>/manifest.bin}
 * and {@code <prefix>/<topic>/<partition>/<20-digit base>-<20-digit last>-<uuid>.seg}. A fresh UUID per upload
 * attempt means a retry never overwrites an object a manifest may already name.
 */
final class ObjectKeys {
    static final String MANIFEST = "manifest.bin";
    static final String SEGMENT_SUFFIX = ".seg";

    private final String root;

    ObjectKeys(String keyPrefix) {
        this.root = keyPrefix.isEmpty() ? "" : keyPrefix + "/";
    }

    /** Everything the cold tier owns: the start-up sweep lists it. */
    String root() {
        return root;
    }

    String topic(String topic) {
        return root + topic + "/";
    }

    String partition(TopicPartition tp) {
        return topic(tp.topic()) + tp.partition() + "/";
    }

    String manifest(TopicPartition tp) {
        return partition(tp) + MANIFEST;
    }

    /** A key no earlier attempt can have used. */
    String newSegment(TopicPartition tp, long baseOffset, long lastOffset) {
        return partition(tp) + String.format("%020d-%020d-%s%s", baseOffset, lastOffset, UUID.randomUUID(), SEGMENT_SUFFIX);
    }

    static boolean isSegment(String key) {
        return key.endsWith(SEGMENT_SUFFIX);
    }

    static boolean isManifest(String key) {
        return key.endsWith("/" + MANIFEST);
    }

    /** The partition directory of a key (up to and including its last '/'). */
    static String directory(String key) {
        return key.substring(0, key.lastIndexOf('/') + 1);
    }
}
