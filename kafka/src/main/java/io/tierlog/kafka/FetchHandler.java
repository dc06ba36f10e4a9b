package io.tierlog.kafka;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.BaseRecords;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.requests.FetchMetadata;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FetchResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.tierlog.kafka.KafkaErrors.TopicNaming;

/**
 * Fetch: reads each partition from the backend within the request's byte limits (at least one whole batch for
 * the first partition with data, KIP-74), and long-polls with {@link KafkaBackend#awaitData} until
 * {@code minBytes} are there or {@code maxWaitMs} passed. Fetched chunks travel unchanged into the response
 * ({@link ChunkRecords}); the returned {@link Reply.Respond} lists them so the connection releases them.
 * Incremental fetch sessions (KIP-227) are delegated to the connection's {@link FetchSessions}.
 */
final class FetchHandler {

    private static final Logger log = LoggerFactory.getLogger(FetchHandler.class);

    /** Extra time granted to the backend's awaitData beyond the poll deadline before giving up on it. */
    private static final long AWAIT_GRACE_MS = 1_000;

    /** A partition as the request names it: by topic name (v4 to v12) or by topic id (v13+). */
    record Key(String topic, Uuid topicId, int partition) {
    }

    /** A partition to read, from where, with its own byte limit. */
    record Wanted(Key key, long offset, int maxBytes) {
    }

    /** What one read of a partition found. */
    record PartitionRead(Key key, FetchResponseData.PartitionData data, List<FetchChunk> chunks, String resolvedTopic) {
        int bytes() {
            int n = 0;
            for (FetchChunk c : chunks) {
                n += c.size();
            }
            return n;
        }

        boolean failed() {
            return data.errorCode() != Errors.NONE.code();
        }
    }

    private final KafkaBackend backend;

    FetchHandler(KafkaBackend backend) {
        this.backend = backend;
    }

    Reply handle(FetchRequest request, FetchSessions sessions) throws InterruptedException {
        FetchRequestData req = request.data();
        short version = request.version();
        TopicNaming naming = version >= 13 ? TopicNaming.BY_ID : TopicNaming.BY_NAME;
        List<Wanted> requested = new ArrayList<>();
        for (FetchRequestData.FetchTopic t : req.topics()) {
            for (FetchRequestData.FetchPartition p : t.partitions()) {
                Key key = naming == TopicNaming.BY_ID ? new Key(null, t.topicId(), p.partition())
                        : new Key(t.topic(), Uuid.ZERO_UUID, p.partition());
                requested.add(new Wanted(key, p.fetchOffset(), p.partitionMaxBytes()));
            }
        }
        List<Key> forgotten = new ArrayList<>();
        if (version >= 7) {
            for (FetchRequestData.ForgottenTopic f : req.forgottenTopicsData()) {
                for (int p : f.partitions()) {
                    forgotten.add(naming == TopicNaming.BY_ID ? new Key(null, f.topicId(), p)
                            : new Key(f.topic(), Uuid.ZERO_UUID, p));
                }
            }
        }
        FetchSessions.Session session;
        if (version < 7) {
            session = FetchSessions.Session.NONE;
        } else {
            FetchSessions.Opened opened = sessions.open(req.sessionId(), req.sessionEpoch(), requested, forgotten);
            if (opened.error() != Errors.NONE) {
                return new Reply.Respond(FetchResponse.of(new FetchResponseData()
                        .setErrorCode(opened.error().code()).setSessionId(FetchMetadata.INVALID_SESSION_ID)));
            }
            session = opened.session();
        }
        List<Wanted> wanted = session.partitions(requested);

        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(0, req.maxWaitMs()));
        while (true) {
            List<PartitionRead> reads = readAll(wanted, req.maxBytes(), naming);
            List<PartitionRead> answered = session.select(reads);
            int bytes = 0;
            boolean failed = false;
            for (PartitionRead r : reads) {
                bytes += r.bytes();
                failed |= r.failed();
            }
            long remainingNanos = deadline - System.nanoTime();
            boolean enough = bytes >= req.minBytes() || failed || wanted.isEmpty() || remainingNanos <= 0;
            if (enough) {
                session.commit(answered);
                return respond(naming, session.id(), reads, answered);
            }
            releaseAll(reads);
            awaitData(reads, remainingNanos);
        }
    }

    private List<PartitionRead> readAll(List<Wanted> wanted, int responseMaxBytes, TopicNaming naming) {
        List<PartitionRead> reads = new ArrayList<>(wanted.size());
        try {
            long budget = responseMaxBytes;
            boolean anyData = false;
            for (Wanted w : wanted) {
                long limit = Math.min(Math.max(0, w.maxBytes()), Math.max(0, budget));
                PartitionRead r = read(w, limit, anyData, naming);
                reads.add(r);
                budget -= r.bytes();
                anyData |= r.bytes() > 0;
            }
            return reads;
        } catch (RuntimeException e) {
            releaseAll(reads);
            throw e;
        }
    }

    /** Reads one partition; once the response holds data, a partition whose first batch exceeds its limit is skipped. */
    private PartitionRead read(Wanted w, long limit, boolean anyData, TopicNaming naming) {
        FetchResponseData.PartitionData data = new FetchResponseData.PartitionData()
                .setPartitionIndex(w.key().partition())
                .setAbortedTransactions(null)
                .setPreferredReadReplica(-1)
                .setRecords(MemoryRecords.EMPTY);
        Optional<KafkaBackend.TopicView> topic = naming == TopicNaming.BY_ID
                ? backend.topic(TopicIds.fromKafka(w.key().topicId()))
                : backend.topic(w.key().topic());
        if (topic.isEmpty() || w.key().partition() < 0 || w.key().partition() >= topic.get().partitions()) {
            Errors e = KafkaErrors.forReason(BackendException.Reason.UNKNOWN_TOPIC_OR_PARTITION, naming);
            return new PartitionRead(w.key(), data.setErrorCode(e.code()).setHighWatermark(-1), List.of(), null);
        }
        String name = topic.get().name();
        KafkaBackend.PartitionFetch f = null;
        try {
            if (anyData && limit <= 0) {
                KafkaBackend.PartitionOffsets o = backend.offsets(name, w.key().partition());
                return new PartitionRead(w.key(), offsets(data, o.highWatermark(), o.logStartOffset()), List.of(), name);
            }
            f = backend.fetch(name, w.key().partition(), w.offset(), (int) limit);
            offsets(data, f.highWatermark(), f.logStartOffset());
            if (anyData && f.sizeInBytes() > limit) {
                f.chunks().forEach(FetchChunk::release);
                return new PartitionRead(w.key(), data, List.of(), name);
            }
            return new PartitionRead(w.key(), data.setRecords(records(f.chunks())), f.chunks(), name);
        } catch (RuntimeException e) {
            if (f != null) {
                f.chunks().forEach(FetchChunk::release);
            }
            KafkaErrors.Failure failure = KafkaErrors.forFailure(e, naming);
            data.setErrorCode(failure.code()).setHighWatermark(-1).setRecords(MemoryRecords.EMPTY);
            if (failure.backend() != null && failure.error() == Errors.OFFSET_OUT_OF_RANGE) {
                data.setHighWatermark(failure.backend().highWatermark())
                        .setLogStartOffset(failure.backend().logStartOffset());
            }
            return new PartitionRead(w.key(), data, List.of(), name);
        }
    }

    private static FetchResponseData.PartitionData offsets(FetchResponseData.PartitionData d, long hw, long logStart) {
        return d.setErrorCode(Errors.NONE.code()).setHighWatermark(hw).setLastStableOffset(hw).setLogStartOffset(logStart);
    }

    private static BaseRecords records(List<FetchChunk> chunks) {
        if (chunks.isEmpty()) {
            return MemoryRecords.EMPTY;
        }
        if (chunks.size() == 1 && chunks.getFirst() instanceof FetchChunk.Heap heap) {
            return MemoryRecords.readableRecords(heap.batches().duplicate());
        }
        return new ChunkRecords(chunks);
    }

    private void awaitData(List<PartitionRead> reads, long remainingNanos) throws InterruptedException {
        List<KafkaBackend.PartitionPosition> positions = new ArrayList<>();
        for (PartitionRead r : reads) {
            if (r.resolvedTopic() != null) {
                // wake when the high watermark moves past what this read saw
                positions.add(new KafkaBackend.PartitionPosition(r.resolvedTopic(), r.key().partition(),
                        r.data().highWatermark()));
            }
        }
        long waitMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(remainingNanos));
        try {
            backend.awaitData(positions, waitMs).get(waitMs + AWAIT_GRACE_MS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            log.warn("awaitData failed; answering the fetch with what is there", e.getCause());
        } catch (TimeoutException e) {
            log.debug("awaitData did not complete within {} ms; the fetch answers at its deadline", waitMs);
        }
    }

    private static Reply respond(TopicNaming naming, int sessionId, List<PartitionRead> reads, List<PartitionRead> answered) {
        List<FetchChunk> pinned = new ArrayList<>();
        Map<Key, FetchResponseData.FetchableTopicResponse> topics = new LinkedHashMap<>();
        for (PartitionRead r : answered) {
            Key topicKey = new Key(r.key().topic(), r.key().topicId(), 0);
            FetchResponseData.FetchableTopicResponse t = topics.computeIfAbsent(topicKey, k -> {
                FetchResponseData.FetchableTopicResponse n = new FetchResponseData.FetchableTopicResponse();
                return naming == TopicNaming.BY_ID ? n.setTopicId(k.topicId()) : n.setTopic(k.topic());
            });
            t.partitions().add(r.data());
            pinned.addAll(r.chunks());
        }
        java.util.Set<PartitionRead> sent = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        sent.addAll(answered);
        for (PartitionRead r : reads) {
            if (!sent.contains(r)) {
                r.chunks().forEach(FetchChunk::release);
            }
        }
        FetchResponseData data = new FetchResponseData()
                .setErrorCode(Errors.NONE.code())
                .setSessionId(sessionId)
                .setResponses(new ArrayList<>(topics.values()));
        return new Reply.Respond(FetchResponse.of(data), pinned);
    }

    private static void releaseAll(List<PartitionRead> reads) {
        for (PartitionRead r : reads) {
            r.chunks().forEach(FetchChunk::release);
        }
    }
}
