package io.tierlog.kafka;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.BaseRecords;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.MutableRecordBatch;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;

import io.tierlog.kafka.KafkaErrors.TopicNaming;

/**
 * Produce: checks each partition's records with kafka-clients ({@code validateRecords}: magic 2, exactly one
 * batch; then the batch CRC), hands the batch to the backend, and answers once every partition completed. The
 * partitions of one request are appended concurrently.
 */
final class ProduceHandler {

    /** How long past the request's own timeout to wait for the backend before answering REQUEST_TIMED_OUT. */
    private static final long BACKEND_GRACE_MS = 5_000;

    private final KafkaBackend backend;

    ProduceHandler(KafkaBackend backend) {
        this.backend = backend;
    }

    /** One partition of the request and its outcome. */
    private static final class Pending {
        final int index;
        CompletableFuture<KafkaBackend.ProduceResult> future;
        KafkaErrors.Failure failure;

        Pending(int index) {
            this.index = index;
        }
    }

    /**
     * Hands every partition's batch to the backend now (in request order, so a connection's requests are appended
     * in the order they came) and completes with the answer once every partition completed or the request's timeout
     * (plus a grace) passed; never completes exceptionally.
     */
    CompletableFuture<Reply> handle(ProduceRequest request) {
        short version = request.version();
        ProduceRequestData data = request.data();
        TopicNaming naming = version >= 13 ? TopicNaming.BY_ID : TopicNaming.BY_NAME;
        Optional<KafkaBackend.Acks> acks = switch (data.acks()) {
            case 0, 1 -> Optional.of(KafkaBackend.Acks.LEADER);
            case -1 -> Optional.of(KafkaBackend.Acks.DURABLE);
            default -> Optional.empty();
        };

        List<List<Pending>> byTopic = new ArrayList<>();
        List<CompletableFuture<?>> futures = new ArrayList<>();
        for (ProduceRequestData.TopicProduceData td : data.topicData()) {
            Optional<KafkaBackend.TopicView> topic = naming == TopicNaming.BY_ID
                    ? backend.topic(TopicIds.fromKafka(td.topicId()))
                    : backend.topic(td.name());
            List<Pending> partitions = new ArrayList<>();
            for (ProduceRequestData.PartitionProduceData pd : td.partitionData()) {
                Pending p = new Pending(pd.index());
                partitions.add(p);
                if (acks.isEmpty()) {
                    p.failure = new KafkaErrors.Failure(Errors.INVALID_REQUIRED_ACKS, "acks must be -1, 0 or 1", null);
                } else if (topic.isEmpty() || pd.index() < 0 || pd.index() >= topic.get().partitions()) {
                    p.failure = KafkaErrors.forFailure(new BackendException(
                            BackendException.Reason.UNKNOWN_TOPIC_OR_PARTITION, "unknown topic or partition"), naming);
                } else if (data.transactionalId() != null) {
                    p.failure = KafkaErrors.forFailure(new BackendException(
                            BackendException.Reason.TRANSACTIONS_UNSUPPORTED, "Tierlog does not support transactions"), naming);
                } else {
                    try {
                        ByteBuffer batch = singleBatch(version, pd.records());
                        p.future = backend.produce(topic.get().name(), pd.index(), batch, acks.get());
                        futures.add(p.future);
                    } catch (RuntimeException e) {
                        p.failure = KafkaErrors.forFailure(e, naming);
                    }
                }
            }
            byTopic.add(partitions);
        }

        if (futures.isEmpty()) {
            return CompletableFuture.completedFuture(answer(data, version, naming, byTopic));
        }
        return CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
                // the partitions still pending then answer REQUEST_TIMED_OUT (see partitionResponse)
                .completeOnTimeout(null, Math.max(0, data.timeoutMs()) + BACKEND_GRACE_MS, TimeUnit.MILLISECONDS)
                // one partition failed: each partition's own future says which (read in partitionResponse)
                .handle((v, e) -> answer(data, version, naming, byTopic));
    }

    private Reply answer(ProduceRequestData data, short version, TopicNaming naming, List<List<Pending>> byTopic) {
        ProduceResponseData resp = new ProduceResponseData();
        boolean anyError = false;
        int i = 0;
        for (ProduceRequestData.TopicProduceData td : data.topicData()) {
            ProduceResponseData.TopicProduceResponse tr = new ProduceResponseData.TopicProduceResponse();
            if (naming == TopicNaming.BY_ID) {
                tr.setTopicId(td.topicId());
            } else {
                tr.setName(td.name()).setTopicId(Uuid.ZERO_UUID);
            }
            for (Pending p : byTopic.get(i++)) {
                ProduceResponseData.PartitionProduceResponse pr = partitionResponse(p, naming);
                anyError |= pr.errorCode() != Errors.NONE.code();
                tr.partitionResponses().add(pr);
            }
            resp.responses().add(tr);
        }
        if (data.acks() == 0) {
            return anyError ? new Reply.Close("a produce with acks=0 failed") : new Reply.Silent();
        }
        return new Reply.Respond(new ProduceResponse(resp));
    }

    /** The partition's one batch, CRC-checked, as a slice of the request buffer (no copy). */
    static ByteBuffer singleBatch(short version, BaseRecords records) {
        if (!(records instanceof MemoryRecords memory)) {
            throw new InvalidRecordException("a produced partition must carry one record batch");
        }
        ProduceRequest.validateRecords(version, memory);
        MutableRecordBatch batch = memory.batches().iterator().next();
        batch.ensureValid();
        if (batch.isTransactional() || batch.isControlBatch()) {
            throw new BackendException(BackendException.Reason.TRANSACTIONS_UNSUPPORTED,
                    "Tierlog does not support transactions (transactional or control batch)");
        }
        ByteBuffer all = memory.buffer();
        return all.slice(all.position(), batch.sizeInBytes());
    }

    private static ProduceResponseData.PartitionProduceResponse partitionResponse(Pending p, TopicNaming naming) {
        ProduceResponseData.PartitionProduceResponse pr = new ProduceResponseData.PartitionProduceResponse()
                .setIndex(p.index).setBaseOffset(-1).setLogAppendTimeMs(-1).setLogStartOffset(-1);
        KafkaErrors.Failure failure = p.failure;
        if (failure == null && !p.future.isDone()) {
            failure = new KafkaErrors.Failure(Errors.REQUEST_TIMED_OUT, "the append did not complete in time", null);
        } else if (failure == null && p.future.isCompletedExceptionally()) {
            failure = KafkaErrors.forFailure(p.future.exceptionNow(), naming);
        }
        if (failure == null) {
            KafkaBackend.ProduceResult r = p.future.resultNow();
            return pr.setErrorCode(Errors.NONE.code()).setBaseOffset(r.baseOffset())
                    .setLogAppendTimeMs(r.logAppendTimeMs()).setLogStartOffset(r.logStartOffset());
        }
        pr.setErrorCode(failure.code()).setErrorMessage(failure.message());
        if (failure.backend() != null) {
            for (BackendException.RecordError re : failure.backend().recordErrors()) {
                pr.recordErrors().add(new ProduceResponseData.BatchIndexAndErrorMessage()
                        .setBatchIndex(re.index()).setBatchIndexErrorMessage(re.message()));
            }
        }
        return pr;
    }
}
