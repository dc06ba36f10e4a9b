package io.tierlog.kafka;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetDeleteRequestData;
import org.apache.kafka.common.message.OffsetDeleteResponseData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.OffsetCommitRequest;
import org.apache.kafka.common.requests.OffsetCommitResponse;
import org.apache.kafka.common.requests.OffsetDeleteRequest;
import org.apache.kafka.common.requests.OffsetDeleteResponse;
import org.apache.kafka.common.requests.OffsetFetchRequest;
import org.apache.kafka.common.requests.OffsetFetchResponse;

import io.tierlog.kafka.KafkaErrors.TopicNaming;

/**
 * OffsetCommit and OffsetFetch: committed offsets in the store both doors share, commits fenced by the group's
 * membership and generation ({@link GroupCoordinator#commitOffsets}). Commit metadata strings are kept with their
 * offsets (within Kafka's limit) and answered by OffsetFetch; leader epochs are not kept (-1).
 * Offsets of a deleted topic are gone with it, as in Kafka: OffsetFetch answers -1 for them.
 */
final class OffsetsHandler {


    private final KafkaBackend backend;
    private final GroupCoordinator coordinator;

    OffsetsHandler(KafkaBackend backend, GroupCoordinator coordinator) {
        this.backend = backend;
        this.coordinator = coordinator;
    }

    Reply offsetCommit(OffsetCommitRequest request) {
        OffsetCommitRequestData d = request.data();
        boolean validGroup = GroupCoordinator.validGroupId(d.groupId());
        // per partition: an error of its own, or null while it waits for the group's verdict
        Map<OffsetCommitRequestData.OffsetCommitRequestPartition, Errors> own = new IdentityHashMap<>();
        Map<String, Map<Integer, KafkaBackend.Committed>> commit = new LinkedHashMap<>();
        for (OffsetCommitRequestData.OffsetCommitRequestTopic t : d.topics()) {
            Optional<KafkaBackend.TopicView> topic = validGroup ? backend.topic(t.name()) : Optional.empty();
            for (OffsetCommitRequestData.OffsetCommitRequestPartition p : t.partitions()) {
                Errors e = null;
                if (!validGroup) {
                    e = Errors.INVALID_GROUP_ID;
                } else if (topic.isEmpty() || p.partitionIndex() < 0 || p.partitionIndex() >= topic.get().partitions()) {
                    e = Errors.UNKNOWN_TOPIC_OR_PARTITION;
                } else if (p.committedMetadata() != null
                        && p.committedMetadata().length() > KafkaBackend.Committed.MAX_METADATA_CHARS) {
                    e = Errors.OFFSET_METADATA_TOO_LARGE;
                } else if (p.committedOffset() < 0) {
                    e = Errors.INVALID_COMMIT_OFFSET_SIZE;
                } else {
                    commit.computeIfAbsent(t.name(), x -> new TreeMap<>()).put(p.partitionIndex(),
                            new KafkaBackend.Committed(p.committedOffset(), p.committedMetadata()));
                }
                own.put(p, e);
            }
        }
        Errors verdict = validGroup
                ? coordinator.commitOffsets(d.groupId(), d.memberId(), d.groupInstanceId(), d.generationIdOrMemberEpoch(), commit)
                : Errors.INVALID_GROUP_ID;
        OffsetCommitResponseData resp = new OffsetCommitResponseData();
        for (OffsetCommitRequestData.OffsetCommitRequestTopic t : d.topics()) {
            OffsetCommitResponseData.OffsetCommitResponseTopic rt = new OffsetCommitResponseData.OffsetCommitResponseTopic()
                    .setName(t.name());
            for (OffsetCommitRequestData.OffsetCommitRequestPartition p : t.partitions()) {
                Errors e = own.get(p);
                rt.partitions().add(new OffsetCommitResponseData.OffsetCommitResponsePartition()
                        .setPartitionIndex(p.partitionIndex()).setErrorCode((e == null ? verdict : e).code()));
            }
            resp.topics().add(rt);
        }
        return new Reply.Respond(new OffsetCommitResponse(resp));
    }

    /** OffsetDelete ({@code kafka-consumer-groups --delete-offsets}): unknown partitions answered here, the rest by the group. */
    Reply offsetDelete(OffsetDeleteRequest request) {
        OffsetDeleteRequestData d = request.data();
        Map<String, Map<Integer, Errors>> answers = new TreeMap<>();
        Map<String, List<Integer>> known = new TreeMap<>();
        for (OffsetDeleteRequestData.OffsetDeleteRequestTopic t : d.topics()) {
            Optional<KafkaBackend.TopicView> topic = backend.topic(t.name());
            for (OffsetDeleteRequestData.OffsetDeleteRequestPartition p : t.partitions()) {
                if (topic.isEmpty() || p.partitionIndex() < 0 || p.partitionIndex() >= topic.get().partitions()) {
                    answers.computeIfAbsent(t.name(), x -> new TreeMap<>()).put(p.partitionIndex(), Errors.UNKNOWN_TOPIC_OR_PARTITION);
                } else {
                    known.computeIfAbsent(t.name(), x -> new ArrayList<>()).add(p.partitionIndex());
                }
            }
        }
        GroupCoordinator.OffsetDeletion r = coordinator.deleteOffsets(d.groupId(), known);
        OffsetDeleteResponseData resp = new OffsetDeleteResponseData().setErrorCode(r.groupError().code());
        if (r.groupError() == Errors.NONE) {
            r.partitionErrors().forEach((topic, ps) -> answers.computeIfAbsent(topic, x -> new TreeMap<>()).putAll(ps));
            answers.forEach((topic, ps) -> {
                OffsetDeleteResponseData.OffsetDeleteResponseTopic rt = new OffsetDeleteResponseData.OffsetDeleteResponseTopic()
                        .setName(topic);
                ps.forEach((p, e) -> rt.partitions().add(new OffsetDeleteResponseData.OffsetDeleteResponsePartition()
                        .setPartitionIndex(p).setErrorCode(e.code())));
                resp.topics().add(rt);
            });
        }
        return new Reply.Respond(new OffsetDeleteResponse(resp));
    }

    Reply offsetFetch(OffsetFetchRequest request) {
        OffsetFetchRequestData d = request.data();
        short version = request.version();
        OffsetFetchResponseData resp = new OffsetFetchResponseData();
        if (version < 8) {
            List<OffsetFetchRequestData.OffsetFetchRequestTopics> topics = null;
            if (d.topics() != null) {
                topics = new ArrayList<>();
                for (OffsetFetchRequestData.OffsetFetchRequestTopic t : d.topics()) {
                    topics.add(new OffsetFetchRequestData.OffsetFetchRequestTopics()
                            .setName(t.name()).setPartitionIndexes(t.partitionIndexes()));
                }
            }
            OffsetFetchResponseData.OffsetFetchResponseGroup g = fetchGroup(d.groupId(), topics);
            resp.setErrorCode(g.errorCode());
            for (OffsetFetchResponseData.OffsetFetchResponseTopics t : g.topics()) {
                OffsetFetchResponseData.OffsetFetchResponseTopic rt = new OffsetFetchResponseData.OffsetFetchResponseTopic()
                        .setName(t.name());
                for (OffsetFetchResponseData.OffsetFetchResponsePartitions p : t.partitions()) {
                    rt.partitions().add(new OffsetFetchResponseData.OffsetFetchResponsePartition()
                            .setPartitionIndex(p.partitionIndex()).setCommittedOffset(p.committedOffset())
                            .setCommittedLeaderEpoch(-1).setMetadata(p.metadata())
                            // v0-1 have no top-level error: the group's goes on every partition
                            .setErrorCode(version < 2 && p.errorCode() == 0 ? g.errorCode() : p.errorCode()));
                }
                resp.topics().add(rt);
            }
        } else {
            for (OffsetFetchRequestData.OffsetFetchRequestGroup rg : d.groups()) {
                resp.groups().add(fetchGroup(rg.groupId(), rg.topics()));
            }
        }
        return new Reply.Respond(new OffsetFetchResponse(resp, version));
    }

    /** One group's answer; {@code topics} null means every topic the group committed. */
    private OffsetFetchResponseData.OffsetFetchResponseGroup fetchGroup(String groupId,
            List<OffsetFetchRequestData.OffsetFetchRequestTopics> topics) {
        OffsetFetchResponseData.OffsetFetchResponseGroup out = new OffsetFetchResponseData.OffsetFetchResponseGroup()
                .setGroupId(groupId);
        Map<String, SortedMap<Integer, KafkaBackend.Committed>> committed;
        Errors groupError = Errors.NONE;
        if (!GroupCoordinator.validGroupId(groupId)) {
            groupError = Errors.INVALID_GROUP_ID;
            committed = Map.of();
        } else {
            try {
                committed = coordinator.committedOffsets(groupId);
            } catch (RuntimeException e) {
                groupError = KafkaErrors.forFailure(e, TopicNaming.BY_NAME).error();
                committed = Map.of();
            }
        }
        out.setErrorCode(groupError.code());
        if (topics == null) {
            if (groupError == Errors.NONE) {
                committed.forEach((topic, partitions) -> {
                    Optional<KafkaBackend.TopicView> t = backend.topic(topic);
                    if (t.isEmpty()) {
                        return; // deleted, its offsets are going with it
                    }
                    OffsetFetchResponseData.OffsetFetchResponseTopics rt = new OffsetFetchResponseData.OffsetFetchResponseTopics()
                            .setName(topic);
                    partitions.forEach((p, c) -> {
                        if (p < t.get().partitions()) {
                            rt.partitions().add(partition(p, c, Errors.NONE));
                        }
                    });
                    out.topics().add(rt);
                });
            }
            return out;
        }
        for (OffsetFetchRequestData.OffsetFetchRequestTopics t : topics) {
            OffsetFetchResponseData.OffsetFetchResponseTopics rt = new OffsetFetchResponseData.OffsetFetchResponseTopics()
                    .setName(t.name());
            SortedMap<Integer, KafkaBackend.Committed> known = committed.getOrDefault(t.name(), new TreeMap<>());
            boolean exists = groupError == Errors.NONE && backend.topic(t.name()).isPresent();
            for (Integer p : t.partitionIndexes()) {
                KafkaBackend.Committed c = exists ? known.get(p) : null;
                rt.partitions().add(partition(p, c == null ? NOT_COMMITTED : c, groupError));
            }
            out.topics().add(rt);
        }
        return out;
    }

    /** What OffsetFetch answers for a partition without a committed offset. */
    private static final KafkaBackend.Committed NOT_COMMITTED =
            new KafkaBackend.Committed(OffsetFetchResponse.INVALID_OFFSET, OffsetFetchResponse.NO_METADATA);

    private static OffsetFetchResponseData.OffsetFetchResponsePartitions partition(int index, KafkaBackend.Committed c,
                                                                                   Errors error) {
        return new OffsetFetchResponseData.OffsetFetchResponsePartitions()
                .setPartitionIndex(index).setCommittedOffset(c.offset()).setCommittedLeaderEpoch(-1)
                .setMetadata(c.metadata()).setErrorCode(error.code());
    }
}
