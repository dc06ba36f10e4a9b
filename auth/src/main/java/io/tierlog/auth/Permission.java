package io.tierlog.auth;

import java.util.Locale;

/**
 * What a principal may do with the topics a {@link Grant} covers. The three are independent (admin does not imply
 * produce or consume), so a dashboard token can read without being able to write or delete.
 */
public enum Permission {
    /** Append records (HTTP produce, Kafka Produce and InitProducerId). */
    PRODUCE,
    /** Read records and offsets, tail, and use consumer groups and committed offsets. */
    CONSUME,
    /** Create, delete and truncate topics; with the prefix "" also the cluster-wide views (storage, metrics, groups). */
    ADMIN;

    /** The lower-case name used in the token file and the docs. */
    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    static Permission parse(String s) {
        for (Permission p : values()) {
            if (p.jsonName().equals(s)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown permission '" + s + "'; expected produce, consume or admin");
    }
}
