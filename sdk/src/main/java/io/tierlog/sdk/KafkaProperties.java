package io.tierlog.sdk;

import java.util.Map;
import java.util.TreeMap;

/**
 * The extra kafka-clients properties a producer or consumer config carries. Exists so that a key the SDK sets from
 * a typed option (say {@code linger.ms}) cannot also be passed raw: two sources for one setting would leave the
 * reader guessing which one won.
 */
final class KafkaProperties {
    private KafkaProperties() {
    }

    /**
     * An immutable, sorted copy of {@code extra}, refused when it names a key of {@code owned} (key -> the typed
     * option or reason that sets it).
     */
    static Map<String, Object> checked(Map<String, ?> extra, Map<String, String> owned) {
        TreeMap<String, Object> out = new TreeMap<>();
        if (extra == null) {
            return Map.of();
        }
        extra.forEach((k, v) -> {
            if (k == null || v == null) {
                throw new IllegalArgumentException("kafka property keys and values must not be null: " + k + "=" + v);
            }
            String set = owned.get(k);
            if (set != null) {
                throw new IllegalArgumentException("kafka property '" + k + "' is set by the SDK from " + set
                        + "; use that instead");
            }
            out.put(k, v);
        });
        return java.util.Collections.unmodifiableMap(out);
    }
}
