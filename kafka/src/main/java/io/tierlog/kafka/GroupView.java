package io.tierlog.kafka;

import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.types.SchemaException;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A consumer group as the Kafka listener holds it right now, for read-only views outside Kafka's protocol (the web
 * console): members live only in the listener's memory, so this snapshot is the one way to see them. Immutable.
 *
 * @param state    Kafka's name of the group's state ({@code Stable}, {@code PreparingRebalance}, {@code Empty}, ...)
 * @param protocol the chosen assignor ({@code range}, ...), empty while rebalancing
 */
public record GroupView(String groupId, String state, String protocolType, String protocol, List<Member> members) {

    public GroupView {
        members = List.copyOf(members);
    }

    /**
     * One member of the group.
     *
     * @param instanceId the static member's {@code group.instance.id}, null for a dynamic member
     * @param assigned   topic -> partitions assigned to it, decoded from a consumer-protocol assignment; empty for other
     *                   protocols, while the group rebalances, or when the leader's assignment cannot be decoded
     */
    public record Member(String memberId, String instanceId, String clientId, String clientHost,
                         SortedMap<String, List<Integer>> assigned) {
        public Member {
            assigned = Collections.unmodifiableSortedMap(new TreeMap<>(assigned));
        }
    }

    static GroupView of(GroupCoordinator.GroupDescription d) {
        List<Member> members = new ArrayList<>(d.members().size());
        for (GroupCoordinator.DescribedMember m : d.members()) {
            members.add(new Member(m.memberId(), m.instanceId(), m.clientId(), m.clientHost(),
                    ConsumerProtocol.PROTOCOL_TYPE.equals(d.protocolType()) ? assigned(m.assignment()) : new TreeMap<>()));
        }
        return new GroupView(d.groupId(), d.state().kafkaName, d.protocolType(), d.protocolName(), members);
    }

    private static SortedMap<String, List<Integer>> assigned(byte[] assignment) {
        SortedMap<String, List<Integer>> out = new TreeMap<>();
        if (assignment.length == 0) {
            return out;
        }
        List<TopicPartition> partitions;
        try {
            partitions = ConsumerProtocol.deserializeAssignment(ByteBuffer.wrap(assignment)).partitions();
        } catch (SchemaException | BufferUnderflowException e) {
            return out; // the leader's client wrote it; the group works regardless, the view just cannot say
        }
        for (TopicPartition tp : partitions) {
            out.computeIfAbsent(tp.topic(), t -> new ArrayList<>()).add(tp.partition());
        }
        out.values().forEach(Collections::sort);
        out.replaceAll((t, ps) -> List.copyOf(ps));
        return out;
    }
}
