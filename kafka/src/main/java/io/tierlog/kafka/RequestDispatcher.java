package io.tierlog.kafka;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import io.tierlog.auth.Permission;
import io.tierlog.auth.Principal;

import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.ApiVersionsRequest;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.requests.CreateTopicsRequest;
import org.apache.kafka.common.requests.DeleteRecordsRequest;
import org.apache.kafka.common.requests.DeleteTopicsRequest;
import org.apache.kafka.common.requests.DescribeClusterRequest;
import org.apache.kafka.common.requests.DescribeConfigsRequest;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FindCoordinatorRequest;
import org.apache.kafka.common.requests.InitProducerIdRequest;
import org.apache.kafka.common.requests.ListOffsetsRequest;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.RequestContext;
import org.apache.kafka.common.requests.DeleteGroupsRequest;
import org.apache.kafka.common.requests.DescribeGroupsRequest;
import org.apache.kafka.common.requests.HeartbeatRequest;
import org.apache.kafka.common.requests.JoinGroupRequest;
import org.apache.kafka.common.requests.LeaveGroupRequest;
import org.apache.kafka.common.requests.ListGroupsRequest;
import org.apache.kafka.common.requests.OffsetCommitRequest;
import org.apache.kafka.common.requests.OffsetDeleteRequest;
import org.apache.kafka.common.requests.OffsetFetchRequest;
import org.apache.kafka.common.requests.SyncGroupRequest;

/** Routes a parsed request to its handler. Stateless apart from the handlers; shared by all connections. */
final class RequestDispatcher {

    private final SupportedApis apis;
    private final MetadataHandler metadata;
    private final ProduceHandler produce;
    private final FetchHandler fetch;
    private final ListOffsetsHandler listOffsets;
    private final CoordinatorHandler coordinator;
    private final TopicAdminHandler topicAdmin;
    private final GroupHandler groups;
    private final OffsetsHandler offsets;
    private final KafkaAuthorizer authorizer;

    RequestDispatcher(KafkaBackend backend, BrokerIdentity broker, SupportedApis apis, int maxRequestBytes,
                      GroupCoordinator groupCoordinator) {
        this.apis = apis;
        this.metadata = new MetadataHandler(backend, broker);
        this.produce = new ProduceHandler(backend);
        this.fetch = new FetchHandler(backend);
        this.listOffsets = new ListOffsetsHandler(backend);
        this.coordinator = new CoordinatorHandler(backend, broker);
        this.topicAdmin = new TopicAdminHandler(backend, broker, maxRequestBytes);
        this.groups = new GroupHandler(groupCoordinator);
        this.offsets = new OffsetsHandler(backend, groupCoordinator);
        this.authorizer = new KafkaAuthorizer(backend);
    }

    SupportedApis apis() {
        return apis;
    }

    /** Starts a Produce: its batches go to the backend now, the answer completes when they are acknowledged. */
    CompletableFuture<Reply> produce(ProduceRequest request, Principal principal) {
        Optional<Reply> denied = authorizer.deny(request, principal);
        return denied.isPresent() ? CompletableFuture.completedFuture(denied.get()) : produce.handle(request);
    }

    Reply dispatch(AbstractRequest request, RequestContext ctx, FetchSessions sessions, Principal principal)
            throws InterruptedException {
        Optional<Reply> denied = authorizer.deny(request, principal);
        if (denied.isPresent()) {
            return denied.get();
        }
        return switch (request) {
            case ApiVersionsRequest r -> apiVersions(r);
            case MetadataRequest r -> metadata.metadata(r, topic -> seesTopic(principal, topic));
            case ProduceRequest r -> {
                try {
                    yield produce.handle(r).get();
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new IllegalStateException("a produce answer never fails", e);
                }
            }
            case FetchRequest r -> fetch.handle(r, sessions);
            case ListOffsetsRequest r -> listOffsets.handle(r);
            case InitProducerIdRequest r -> coordinator.initProducerId(r);
            case FindCoordinatorRequest r -> coordinator.findCoordinator(r);
            case CreateTopicsRequest r -> topicAdmin.createTopics(r);
            case DeleteTopicsRequest r -> topicAdmin.deleteTopics(r);
            case DeleteRecordsRequest r -> topicAdmin.deleteRecords(r);
            case DescribeConfigsRequest r -> topicAdmin.describeConfigs(r);
            case DescribeClusterRequest r -> metadata.describeCluster(r);
            case JoinGroupRequest r -> groups.joinGroup(r, ctx);
            case SyncGroupRequest r -> groups.syncGroup(r);
            case HeartbeatRequest r -> groups.heartbeat(r);
            case LeaveGroupRequest r -> groups.leaveGroup(r);
            case ListGroupsRequest r -> groups.listGroups(r);
            case DescribeGroupsRequest r -> groups.describeGroups(r);
            case DeleteGroupsRequest r -> groups.deleteGroups(r);
            case OffsetCommitRequest r -> offsets.offsetCommit(r);
            case OffsetFetchRequest r -> offsets.offsetFetch(r);
            case OffsetDeleteRequest r -> offsets.offsetDelete(r);
            default -> throw new IllegalStateException("no handler for " + request.apiKey()
                    + " although SupportedApis lets it through");
        };
    }

    private static boolean seesTopic(Principal p, String topic) {
        for (Permission perm : Permission.values()) {
            if (p.may(perm, topic)) {
                return true;
            }
        }
        return false;
    }

    private Reply apiVersions(ApiVersionsRequest r) {
        if (r.hasUnsupportedRequestVersion()) {
            // a version newer than kafka-clients knows: v0 body and header, listing the ApiVersions range (KIP-511)
            return new Reply.Respond(r.getErrorResponse(0, Errors.UNSUPPORTED_VERSION.exception()));
        }
        if (!r.isValid()) {
            return new Reply.Respond(r.getErrorResponse(0, Errors.INVALID_REQUEST.exception()));
        }
        return new Reply.Respond(new ApiVersionsResponse(new ApiVersionsResponseData()
                .setErrorCode(Errors.NONE.code())
                .setApiKeys(apis.advertised())
                .setFinalizedFeaturesEpoch(-1)));
    }
}
