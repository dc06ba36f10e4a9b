package io.tierlog.kafka;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import io.tierlog.auth.Permission;
import io.tierlog.auth.Principal;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.CreateTopicsRequest;
import org.apache.kafka.common.requests.DeleteGroupsRequest;
import org.apache.kafka.common.requests.DeleteRecordsRequest;
import org.apache.kafka.common.requests.DeleteTopicsRequest;
import org.apache.kafka.common.requests.DescribeConfigsRequest;
import org.apache.kafka.common.requests.DescribeGroupsRequest;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.HeartbeatRequest;
import org.apache.kafka.common.requests.InitProducerIdRequest;
import org.apache.kafka.common.requests.JoinGroupRequest;
import org.apache.kafka.common.requests.LeaveGroupRequest;
import org.apache.kafka.common.requests.ListGroupsRequest;
import org.apache.kafka.common.requests.ListOffsetsRequest;
import org.apache.kafka.common.requests.OffsetCommitRequest;
import org.apache.kafka.common.requests.OffsetDeleteRequest;
import org.apache.kafka.common.requests.OffsetFetchRequest;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.SyncGroupRequest;

/**
 * Checks a request against its principal's grants before any handler sees it, with Kafka's error codes: the
 * topics a request names need the permission of what it does (TOPIC_AUTHORIZATION_FAILED), consumer-group requests
 * need consume on some topic (GROUP_AUTHORIZATION_FAILED; groups have no permissions of their own), idempotent
 * producers need produce on some topic and broker-wide configs admin on all topics (CLUSTER_AUTHORIZATION_FAILED).
 * A request that names one forbidden topic is refused as a whole. Metadata is not refused but filtered
 * ({@link MetadataHandler}). Stateless.
 */
final class KafkaAuthorizer {
    private static final byte TOPIC_RESOURCE = 2;

    private final KafkaBackend backend;

    KafkaAuthorizer(KafkaBackend backend) {
        this.backend = backend;
    }

    /** The refusal to answer instead of handling {@code request}, or empty when {@code p} may make it. */
    Optional<Reply> deny(AbstractRequest request, Principal p) {
        Throwable refusal = switch (request) {
            case ProduceRequest r -> topics(p, Permission.PRODUCE, names(r));
            case FetchRequest r -> topics(p, Permission.CONSUME, names(r));
            case ListOffsetsRequest r -> topics(p, Permission.CONSUME,
                    r.data().topics().stream().map(t -> t.name()).toList());
            case CreateTopicsRequest r -> topics(p, Permission.ADMIN,
                    r.data().topics().stream().map(t -> t.name()).toList());
            case DeleteTopicsRequest r -> topics(p, Permission.ADMIN, names(r));
            case DeleteRecordsRequest r -> topics(p, Permission.ADMIN,
                    r.data().topics().stream().map(t -> t.name()).toList());
            case DescribeConfigsRequest r -> describeConfigs(r, p);
            case InitProducerIdRequest r -> p.mayOnSomeTopic(Permission.PRODUCE) ? null
                    : new ClusterAuthorizationException("principal '" + p.name()
                    + "' may produce to no topic, so it may not be an idempotent producer");
            case JoinGroupRequest r -> group(p);
            case SyncGroupRequest r -> group(p);
            case HeartbeatRequest r -> group(p);
            case LeaveGroupRequest r -> group(p);
            case ListGroupsRequest r -> group(p);
            case DescribeGroupsRequest r -> group(p);
            case DeleteGroupsRequest r -> p.isClusterAdmin() ? null : new GroupAuthorizationException(
                    "deleting consumer groups needs admin on all topics");
            case OffsetCommitRequest r -> firstOf(group(p), topics(p, Permission.CONSUME,
                    r.data().topics().stream().map(t -> t.name()).toList()));
            case OffsetFetchRequest r -> firstOf(group(p), topics(p, Permission.CONSUME, names(r)));
            case OffsetDeleteRequest r -> firstOf(group(p), topics(p, Permission.CONSUME,
                    r.data().topics().stream().map(t -> t.name()).toList()));
            default -> null; // ApiVersions, Metadata (filtered), FindCoordinator, DescribeCluster: any principal
        };
        if (refusal == null) {
            return Optional.empty();
        }
        if (request instanceof ProduceRequest pr && pr.acks() == 0) {
            return Optional.of(new Reply.Close("acks=0 produce refused: " + refusal.getMessage()));
        }
        return Optional.of(new Reply.Respond(request.getErrorResponse(0, refusal)));
    }

    private static Throwable firstOf(Throwable a, Throwable b) {
        return a != null ? a : b;
    }

    private static Throwable group(Principal p) {
        return p.mayOnSomeTopic(Permission.CONSUME) ? null : new GroupAuthorizationException("principal '" + p.name()
                + "' may consume no topic, so it may not use consumer groups");
    }

    private static Throwable topics(Principal p, Permission needed, List<String> names) {
        Set<String> denied = new LinkedHashSet<>();
        for (String n : names) {
            if (n != null && !p.may(needed, n)) {
                denied.add(n);
            }
        }
        return denied.isEmpty() ? null : new TopicAuthorizationException("principal '" + p.name() + "' lacks the "
                + needed.jsonName() + " permission on " + denied, denied);
    }

    private Throwable describeConfigs(DescribeConfigsRequest r, Principal p) {
        List<String> topics = new ArrayList<>();
        for (var res : r.data().resources()) {
            if (res.resourceType() == TOPIC_RESOURCE) {
                topics.add(res.resourceName());
            } else if (!p.isClusterAdmin()) {
                return new ClusterAuthorizationException("broker configs need admin on all topics");
            }
        }
        for (String t : topics) {
            if (!p.may(Permission.CONSUME, t) && !p.may(Permission.PRODUCE, t) && !p.may(Permission.ADMIN, t)) {
                return new TopicAuthorizationException("principal '" + p.name() + "' has no permission on " + t,
                        Set.of(t));
            }
        }
        return null;
    }

    private List<String> names(ProduceRequest r) {
        List<String> out = new ArrayList<>();
        r.data().topicData().forEach(t -> out.add(nameOf(t.name(), t.topicId())));
        return out;
    }

    private List<String> names(FetchRequest r) {
        List<String> out = new ArrayList<>();
        r.data().topics().forEach(t -> out.add(nameOf(t.topic(), t.topicId())));
        return out;
    }

    private List<String> names(DeleteTopicsRequest r) {
        List<String> out = new ArrayList<>(r.data().topicNames());
        r.data().topics().forEach(t -> out.add(nameOf(t.name(), t.topicId())));
        return out;
    }

    private static List<String> names(OffsetFetchRequest r) {
        List<String> out = new ArrayList<>();
        if (r.data().topics() != null) {
            r.data().topics().forEach(t -> out.add(t.name()));
        }
        for (OffsetFetchRequestData.OffsetFetchRequestGroup g : r.data().groups()) {
            if (g.topics() != null) {
                g.topics().forEach(t -> out.add(t.name()));
            }
        }
        return out;
    }

    /** The topic's name, looked up by id where the request carries only the id; null for an unknown id. */
    private String nameOf(String name, Uuid id) {
        if (id != null && !Uuid.ZERO_UUID.equals(id) && (name == null || name.isEmpty())) {
            return backend.topic(TopicIds.fromKafka(id)).map(KafkaBackend.TopicView::name).orElse(null);
        }
        return name;
    }
}
