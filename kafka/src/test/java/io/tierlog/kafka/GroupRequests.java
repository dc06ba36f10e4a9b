package io.tierlog.kafka;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.message.DeleteGroupsRequestData;
import org.apache.kafka.common.message.DescribeGroupsRequestData;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.LeaveGroupRequestData;
import org.apache.kafka.common.message.ListGroupsRequestData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.requests.DeleteGroupsRequest;
import org.apache.kafka.common.requests.DescribeGroupsRequest;
import org.apache.kafka.common.requests.HeartbeatRequest;
import org.apache.kafka.common.requests.JoinGroupRequest;
import org.apache.kafka.common.requests.LeaveGroupRequest;
import org.apache.kafka.common.requests.ListGroupsRequest;
import org.apache.kafka.common.requests.OffsetCommitRequest;
import org.apache.kafka.common.requests.OffsetFetchRequest;
import org.apache.kafka.common.requests.SyncGroupRequest;

/** Group protocol requests as a test builds them, field by field (versions and values no client would send). */
final class GroupRequests {

    static final String CONSUMER = "consumer";

    private GroupRequests() {
    }

    static JoinGroupRequest join(short version, String group, String memberId, String instanceId, int sessionMs,
                                 String protocolType, String protocol, byte[] metadata) {
        JoinGroupRequestData.JoinGroupRequestProtocolCollection ps = new JoinGroupRequestData.JoinGroupRequestProtocolCollection();
        ps.add(new JoinGroupRequestData.JoinGroupRequestProtocol().setName(protocol).setMetadata(metadata));
        return new JoinGroupRequest.Builder(new JoinGroupRequestData().setGroupId(group).setMemberId(memberId)
                .setGroupInstanceId(instanceId).setSessionTimeoutMs(sessionMs).setRebalanceTimeoutMs(sessionMs)
                .setProtocolType(protocolType).setProtocols(ps)).build(version);
    }

    static JoinGroupRequest join(String group, String memberId, int sessionMs) {
        return join((short) 9, group, memberId, null, sessionMs, CONSUMER, "range", new byte[] {1, 2, 3});
    }

    static SyncGroupRequest sync(String group, String memberId, String instanceId, int generation, Map<String, byte[]> assignments) {
        List<SyncGroupRequestData.SyncGroupRequestAssignment> a = new ArrayList<>();
        assignments.forEach((m, bytes) -> a.add(new SyncGroupRequestData.SyncGroupRequestAssignment()
                .setMemberId(m).setAssignment(bytes)));
        return new SyncGroupRequest.Builder(new SyncGroupRequestData().setGroupId(group).setMemberId(memberId)
                .setGroupInstanceId(instanceId).setGenerationId(generation).setProtocolType(CONSUMER)
                .setProtocolName("range").setAssignments(a)).build((short) 5);
    }

    static HeartbeatRequest heartbeat(String group, String memberId, String instanceId, int generation) {
        return new HeartbeatRequest.Builder(new HeartbeatRequestData().setGroupId(group).setMemberId(memberId)
                .setGroupInstanceId(instanceId).setGenerationId(generation)).build((short) 4);
    }

    static LeaveGroupRequest leave(short version, String group, String memberId, String instanceId) {
        return new LeaveGroupRequest.Builder(group, List.of(new LeaveGroupRequestData.MemberIdentity()
                .setMemberId(memberId).setGroupInstanceId(instanceId))).build(version);
    }

    /** An OffsetCommit of one topic; {@code metadata} may be null. */
    static OffsetCommitRequest commit(String group, String memberId, int generation, String topic,
                                      Map<Integer, Long> offsets, String metadata) {
        OffsetCommitRequestData.OffsetCommitRequestTopic t = new OffsetCommitRequestData.OffsetCommitRequestTopic().setName(topic);
        offsets.forEach((p, o) -> t.partitions().add(new OffsetCommitRequestData.OffsetCommitRequestPartition()
                .setPartitionIndex(p).setCommittedOffset(o).setCommittedMetadata(metadata)));
        return OffsetCommitRequest.Builder.forTopicNames(new OffsetCommitRequestData().setGroupId(group).setMemberId(memberId)
                .setGenerationIdOrMemberEpoch(generation).setTopics(List.of(t))).build((short) 9);
    }

    /** An OffsetFetch of some groups at {@code version} (one group below v8); {@code partitions} null means all topics. */
    static OffsetFetchRequest fetchOffsets(short version, String topic, List<Integer> partitions, String... groups) {
        List<OffsetFetchRequestData.OffsetFetchRequestGroup> gs = new ArrayList<>();
        for (String g : groups) {
            gs.add(new OffsetFetchRequestData.OffsetFetchRequestGroup().setGroupId(g).setTopics(partitions == null ? null
                    : List.of(new OffsetFetchRequestData.OffsetFetchRequestTopics().setName(topic).setPartitionIndexes(partitions))));
        }
        return OffsetFetchRequest.Builder.forTopicNames(new OffsetFetchRequestData().setGroups(gs), false).build(version);
    }

    static DescribeGroupsRequest describe(short version, String... groups) {
        return new DescribeGroupsRequest.Builder(new DescribeGroupsRequestData().setGroups(List.of(groups))).build(version);
    }

    static ListGroupsRequest list(List<String> states) {
        return new ListGroupsRequest.Builder(new ListGroupsRequestData().setStatesFilter(states)).build((short) 5);
    }

    static DeleteGroupsRequest delete(String... groups) {
        return new DeleteGroupsRequest.Builder(new DeleteGroupsRequestData().setGroupsNames(List.of(groups))).build((short) 2);
    }
}
