package io.tierlog.kafka;

import java.util.UUID;

import org.apache.kafka.common.Uuid;

/** The single broker as clients see it: node id and advertised endpoint. Immutable. */
record BrokerIdentity(int nodeId, String host, int port) {

    static Uuid toKafka(UUID id) {
        return new Uuid(id.getMostSignificantBits(), id.getLeastSignificantBits());
    }

    static UUID fromKafka(Uuid id) {
        return new UUID(id.getMostSignificantBits(), id.getLeastSignificantBits());
    }
}
