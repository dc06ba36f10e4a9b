package io.tierlog.kafka;

/** The single broker as clients see it: node id and advertised endpoint. Immutable. */
record BrokerIdentity(int nodeId, String host, int port) {
}
