package io.tierlog.kafka;

import java.util.Objects;

/**
 * Where the Kafka listener binds, what it tells clients to connect to, and its one protocol limit. Immutable.
 *
 * @param bindHost        the address to listen on ({@code 0.0.0.0} for all)
 * @param port            the port to listen on; {@code 0} picks an ephemeral one (see {@link KafkaListener#port()})
 * @param advertisedHost  the host clients are told to use in Metadata, FindCoordinator and DescribeCluster
 * @param advertisedPort  the port clients are told to use; {@code 0} advertises the bound port
 * @param maxRequestBytes the largest request frame accepted (Kafka's {@code socket.request.max.bytes}); a larger
 *                        or negative size closes the connection before anything is allocated
 * @param nodeId          the broker's node id in every answer (Tierlog is one broker: 0)
 * @param groups          the consumer group coordinator's timeouts and limits
 */
public record KafkaListenerConfig(String bindHost, int port, String advertisedHost, int advertisedPort,
                                  int maxRequestBytes, int nodeId, GroupConfig groups) {

    /** Kafka's default {@code socket.request.max.bytes}: 100 MiB. */
    public static final int DEFAULT_MAX_REQUEST_BYTES = 100 * 1024 * 1024;

    public KafkaListenerConfig {
        Objects.requireNonNull(bindHost, "bindHost");
        Objects.requireNonNull(advertisedHost, "advertisedHost");
        Objects.requireNonNull(groups, "groups");
        if (port < 0 || port > 65535 || advertisedPort < 0 || advertisedPort > 65535) {
            throw new IllegalArgumentException("ports must be in [0, 65535]: " + port + ", " + advertisedPort);
        }
        if (maxRequestBytes <= 0) {
            throw new IllegalArgumentException("maxRequestBytes must be positive: " + maxRequestBytes);
        }
        if (nodeId < 0) {
            throw new IllegalArgumentException("nodeId must not be negative: " + nodeId);
        }
    }

    /** Binds and advertises {@code host:port} with the default request limit, node id 0 and Kafka's group defaults. */
    public static KafkaListenerConfig of(String host, int port) {
        return new KafkaListenerConfig(host, port, host, 0, DEFAULT_MAX_REQUEST_BYTES, 0, GroupConfig.DEFAULTS);
    }

    public KafkaListenerConfig withMaxRequestBytes(int maxRequestBytes) {
        return new KafkaListenerConfig(bindHost, port, advertisedHost, advertisedPort, maxRequestBytes, nodeId, groups);
    }

    public KafkaListenerConfig withGroups(GroupConfig groups) {
        return new KafkaListenerConfig(bindHost, port, advertisedHost, advertisedPort, maxRequestBytes, nodeId, groups);
    }
}
