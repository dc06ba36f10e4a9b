package io.tierlog.server;

import io.tierlog.core.InvalidInputException;
import io.tierlog.core.Record;
import io.tierlog.core.StorageException;
import io.tierlog.core.TopicPartition;
import io.tierlog.core.Validation;
import io.tierlog.hot.FileSlice;
import io.tierlog.hot.LogIOException;
import io.tierlog.hot.OffsetOutOfRangeException;
import io.tierlog.ingest.IngestClosedException;
import io.tierlog.ingest.OverloadedException;
import io.tierlog.ingest.ProducerSequenceException;
import io.tierlog.kafka.BackendException;
import io.tierlog.kafka.BackendException.Reason;
import io.tierlog.kafka.FetchChunk;
import io.tierlog.kafka.KafkaBackend;
import io.tierlog.query.CommittedOffset;
import io.tierlog.query.PartitionState;
import io.tierlog.query.UnknownPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The Kafka listener's view of this server: topics from the registry, produce through the same validator and
 * Disruptor ring as HTTP, fetch from the hot tier as zero-copy file regions and from the cold tier through its
 * cache, offsets across both tiers. It translates Tierlog's errors into {@link BackendException} reasons (a damaged
 * store is {@link Reason#STORAGE_ERROR}, never the client's fault). Thread-safe.
 */
final class KafkaDoor implements KafkaBackend {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaDoor.class);
    /** Where produce answers are completed: off the ingest writer thread, one cheap virtual thread each. */
    private static final java.util.concurrent.Executor ANSWERS =
            java.util.concurrent.Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("kafka-produce-answer-", 0).factory());

    /** Partitions of a topic created through Kafka without a count. */
    static final int DEFAULT_PARTITIONS = 1;

    private final Broker broker;
    private final String clusterId;
    private final ProducerIds producerIds;

    KafkaDoor(Broker broker) {
        this.broker = broker;
        this.clusterId = clusterId(broker.dataDir());
        this.producerIds = new ProducerIds(broker.dataDir());
    }

    /** A Kafka-style cluster id (22 characters, base64url of a UUID), made once per data directory. */
    private static String clusterId(Path dataDir) {
        Path f = dataDir.resolve("cluster-id");
        try {
            if (Files.exists(f)) {
                return Files.readString(f, StandardCharsets.UTF_8).trim();
            }
            UUID u = UUID.randomUUID();
            ByteBuffer b = ByteBuffer.allocate(16).putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits());
            String id = Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
            Files.writeString(f, id + "\n", StandardCharsets.UTF_8);
            return id;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or write the cluster id in " + f, e);
        }
    }

    @Override
    public String clusterId() {
        return clusterId;
    }

    @Override
    public List<TopicView> topics() {
        List<TopicView> out = new ArrayList<>();
        for (TopicRegistry.Topic t : broker.topics()) {
            out.add(view(t));
        }
        return out;
    }

    @Override
    public Optional<TopicView> topic(String name) {
        return broker.topic(name).map(KafkaDoor::view);
    }

    @Override
    public Optional<TopicView> topic(UUID id) {
        return broker.topic(id).map(KafkaDoor::view);
    }

    private static TopicView view(TopicRegistry.Topic t) {
        return new TopicView(t.name(), t.id(), t.partitions(), false);
    }

    @Override
    public TopicView createTopic(String name, int partitions, Map<String, String> configs, boolean validateOnly) {
        try {
            Validation.topicName(name);
        } catch (InvalidInputException e) {
            throw new BackendException(Reason.INVALID_TOPIC, e.getMessage());
        }
        int n = partitions == -1 ? DEFAULT_PARTITIONS : partitions;
        if (n < 1 || n > 1024) {
            throw new BackendException(Reason.INVALID_PARTITIONS, "partitions must be in 1..1024, was " + partitions);
        }
        TopicConfig tc;
        try {
            tc = KafkaTopicConfigs.parse(configs);
        } catch (ApiException e) {
            throw new BackendException(Reason.INVALID_CONFIG, e.getMessage());
        }
        if (broker.topic(name).isPresent()) {
            throw new BackendException(Reason.TOPIC_ALREADY_EXISTS, "topic '" + name + "' already exists");
        }
        if (validateOnly) {
            return new TopicView(name, new UUID(0, 0), n, false);
        }
        try {
            return view(broker.createTopic(name, n, tc));
        } catch (ApiException e) {
            throw new BackendException(e.status == 409 ? Reason.TOPIC_ALREADY_EXISTS : Reason.INVALID_REQUEST, e.getMessage());
        }
    }

    @Override
    public void deleteTopic(String name) {
        if (!broker.deleteTopic(name)) {
            throw new BackendException(Reason.UNKNOWN_TOPIC_OR_PARTITION, "topic '" + name + "' does not exist");
        }
    }

    @Override
    public List<ConfigEntry> describeConfigs(String topic) {
        return KafkaTopicConfigs.describe(topicOrThrow(topic).config());
    }

    @Override
    public CompletableFuture<ProduceResult> produce(String topic, int partition, ByteBuffer batch, KafkaBackend.Acks acks) {
        TopicRegistry.Topic t;
        BatchValidator.Valid valid;
        try {
            t = partitionOrThrow(topic, partition);
            valid = broker.validator().check(batch, t.config().metrics());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(translate(e));
        }
        io.tierlog.ingest.Acks ingestAcks = acks == KafkaBackend.Acks.DURABLE
                ? io.tierlog.ingest.Acks.DURABLE : io.tierlog.ingest.Acks.LEADER;
        TopicPartition tp = new TopicPartition(topic, partition);
        // acknowledgements complete on the ingest writer thread: the answer is built elsewhere (it looks up the log
        // start, which may touch the cold tier's manifest) so that the writer goes straight back to appending
        return broker.produceAsync(t, partition, valid, ingestAcks)
                .handleAsync((ack, err) -> {
                    if (err != null) {
                        throw translate(err);
                    }
                    return new ProduceResult(ack.baseOffset(), -1, logStartOffset(tp));
                }, ANSWERS);
    }

    private long logStartOffset(TopicPartition tp) {
        try {
            return broker.logStartOffset(tp);
        } catch (RuntimeException e) {
            return -1; // the topic went away after the append: the answer still carries the offsets
        }
    }

    @Override
    public PartitionFetch fetch(String topic, int partition, long offset, int maxBytes) {
        partitionOrThrow(topic, partition);
        TopicPartition tp = new TopicPartition(topic, partition);
        try {
            long logStart = logStartIfKnown(tp); // before the slice is opened: nothing to close if it throws
            Optional<FileSlice> slice = broker.readSlice(tp, offset, maxBytes);
            if (slice.isPresent()) {
                FileSlice s = slice.get();
                if (s.size() == 0) {
                    s.close();
                    return new PartitionFetch(s.highWatermark(), logStart, List.of());
                }
                FetchChunk chunk = new FetchChunk.FileRegion(s.channel(), s.position(), s.size(), s::close);
                return new PartitionFetch(s.highWatermark(), logStart, List.of(chunk));
            }
            List<ByteBuffer> batches = broker.readStoredBatches(tp, offset, maxBytes);
            PartitionState st = broker.state(tp);
            List<FetchChunk> chunks = new ArrayList<>(batches.size());
            for (ByteBuffer b : batches) {
                chunks.add(new FetchChunk.Heap(b));
            }
            return new PartitionFetch(st.highWatermark(), st.logStartOffset(), chunks);
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    /**
     * The partition's log start offset for a fetch of local data, or -1 (Kafka's INVALID_LOG_START_OFFSET, which
     * clients ignore) while the cold tier cannot tell it because the store is unreachable and the partition's manifest
     * is not loaded: reading locally held offsets must not need the object store (docs/api-notes.md).
     */
    private long logStartIfKnown(TopicPartition tp) {
        try {
            return broker.logStartOffset(tp);
        } catch (io.tierlog.cold.ObjectStoreException e) {
            if (e instanceof io.tierlog.cold.ObjectNotFoundException) {
                throw e;
            }
            LOG.debug("log start offset of {} unknown while the cold tier is unavailable: {}", tp, e.getMessage());
            return org.apache.kafka.common.requests.FetchResponse.INVALID_LOG_START_OFFSET;
        }
    }

    @Override
    public CompletableFuture<Void> awaitData(Collection<PartitionPosition> positions, long maxWaitMs) {
        List<CompletableFuture<Long>> waits = new ArrayList<>(positions.size());
        for (PartitionPosition p : positions) {
            try {
                waits.add(broker.awaitData(new TopicPartition(p.topic(), p.partition()), p.offset(), maxWaitMs));
            } catch (RuntimeException e) {
                // out of range, unknown, closing: nothing to wait for, the next fetch reports it
                waits.forEach(w -> w.cancel(false));
                return CompletableFuture.completedFuture(null);
            }
        }
        if (waits.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        return CompletableFuture.anyOf(waits.toArray(CompletableFuture[]::new))
                .handle((v, e) -> {
                    for (CompletableFuture<Long> w : waits) {
                        w.cancel(false); // the other partitions' waits end now, not at their timeout
                    }
                    return null;
                });
    }

    @Override
    public PartitionOffsets offsets(String topic, int partition) {
        partitionOrThrow(topic, partition);
        try {
            PartitionState s = broker.state(new TopicPartition(topic, partition));
            return new PartitionOffsets(s.logStartOffset(), s.localLogStartOffset(), s.highWatermark(), s.remoteEndOffset());
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    @Override
    public long highWatermark(String topic, int partition) {
        partitionOrThrow(topic, partition);
        try {
            return broker.highWatermark(new TopicPartition(topic, partition));
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    @Override
    public Optional<OffsetAndTimestamp> offsetForTimestamp(String topic, int partition, long timestamp) {
        partitionOrThrow(topic, partition);
        TopicPartition tp = new TopicPartition(topic, partition);
        try {
            long offset = broker.offsetForTimestamp(tp, Math.max(0, timestamp));
            if (offset >= broker.state(tp).highWatermark()) {
                return Optional.empty();
            }
            return broker.recordAt(tp, offset).map(r -> new OffsetAndTimestamp(r.offset(), r.timestamp()));
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    @Override
    public Optional<OffsetAndTimestamp> maxTimestamp(String topic, int partition) {
        partitionOrThrow(topic, partition);
        try {
            Optional<Record> r = broker.maxTimestampRecord(new TopicPartition(topic, partition));
            return r.map(x -> new OffsetAndTimestamp(x.offset(), x.timestamp()));
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    @Override
    public long deleteRecords(String topic, int partition, long beforeOffset) {
        partitionOrThrow(topic, partition);
        try {
            return broker.deleteRecords(new TopicPartition(topic, partition), beforeOffset);
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    @Override
    public ProducerIdAndEpoch initProducerId(long producerId, short epoch) {
        if (producerId < 0) {
            return new ProducerIdAndEpoch(producerIds.newId(), (short) 0);
        }
        short bumped = producerIds.bumpEpoch(producerId, epoch);
        if (bumped == -1) {
            throw new BackendException(Reason.INVALID_PRODUCER_EPOCH, "producer " + producerId + " is not at epoch "
                    + epoch + ": another instance re-initialised it");
        }
        if (bumped == Short.MIN_VALUE) {
            return new ProducerIdAndEpoch(producerIds.newId(), (short) 0); // epoch exhausted: a fresh id
        }
        return new ProducerIdAndEpoch(producerId, bumped);
    }

    // ---------------------------------------------------------------- committed offsets (the store HTTP uses)

    @Override
    public void commitOffsets(String group, Map<String, Map<Integer, Committed>> offsets) {
        checkGroup(group);
        try {
            Map<String, Map<Integer, CommittedOffset>> stored = new TreeMap<>();
            offsets.forEach((topic, m) -> {
                Map<Integer, CommittedOffset> p = new TreeMap<>();
                m.forEach((partition, c) -> p.put(partition, new CommittedOffset(c.offset(), c.metadata())));
                stored.put(topic, p);
            });
            broker.commitOffsetsWithMetadata(group, stored);
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    @Override
    public Map<String, SortedMap<Integer, Committed>> committedOffsets(String group) {
        checkGroup(group);
        try {
            Map<String, SortedMap<Integer, Committed>> out = new TreeMap<>();
            broker.allOffsetsWithMetadata(group).forEach((topic, m) -> {
                SortedMap<Integer, Committed> p = new TreeMap<>();
                m.forEach((partition, c) -> p.put(partition, new Committed(c.offset(), c.metadata())));
                out.put(topic, p);
            });
            return out;
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    @Override
    public List<String> groupsWithCommittedOffsets() {
        try {
            return broker.groupsWithOffsets();
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    @Override
    public boolean deleteCommittedOffsets(String group) {
        checkGroup(group);
        try {
            return broker.deleteGroupOffsets(group);
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    @Override
    public void deleteCommittedOffsets(String group, Map<String, ? extends Collection<Integer>> partitions) {
        checkGroup(group);
        try {
            broker.deleteGroupOffsets(group, partitions);
        } catch (RuntimeException e) {
            throw translate(e);
        }
    }

    private static void checkGroup(String group) {
        try {
            Validation.groupName(group);
        } catch (InvalidInputException e) {
            throw new BackendException(Reason.INVALID_GROUP_ID, e.getMessage());
        }
    }

    // ---------------------------------------------------------------- helpers

    private TopicRegistry.Topic topicOrThrow(String topic) {
        return broker.topic(topic).orElseThrow(() -> new BackendException(Reason.UNKNOWN_TOPIC_OR_PARTITION,
                "topic '" + topic + "' does not exist"));
    }

    private TopicRegistry.Topic partitionOrThrow(String topic, int partition) {
        TopicRegistry.Topic t = topicOrThrow(topic);
        if (partition < 0 || partition >= t.partitions()) {
            throw new BackendException(Reason.UNKNOWN_TOPIC_OR_PARTITION, "topic '" + topic + "' has no partition "
                    + partition + " (it has " + t.partitions() + ")");
        }
        return t;
    }

    /** Tierlog's exceptions as the listener's reasons; unknown failures are logged here once. */
    BackendException translate(Throwable e) {
        Throwable t = e;
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof BackendException b) {
            return b;
        }
        if (t instanceof BatchValidator.RejectedBatchException r) {
            Reason reason = switch (r.problem()) {
                case CORRUPT -> Reason.CORRUPT_MESSAGE;
                case INVALID_RECORD -> Reason.INVALID_RECORD;
                case TOO_LARGE -> Reason.RECORD_TOO_LARGE;
                case UNSUPPORTED_COMPRESSION -> Reason.UNSUPPORTED_COMPRESSION_TYPE;
            };
            List<BackendException.RecordError> errors = r.recordErrors().stream()
                    .map(x -> new BackendException.RecordError(x.index(), x.message())).toList();
            return new BackendException(reason, r.getMessage(), errors, r);
        }
        if (t instanceof ProducerSequenceException p) {
            return new BackendException(p.kind() == ProducerSequenceException.Kind.OUT_OF_ORDER_SEQUENCE
                    ? Reason.OUT_OF_ORDER_SEQUENCE_NUMBER : Reason.INVALID_PRODUCER_EPOCH, p.getMessage(), p);
        }
        if (t instanceof OffsetOutOfRangeException o) {
            return BackendException.offsetOutOfRange(o.getMessage(), o.logStartOffset(), o.highWatermark());
        }
        if (t instanceof UnknownPartitionException u) {
            return new BackendException(Reason.UNKNOWN_TOPIC_OR_PARTITION, u.getMessage(), u);
        }
        if (t instanceof OverloadedException o) {
            return new BackendException(Reason.OVERLOADED, o.getMessage(), o);
        }
        if (t instanceof ApiException a && a.status == 503) {
            return new BackendException(Reason.OVERLOADED, a.getMessage(), a);
        }
        if (t instanceof ApiException a && a.status == 404) {
            return new BackendException(Reason.UNKNOWN_TOPIC_OR_PARTITION, a.getMessage(), a);
        }
        if (t instanceof IngestClosedException c) {
            return new BackendException(Reason.SHUTTING_DOWN, c.getMessage(), c);
        }
        if (t instanceof io.tierlog.cold.ObjectStoreException os && !(t instanceof io.tierlog.cold.ObjectNotFoundException)) {
            // an object-store outage: KAFKA_STORAGE_ERROR is retriable, the client refreshes metadata and fetches again
            LOG.warn("cold tier unavailable under a Kafka request: {}", os.getMessage());
            return new BackendException(Reason.STORAGE_ERROR, "the cold tier (object store) is unavailable: "
                    + os.getMessage(), os);
        }
        if (t instanceof StorageException || t instanceof LogIOException) {
            broker.storageFaults().increment();
            LOG.error("storage fault under a Kafka request: {}", t.getMessage(), t);
            return new BackendException(Reason.STORAGE_ERROR, t.getMessage(), t);
        }
        if (t instanceof Broker.PolicyViolationException p) {
            return new BackendException(Reason.POLICY_VIOLATION, p.getMessage(), p);
        }
        if (t instanceof InvalidInputException i) {
            return new BackendException(Reason.INVALID_REQUEST, i.getMessage(), i);
        }
        LOG.error("unexpected failure under a Kafka request", t);
        return new BackendException(Reason.UNKNOWN, String.valueOf(t.getMessage()), t);
    }
}
