package io.tierlog.kafka;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.DeleteRecordsRequestData;
import org.apache.kafka.common.message.DeleteRecordsResponseData;
import org.apache.kafka.common.message.DeleteTopicsRequestData;
import org.apache.kafka.common.message.DeleteTopicsResponseData;
import org.apache.kafka.common.message.DescribeConfigsRequestData;
import org.apache.kafka.common.message.DescribeConfigsResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.CreateTopicsRequest;
import org.apache.kafka.common.requests.CreateTopicsResponse;
import org.apache.kafka.common.requests.DeleteRecordsRequest;
import org.apache.kafka.common.requests.DeleteRecordsResponse;
import org.apache.kafka.common.requests.DeleteTopicsRequest;
import org.apache.kafka.common.requests.DeleteTopicsResponse;
import org.apache.kafka.common.requests.DescribeConfigsRequest;
import org.apache.kafka.common.requests.DescribeConfigsResponse;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigSource;

import io.tierlog.kafka.KafkaErrors.TopicNaming;

/**
 * CreateTopics, DeleteTopics, DeleteRecords and DescribeConfigs. One broker: a replication factor other than -1
 * (default) or 1 is INVALID_REPLICATION_FACTOR, and explicit replica assignments are refused. Configs pass through
 * under Kafka's names; the backend decides which it knows.
 */
final class TopicAdminHandler {

    private final KafkaBackend backend;
    private final BrokerIdentity broker;
    private final int maxRequestBytes;

    TopicAdminHandler(KafkaBackend backend, BrokerIdentity broker, int maxRequestBytes) {
        this.backend = backend;
        this.broker = broker;
        this.maxRequestBytes = maxRequestBytes;
    }

    Reply createTopics(CreateTopicsRequest request) {
        short version = request.version();
        CreateTopicsRequestData req = request.data();
        CreateTopicsResponseData resp = new CreateTopicsResponseData();
        Set<String> seen = new HashSet<>();
        Set<String> duplicated = new HashSet<>();
        for (CreateTopicsRequestData.CreatableTopic t : req.topics()) {
            if (!seen.add(t.name())) {
                duplicated.add(t.name());
            }
        }
        for (CreateTopicsRequestData.CreatableTopic t : req.topics()) {
            CreateTopicsResponseData.CreatableTopicResult r = new CreateTopicsResponseData.CreatableTopicResult()
                    .setName(t.name()).setTopicId(Uuid.ZERO_UUID);
            try {
                if (duplicated.contains(t.name())) {
                    throw new BackendException(BackendException.Reason.INVALID_REQUEST,
                            "topic " + t.name() + " appears more than once in the request");
                }
                if (!t.assignments().isEmpty()) {
                    throw new BackendException(BackendException.Reason.INVALID_REQUEST,
                            "replica assignments are not supported: Tierlog is a single broker");
                }
                if (t.replicationFactor() != -1 && t.replicationFactor() != 1) {
                    throw new BackendException(BackendException.Reason.INVALID_REPLICATION_FACTOR,
                            "replication factor " + t.replicationFactor()
                                    + " is larger than 1, the number of brokers (use 1 or -1)");
                }
                Map<String, String> configs = new LinkedHashMap<>();
                for (CreateTopicsRequestData.CreatableTopicConfig c : t.configs()) {
                    if (c.value() != null) {
                        configs.put(c.name(), c.value());
                    }
                }
                KafkaBackend.TopicView created = backend.createTopic(t.name(), t.numPartitions(), configs, req.validateOnly());
                r.setErrorCode(Errors.NONE.code())
                        .setTopicId(req.validateOnly() ? Uuid.ZERO_UUID : TopicIds.toKafka(created.id()))
                        .setNumPartitions(created.partitions())
                        .setReplicationFactor((short) 1);
                if (version >= 5) {
                    r.setConfigs(createdConfigs(t.name(), configs, req.validateOnly()));
                }
            } catch (RuntimeException e) {
                KafkaErrors.Failure f = KafkaErrors.forFailure(e, TopicNaming.BY_NAME);
                r.setErrorCode(f.code()).setErrorMessage(f.message()).setNumPartitions(-1).setReplicationFactor((short) -1)
                        .setConfigs(null);
            }
            resp.topics().add(r);
        }
        return new Reply.Respond(new CreateTopicsResponse(resp));
    }

    private List<CreateTopicsResponseData.CreatableTopicConfigs> createdConfigs(String topic, Map<String, String> requested,
                                                                              boolean validateOnly) {
        List<CreateTopicsResponseData.CreatableTopicConfigs> out = new ArrayList<>();
        if (validateOnly) {
            requested.forEach((name, value) -> out.add(new CreateTopicsResponseData.CreatableTopicConfigs()
                    .setName(name).setValue(value).setConfigSource(ConfigSource.TOPIC_CONFIG.id())));
            return out;
        }
        for (KafkaBackend.ConfigEntry e : backend.describeConfigs(topic)) {
            out.add(new CreateTopicsResponseData.CreatableTopicConfigs()
                    .setName(e.name()).setValue(e.sensitive() ? null : e.value()).setReadOnly(e.readOnly())
                    .setIsSensitive(e.sensitive()).setConfigSource(source(e).id()));
        }
        return out;
    }

    Reply deleteTopics(DeleteTopicsRequest request) {
        short version = request.version();
        DeleteTopicsResponseData resp = new DeleteTopicsResponseData();
        List<DeleteTopicsRequestData.DeleteTopicState> targets = new ArrayList<>();
        if (version >= 6) {
            targets.addAll(request.data().topics());
        } else {
            for (String name : request.data().topicNames()) {
                targets.add(new DeleteTopicsRequestData.DeleteTopicState().setName(name).setTopicId(Uuid.ZERO_UUID));
            }
        }
        for (DeleteTopicsRequestData.DeleteTopicState t : targets) {
            boolean byId = t.name() == null;
            DeleteTopicsResponseData.DeletableTopicResult r = new DeleteTopicsResponseData.DeletableTopicResult()
                    .setName(t.name()).setTopicId(t.topicId() == null ? Uuid.ZERO_UUID : t.topicId());
            TopicNaming naming = byId ? TopicNaming.BY_ID : TopicNaming.BY_NAME;
            try {
                Optional<KafkaBackend.TopicView> topic = byId
                        ? backend.topic(TopicIds.fromKafka(t.topicId())) : backend.topic(t.name());
                if (topic.isEmpty()) {
                    throw new BackendException(BackendException.Reason.UNKNOWN_TOPIC_OR_PARTITION,
                            "unknown topic " + (byId ? t.topicId() : t.name()));
                }
                backend.deleteTopic(topic.get().name());
                r.setErrorCode(Errors.NONE.code()).setName(topic.get().name());
                if (version >= 6) {
                    r.setTopicId(TopicIds.toKafka(topic.get().id()));
                }
            } catch (RuntimeException e) {
                KafkaErrors.Failure f = KafkaErrors.forFailure(e, naming);
                r.setErrorCode(f.code()).setErrorMessage(f.message());
            }
            resp.responses().add(r);
        }
        return new Reply.Respond(new DeleteTopicsResponse(resp));
    }

    /** Kafka Streams purges its repartition topics with it; {@code kafka-delete-records.sh} sends it too. */
    Reply deleteRecords(DeleteRecordsRequest request) {
        DeleteRecordsResponseData resp = new DeleteRecordsResponseData();
        for (DeleteRecordsRequestData.DeleteRecordsTopic t : request.data().topics()) {
            DeleteRecordsResponseData.DeleteRecordsTopicResult tr = new DeleteRecordsResponseData.DeleteRecordsTopicResult()
                    .setName(t.name());
            for (DeleteRecordsRequestData.DeleteRecordsPartition p : t.partitions()) {
                DeleteRecordsResponseData.DeleteRecordsPartitionResult pr = new DeleteRecordsResponseData.DeleteRecordsPartitionResult()
                        .setPartitionIndex(p.partitionIndex()).setLowWatermark(DeleteRecordsResponse.INVALID_LOW_WATERMARK);
                try {
                    if (p.offset() < 0 && p.offset() != DeleteRecordsRequest.HIGH_WATERMARK) {
                        throw new BackendException(BackendException.Reason.OFFSET_OUT_OF_RANGE,
                                "cannot delete records before offset " + p.offset());
                    }
                    pr.setLowWatermark(backend.deleteRecords(t.name(), p.partitionIndex(), p.offset()))
                            .setErrorCode(Errors.NONE.code());
                } catch (RuntimeException e) {
                    pr.setErrorCode(KafkaErrors.forFailure(e, TopicNaming.BY_NAME).code());
                }
                tr.partitions().add(pr);
            }
            resp.topics().add(tr);
        }
        return new Reply.Respond(new DeleteRecordsResponse(resp));
    }

    Reply describeConfigs(DescribeConfigsRequest request) {
        DescribeConfigsResponseData resp = new DescribeConfigsResponseData();
        for (DescribeConfigsRequestData.DescribeConfigsResource res : request.data().resources()) {
            DescribeConfigsResponseData.DescribeConfigsResult r = new DescribeConfigsResponseData.DescribeConfigsResult()
                    .setResourceType(res.resourceType()).setResourceName(res.resourceName());
            try {
                ConfigResource.Type type = ConfigResource.Type.forId(res.resourceType());
                List<KafkaBackend.ConfigEntry> entries = switch (type) {
                    case TOPIC -> {
                        if (backend.topic(res.resourceName()).isEmpty()) {
                            throw new BackendException(BackendException.Reason.UNKNOWN_TOPIC_OR_PARTITION,
                                    "unknown topic " + res.resourceName());
                        }
                        yield backend.describeConfigs(res.resourceName());
                    }
                    case BROKER -> brokerConfigs(res.resourceName());
                    default -> throw new BackendException(BackendException.Reason.INVALID_REQUEST,
                            "only TOPIC and BROKER configs can be described, not resource type " + res.resourceType());
                };
                Set<String> keys = res.configurationKeys() == null ? null : new HashSet<>(res.configurationKeys());
                for (KafkaBackend.ConfigEntry e : entries) {
                    if (keys == null || keys.contains(e.name())) {
                        ConfigSource src = type == ConfigResource.Type.BROKER ? ConfigSource.STATIC_BROKER_CONFIG : source(e);
                        String value = e.sensitive() ? null : e.value();
                        List<DescribeConfigsResponseData.DescribeConfigsSynonym> synonyms = new ArrayList<>();
                        if (request.data().includeSynonyms()) {
                            // the one place the value comes from (Kafka would list the broker-wide default after a
                            // topic's own value; Tierlog's defaults have no broker-level names)
                            synonyms.add(new DescribeConfigsResponseData.DescribeConfigsSynonym()
                                    .setName(e.name()).setValue(value).setSource(src.id()));
                        }
                        r.configs().add(new DescribeConfigsResponseData.DescribeConfigsResourceResult()
                                .setName(e.name()).setValue(value)
                                .setReadOnly(e.readOnly()).setIsSensitive(e.sensitive())
                                .setConfigSource(src.id())
                                .setSynonyms(synonyms));
                    }
                }
                r.setErrorCode(Errors.NONE.code());
            } catch (RuntimeException e) {
                KafkaErrors.Failure f = KafkaErrors.forFailure(e, TopicNaming.BY_NAME);
                r.setErrorCode(f.code()).setErrorMessage(f.message());
            }
            resp.results().add(r);
        }
        return new Reply.Respond(new DescribeConfigsResponse(resp));
    }

    private List<KafkaBackend.ConfigEntry> brokerConfigs(String name) {
        if (!name.isEmpty() && !name.equals(Integer.toString(broker.nodeId()))) {
            throw new BackendException(BackendException.Reason.INVALID_REQUEST,
                    "unknown broker " + name + "; this is broker " + broker.nodeId());
        }
        return List.of(
                new KafkaBackend.ConfigEntry("node.id", Integer.toString(broker.nodeId()), false, true, false),
                new KafkaBackend.ConfigEntry("advertised.listeners",
                        "PLAINTEXT://" + broker.host() + ":" + broker.port(), false, true, false),
                new KafkaBackend.ConfigEntry("socket.request.max.bytes", Integer.toString(maxRequestBytes), false, true, false),
                new KafkaBackend.ConfigEntry("auto.create.topics.enable", "false", false, true, false));
    }

    private static ConfigSource source(KafkaBackend.ConfigEntry e) {
        return e.isDefault() ? ConfigSource.DEFAULT_CONFIG : ConfigSource.TOPIC_CONFIG;
    }
}
