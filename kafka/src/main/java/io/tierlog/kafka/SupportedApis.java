package io.tierlog.kafka;

import java.util.EnumMap;
import java.util.Map;

import org.apache.kafka.common.message.ApiMessageType;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersionCollection;
import org.apache.kafka.common.protocol.ApiKeys;

/**
 * The APIs and versions the listener implements: what ApiVersions advertises and what a request must use
 * (anything else closes the connection, as Kafka does). Each range is kafka-clients' stable range, narrowed.
 */
final class SupportedApis {

    /** An advertised range and, for Produce, the part that is actually served (Kafka 4 advertises v0-2, rejects them). */
    record Range(short advertisedMin, short min, short max) {
        boolean serves(short version) {
            return version >= min && version <= max;
        }
    }

    private final Map<ApiKeys, Range> ranges = new EnumMap<>(ApiKeys.class);

    SupportedApis() {
        this(false);
    }

    /** With {@code sasl}, SaslHandshake v1 and SaslAuthenticate are advertised and served (only then). */
    SupportedApis(boolean sasl) {
        if (sasl) {
            // v1 only is served (its tokens travel in SaslAuthenticate frames; v0's raw tokens are not), but v0 is
            // advertised: librdkafka turns its SASL handshake feature on only when the range includes v0
            add(ApiKeys.SASL_HANDSHAKE, 1, 1);
            ranges.put(ApiKeys.SASL_HANDSHAKE, new Range((short) 0, (short) 1, (short) 1));
            add(ApiKeys.SASL_AUTHENTICATE, 0, 2);
        }
        add(ApiKeys.API_VERSIONS, 0, 4);
        add(ApiKeys.METADATA, 0, 13);
        add(ApiKeys.PRODUCE, 3, 13);
        add(ApiKeys.FETCH, 4, 18);
        add(ApiKeys.LIST_OFFSETS, 1, 10);
        add(ApiKeys.INIT_PRODUCER_ID, 0, 5);
        add(ApiKeys.FIND_COORDINATOR, 0, 6);
        add(ApiKeys.CREATE_TOPICS, 2, 7);
        add(ApiKeys.DELETE_TOPICS, 1, 6);
        add(ApiKeys.DESCRIBE_CONFIGS, 1, 4);
        add(ApiKeys.DESCRIBE_CLUSTER, 0, 2);
        add(ApiKeys.DELETE_RECORDS, 0, 2);
        // the classic group protocol; KIP-848's ConsumerGroupHeartbeat is not advertised (docs/kafka.md)
        add(ApiKeys.JOIN_GROUP, 0, 9);
        add(ApiKeys.SYNC_GROUP, 0, 5);
        add(ApiKeys.HEARTBEAT, 0, 4);
        add(ApiKeys.LEAVE_GROUP, 0, 5);
        add(ApiKeys.OFFSET_COMMIT, 2, 9);
        add(ApiKeys.OFFSET_FETCH, 1, 9);
        add(ApiKeys.OFFSET_DELETE, 0, 0);
        add(ApiKeys.LIST_GROUPS, 0, 5);
        add(ApiKeys.DESCRIBE_GROUPS, 0, 6);
        add(ApiKeys.DELETE_GROUPS, 0, 2);
    }

    private void add(ApiKeys key, int min, int max) {
        // the library's stable range (for Produce, the broker's, which starts at 0 for librdkafka: KAFKA-18659)
        ApiVersionsResponseData.ApiVersion lib = key.toApiVersionForApiResponse(false, ApiMessageType.ListenerType.BROKER)
                .orElseThrow(() -> new IllegalStateException(key + " is not in kafka-clients' broker APIs"));
        short lo = (short) Math.max(min, lib.minVersion());
        short hi = (short) Math.min(max, lib.maxVersion());
        if (lo > hi) {
            throw new IllegalStateException(key + ": no version in both " + min + ".." + max + " and " + lib);
        }
        short advertisedMin = key == ApiKeys.PRODUCE ? lib.minVersion() : lo;
        ranges.put(key, new Range(advertisedMin, lo, hi));
    }

    /** Whether a request of this key and version is served; ApiVersions is always answered (v0 fallback). */
    boolean serves(ApiKeys key, short version) {
        Range r = ranges.get(key);
        return r != null && (key == ApiKeys.API_VERSIONS || r.serves(version));
    }

    ApiVersionCollection advertised() {
        ApiVersionCollection c = new ApiVersionCollection();
        ranges.forEach((key, r) -> c.add(new ApiVersionsResponseData.ApiVersion()
                .setApiKey(key.id).setMinVersion(r.advertisedMin()).setMaxVersion(r.max())));
        return c;
    }
}
