package io.tierlog.kafka;

import java.util.List;

import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.FindCoordinatorRequest;
import org.apache.kafka.common.requests.FindCoordinatorResponse;
import org.apache.kafka.common.requests.InitProducerIdRequest;
import org.apache.kafka.common.requests.InitProducerIdResponse;

import io.tierlog.kafka.KafkaErrors.TopicNaming;

/**
 * InitProducerId for idempotent producers, and FindCoordinator: this broker coordinates every consumer group;
 * transactions get the TRANSACTIONS_UNSUPPORTED code with a message, so a transactional producer fails at once
 * instead of retrying; share groups (KIP-932) get COORDINATOR_NOT_AVAILABLE.
 */
final class CoordinatorHandler {

    static final String NO_TRANSACTIONS =
            "Tierlog does not support Kafka transactions: remove transactional.id (idempotence works without it)";

    private final KafkaBackend backend;
    private final BrokerIdentity broker;

    CoordinatorHandler(KafkaBackend backend, BrokerIdentity broker) {
        this.backend = backend;
        this.broker = broker;
    }

    Reply initProducerId(InitProducerIdRequest request) {
        InitProducerIdRequestData req = request.data();
        InitProducerIdResponseData resp = new InitProducerIdResponseData().setProducerId(-1).setProducerEpoch((short) -1);
        if (req.transactionalId() != null) {
            return new Reply.Respond(new InitProducerIdResponse(resp.setErrorCode(
                    KafkaErrors.forReason(BackendException.Reason.TRANSACTIONS_UNSUPPORTED, TopicNaming.BY_NAME).code())));
        }
        try {
            KafkaBackend.ProducerIdAndEpoch id = backend.initProducerId(req.producerId(), req.producerEpoch());
            resp.setErrorCode(Errors.NONE.code()).setProducerId(id.producerId()).setProducerEpoch(id.epoch());
        } catch (RuntimeException e) {
            resp.setErrorCode(KafkaErrors.forFailure(e, TopicNaming.BY_NAME).code());
        }
        return new Reply.Respond(new InitProducerIdResponse(resp));
    }

    Reply findCoordinator(FindCoordinatorRequest request) {
        short version = request.version();
        FindCoordinatorRequestData req = request.data();
        Errors error;
        String message;
        byte keyType = req.keyType();
        if (keyType == FindCoordinatorRequest.CoordinatorType.GROUP.id()) {
            error = Errors.NONE;
            message = null;
        } else if (keyType == FindCoordinatorRequest.CoordinatorType.TRANSACTION.id()) {
            error = KafkaErrors.forReason(BackendException.Reason.TRANSACTIONS_UNSUPPORTED, TopicNaming.BY_NAME);
            message = NO_TRANSACTIONS;
        } else if (keyType == FindCoordinatorRequest.CoordinatorType.SHARE.id()) {
            error = Errors.COORDINATOR_NOT_AVAILABLE;
            message = "Tierlog does not serve share groups";
        } else {
            error = Errors.INVALID_REQUEST;
            message = "unknown coordinator key type " + keyType;
        }
        boolean found = error == Errors.NONE;
        int nodeId = found ? broker.nodeId() : -1;
        String host = found ? broker.host() : "";
        int port = found ? broker.port() : -1;
        FindCoordinatorResponseData resp = new FindCoordinatorResponseData();
        if (version < 4) {
            resp.setErrorCode(error.code()).setErrorMessage(message).setNodeId(nodeId).setHost(host).setPort(port);
        } else {
            List<String> keys = req.coordinatorKeys();
            for (String key : keys) {
                resp.coordinators().add(new FindCoordinatorResponseData.Coordinator()
                        .setKey(key).setNodeId(nodeId).setHost(host).setPort(port)
                        .setErrorCode(error.code()).setErrorMessage(message));
            }
        }
        return new Reply.Respond(new FindCoordinatorResponse(resp));
    }
}
