package io.tierlog.kafka;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;

import org.apache.kafka.common.message.DeleteGroupsRequestData;
import org.apache.kafka.common.message.DeleteGroupsResponseData;
import org.apache.kafka.common.message.DescribeGroupsResponseData;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.HeartbeatResponseData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupRequestData;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.message.ListGroupsRequestData;
import org.apache.kafka.common.message.ListGroupsResponseData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.DeleteGroupsRequest;
import org.apache.kafka.common.requests.DeleteGroupsResponse;
import org.apache.kafka.common.requests.DescribeGroupsRequest;
import org.apache.kafka.common.requests.DescribeGroupsResponse;
import org.apache.kafka.common.requests.HeartbeatRequest;
import org.apache.kafka.common.requests.HeartbeatResponse;
import org.apache.kafka.common.requests.JoinGroupRequest;
import org.apache.kafka.common.requests.JoinGroupResponse;
import org.apache.kafka.common.requests.LeaveGroupRequest;
import org.apache.kafka.common.requests.LeaveGroupResponse;
import org.apache.kafka.common.requests.ListGroupsRequest;
import org.apache.kafka.common.requests.ListGroupsResponse;
import org.apache.kafka.common.requests.RequestContext;
import org.apache.kafka.common.requests.SyncGroupRequest;
import org.apache.kafka.common.requests.SyncGroupResponse;

import io.tierlog.kafka.GroupCoordinator.GroupDescription;
import io.tierlog.kafka.GroupCoordinator.JoinRequest;
import io.tierlog.kafka.GroupCoordinator.JoinResult;
import io.tierlog.kafka.GroupCoordinator.LeaveResult;
import io.tierlog.kafka.GroupCoordinator.MemberIdentity;
import io.tierlog.kafka.GroupCoordinator.Protocol;
import io.tierlog.kafka.GroupCoordinator.SyncRequest;
import io.tierlog.kafka.GroupCoordinator.SyncResult;
import io.tierlog.kafka.KafkaErrors.TopicNaming;

/**
 * The classic group protocol's membership and administration APIs (JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
 * ListGroups, DescribeGroups, DeleteGroups) between kafka-clients' messages and the {@link GroupCoordinator}.
 * JoinGroup and SyncGroup block their connection's thread until the coordinator answers (the long poll of a
 * rebalance); other members come on their own connections and are not held up.
 */
final class GroupHandler {

    /** Kafka's group type of every Tierlog group (KIP-848's "consumer" groups are not served). */
    static final String CLASSIC = "classic";

    private final GroupCoordinator coordinator;

    GroupHandler(GroupCoordinator coordinator) {
        this.coordinator = coordinator;
    }

    Reply joinGroup(JoinGroupRequest request, RequestContext ctx) throws InterruptedException {
        JoinGroupRequestData d = request.data();
        short version = request.version();
        List<Protocol> protocols = new ArrayList<>(d.protocols().size());
        d.protocols().forEach(p -> protocols.add(new Protocol(p.name(), p.metadata())));
        // v0 has no rebalance timeout: the session timeout is used (as Kafka does)
        int rebalanceTimeoutMs = version == 0 || d.rebalanceTimeoutMs() <= 0 ? d.sessionTimeoutMs() : d.rebalanceTimeoutMs();
        JoinRequest r = new JoinRequest(d.groupId(), d.memberId(), d.groupInstanceId(), ctx.clientId(),
                ctx.clientAddress.toString(), d.sessionTimeoutMs(), rebalanceTimeoutMs, d.protocolType(), protocols,
                version >= 4, version >= 9);
        JoinResult res = await(coordinator.join(r));
        JoinGroupResponseData resp = new JoinGroupResponseData()
                .setErrorCode(res.error().code())
                .setGenerationId(res.generationId())
                .setProtocolName(res.protocolName() == null && version < 7 ? "" : res.protocolName())
                .setLeader(res.leaderId() == null ? "" : res.leaderId())
                .setSkipAssignment(res.skipAssignment())
                .setMemberId(res.memberId());
        if (version >= 7) {
            resp.setProtocolType(res.protocolType());
        }
        for (GroupCoordinator.MemberMetadata m : res.members()) {
            resp.members().add(new JoinGroupResponseData.JoinGroupResponseMember()
                    .setMemberId(m.memberId())
                    .setGroupInstanceId(version >= 5 ? m.instanceId() : null)
                    .setMetadata(m.metadata()));
        }
        return new Reply.Respond(new JoinGroupResponse(resp, version));
    }

    Reply syncGroup(SyncGroupRequest request) throws InterruptedException {
        SyncGroupRequestData d = request.data();
        Map<String, byte[]> assignments = new HashMap<>();
        d.assignments().forEach(a -> assignments.put(a.memberId(), a.assignment()));
        SyncResult res = await(coordinator.sync(new SyncRequest(d.groupId(), d.memberId(), d.groupInstanceId(),
                d.generationId(), d.protocolType(), d.protocolName(), assignments)));
        SyncGroupResponseData resp = new SyncGroupResponseData()
                .setErrorCode(res.error().code())
                .setAssignment(res.assignment());
        if (request.version() >= 5) {
            resp.setProtocolType(res.protocolType()).setProtocolName(res.protocolName());
        }
        return new Reply.Respond(new SyncGroupResponse(resp));
    }

    Reply heartbeat(HeartbeatRequest request) {
        HeartbeatRequestData d = request.data();
        Errors e = coordinator.heartbeat(d.groupId(), d.memberId(), d.groupInstanceId(), d.generationId());
        return new Reply.Respond(new HeartbeatResponse(new HeartbeatResponseData().setErrorCode(e.code())));
    }

    Reply leaveGroup(LeaveGroupRequest request) {
        LeaveGroupRequestData d = request.data();
        short version = request.version();
        List<MemberIdentity> leaving = new ArrayList<>();
        if (version < 3) {
            leaving.add(new MemberIdentity(d.memberId(), null));
        } else {
            d.members().forEach(m -> leaving.add(new MemberIdentity(m.memberId(), m.groupInstanceId())));
        }
        String reason = version < 3 || d.members().isEmpty() ? null : d.members().get(0).reason();
        LeaveResult res = coordinator.leave(d.groupId(), leaving, reason);
        LeaveGroupResponseData resp = new LeaveGroupResponseData();
        if (res.error() != Errors.NONE) {
            resp.setErrorCode(res.error().code());
        } else if (version < 3) {
            resp.setErrorCode(res.members().get(0).code());
        } else {
            for (int i = 0; i < leaving.size(); i++) {
                resp.members().add(new LeaveGroupResponseData.MemberResponse()
                        .setMemberId(leaving.get(i).memberId())
                        .setGroupInstanceId(leaving.get(i).instanceId())
                        .setErrorCode(res.members().get(i).code()));
            }
        }
        return new Reply.Respond(new LeaveGroupResponse(resp));
    }

    Reply listGroups(ListGroupsRequest request) {
        ListGroupsRequestData d = request.data();
        short version = request.version();
        Set<String> states = d.statesFilter().stream().map(s -> s.toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
        Set<String> types = d.typesFilter().stream().map(s -> s.toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
        ListGroupsResponseData resp = new ListGroupsResponseData().setErrorCode(Errors.NONE.code());
        if (!types.isEmpty() && !types.contains(CLASSIC)) {
            return new Reply.Respond(new ListGroupsResponse(resp));
        }
        List<GroupCoordinator.GroupListing> groups;
        try {
            groups = coordinator.list();
        } catch (RuntimeException e) {
            return new Reply.Respond(new ListGroupsResponse(
                    resp.setErrorCode(KafkaErrors.forFailure(e, TopicNaming.BY_NAME).code())));
        }
        for (GroupCoordinator.GroupListing g : groups) {
            if (!states.isEmpty() && !states.contains(g.state().kafkaName.toLowerCase(Locale.ROOT))) {
                continue;
            }
            ListGroupsResponseData.ListedGroup l = new ListGroupsResponseData.ListedGroup()
                    .setGroupId(g.groupId()).setProtocolType(g.protocolType());
            if (version >= 4) {
                l.setGroupState(g.state().kafkaName);
            }
            if (version >= 5) {
                l.setGroupType(CLASSIC);
            }
            resp.groups().add(l);
        }
        return new Reply.Respond(new ListGroupsResponse(resp));
    }

    Reply describeGroups(DescribeGroupsRequest request) {
        short version = request.version();
        DescribeGroupsResponseData resp = new DescribeGroupsResponseData();
        for (String id : request.data().groups()) {
            DescribeGroupsResponseData.DescribedGroup out = new DescribeGroupsResponseData.DescribedGroup()
                    .setGroupId(id).setProtocolType("").setProtocolData("").setGroupState("");
            Optional<GroupDescription> found;
            try {
                found = coordinator.describe(id);
            } catch (RuntimeException e) {
                resp.groups().add(out.setErrorCode(KafkaErrors.forFailure(e, TopicNaming.BY_NAME).code()));
                continue;
            }
            if (found.isEmpty()) {
                // v6 (KIP-1043) says so; before, an unknown group is described as Dead
                if (version >= 6) {
                    out.setErrorCode(Errors.GROUP_ID_NOT_FOUND.code()).setErrorMessage("Group " + id + " not found.");
                } else {
                    out.setErrorCode(Errors.NONE.code()).setGroupState(GroupState.DEAD.kafkaName);
                }
                resp.groups().add(out);
                continue;
            }
            GroupDescription g = found.get();
            out.setErrorCode(Errors.NONE.code()).setGroupState(g.state().kafkaName)
                    .setProtocolType(g.protocolType()).setProtocolData(g.protocolName());
            for (GroupCoordinator.DescribedMember m : g.members()) {
                out.members().add(new DescribeGroupsResponseData.DescribedGroupMember()
                        .setMemberId(m.memberId()).setGroupInstanceId(m.instanceId())
                        .setClientId(m.clientId()).setClientHost(m.clientHost())
                        .setMemberMetadata(m.metadata()).setMemberAssignment(m.assignment()));
            }
            resp.groups().add(out);
        }
        return new Reply.Respond(new DescribeGroupsResponse(resp));
    }

    Reply deleteGroups(DeleteGroupsRequest request) {
        DeleteGroupsRequestData d = request.data();
        DeleteGroupsResponseData resp = new DeleteGroupsResponseData();
        for (String id : d.groupsNames()) {
            Errors e;
            try {
                e = coordinator.delete(id);
            } catch (RuntimeException ex) {
                e = KafkaErrors.forFailure(ex, TopicNaming.BY_NAME).error();
            }
            resp.results().add(new DeleteGroupsResponseData.DeletableGroupResult().setGroupId(id).setErrorCode(e.code()));
        }
        return new Reply.Respond(new DeleteGroupsResponse(resp));
    }

    /** Waits for the coordinator's answer; the coordinator's timers guarantee it comes (bounded by the rebalance timeout). */
    private static <T> T await(CompletableFuture<T> answer) throws InterruptedException {
        try {
            return answer.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("the group coordinator failed", e.getCause());
        }
    }
}
