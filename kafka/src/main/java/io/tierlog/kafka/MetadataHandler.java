package io.tierlog.kafka;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.DescribeClusterRequest;
import org.apache.kafka.common.requests.DescribeClusterResponse;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.MetadataResponse;

/**
 * Metadata and DescribeCluster: one broker, leader of every partition with itself as the only replica.
 * Topics are never created here ({@code allowAutoTopicCreation} is ignored).
 */
final class MetadataHandler {

    /** DescribeCluster's EndpointType for controllers (KIP-919); a broker answers only for brokers. */
    private static final byte CONTROLLER_ENDPOINT = 2;

    private final KafkaBackend backend;
    private final BrokerIdentity broker;

    MetadataHandler(KafkaBackend backend, BrokerIdentity broker) {
        this.backend = backend;
        this.broker = broker;
    }

    /** Metadata as {@code visible} may see it: other topics are left out of "all topics" and refused when named. */
    Reply metadata(MetadataRequest request, java.util.function.Predicate<String> visible) {
        short version = request.version();
        MetadataRequestData req = request.data();
        MetadataResponseData resp = new MetadataResponseData()
                .setClusterId(backend.clusterId())
                .setControllerId(broker.nodeId());
        resp.brokers().add(new MetadataResponseData.MetadataResponseBroker()
                .setNodeId(broker.nodeId()).setHost(broker.host()).setPort(broker.port()));
        boolean allTopics = req.topics() == null || (version == 0 && req.topics().isEmpty());
        if (allTopics) {
            for (KafkaBackend.TopicView t : backend.topics()) {
                if (visible.test(t.name())) {
                    resp.topics().add(topic(t));
                }
            }
        } else {
            for (MetadataRequestData.MetadataRequestTopic rt : req.topics()) {
                resp.topics().add(requested(rt, version, visible));
            }
        }
        return new Reply.Respond(new MetadataResponse(resp, version));
    }

    private MetadataResponseData.MetadataResponseTopic requested(MetadataRequestData.MetadataRequestTopic rt, short version,
                                                                java.util.function.Predicate<String> visible) {
        // the Java admin asks by id with the name left at "" (not null)
        boolean byId = rt.topicId() != null && !Uuid.ZERO_UUID.equals(rt.topicId());
        Optional<KafkaBackend.TopicView> found = byId
                ? backend.topic(TopicIds.fromKafka(rt.topicId()))
                : Optional.ofNullable(rt.name()).flatMap(backend::topic);
        String name = found.map(KafkaBackend.TopicView::name).orElse(rt.name());
        if (name != null && !name.isEmpty() && !visible.test(name)) {
            // Kafka's answer to a topic the principal may not describe, whether or not it exists
            MetadataResponseData.MetadataResponseTopic denied = new MetadataResponseData.MetadataResponseTopic()
                    .setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code());
            return byId ? denied.setTopicId(rt.topicId()).setName(version >= 12 ? null : "") : denied.setName(rt.name());
        }
        if (found.isPresent()) {
            return topic(found.get());
        }
        MetadataResponseData.MetadataResponseTopic missing = new MetadataResponseData.MetadataResponseTopic()
                .setErrorCode((byId ? Errors.UNKNOWN_TOPIC_ID : Errors.UNKNOWN_TOPIC_OR_PARTITION).code());
        if (byId) {
            missing.setTopicId(rt.topicId()).setName(version >= 12 ? null : "");
        } else {
            missing.setName(rt.name());
        }
        return missing;
    }

    private MetadataResponseData.MetadataResponseTopic topic(KafkaBackend.TopicView t) {
        MetadataResponseData.MetadataResponseTopic topic = new MetadataResponseData.MetadataResponseTopic()
                .setErrorCode(Errors.NONE.code())
                .setName(t.name())
                .setTopicId(TopicIds.toKafka(t.id()))
                .setIsInternal(t.internal());
        List<Integer> self = List.of(broker.nodeId());
        for (int p = 0; p < t.partitions(); p++) {
            topic.partitions().add(new MetadataResponseData.MetadataResponsePartition()
                    .setErrorCode(Errors.NONE.code())
                    .setPartitionIndex(p)
                    .setLeaderId(broker.nodeId())
                    .setLeaderEpoch(0)
                    .setReplicaNodes(new ArrayList<>(self))
                    .setIsrNodes(new ArrayList<>(self))
                    .setOfflineReplicas(new ArrayList<>()));
        }
        return topic;
    }

    Reply describeCluster(DescribeClusterRequest request) {
        DescribeClusterResponseData resp = new DescribeClusterResponseData()
                .setEndpointType(request.data().endpointType());
        if (request.data().endpointType() == CONTROLLER_ENDPOINT) {
            return new Reply.Respond(new DescribeClusterResponse(resp
                    .setErrorCode(Errors.UNSUPPORTED_ENDPOINT_TYPE.code())
                    .setErrorMessage("this listener is a broker, it does not describe controllers")
                    .setClusterId(backend.clusterId())));
        }
        resp.setClusterId(backend.clusterId()).setControllerId(broker.nodeId());
        resp.brokers().add(new DescribeClusterResponseData.DescribeClusterBroker()
                .setBrokerId(broker.nodeId()).setHost(broker.host()).setPort(broker.port()).setRack(null));
        return new Reply.Respond(new DescribeClusterResponse(resp));
    }
}
