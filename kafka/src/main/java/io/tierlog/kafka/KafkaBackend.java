package io.tierlog.kafka;

import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * What the Kafka listener needs from a Tierlog broker. It is the seam between Kafka's wire protocol (which lives
 * only in this module, on kafka-clients' classes) and Tierlog's tiers (which know nothing of Kafka's types): the
 * server implements it over its topic registry, ingest pipeline and query service; tests implement it in memory.
 *
 * <p>Errors are {@link BackendException}s carrying a {@link BackendException.Reason}, which the listener maps to
 * Kafka's error codes. Implementations are thread-safe: the listener calls them from one virtual thread per
 * connection.
 */
public interface KafkaBackend {

    /** The cluster id answered in Metadata and DescribeCluster (stable across restarts). */
    String clusterId();

    /** Every topic, in name order. */
    List<TopicView> topics();

    Optional<TopicView> topic(String name);

    Optional<TopicView> topic(UUID id);

    /**
     * Creates a topic. {@code configs} uses Kafka's config names (retention.ms, segment.bytes, cleanup.policy, ...)
     * plus Tierlog's own ({@code tierlog.schema}); unknown names fail with {@link BackendException.Reason#INVALID_CONFIG}.
     * With {@code validateOnly} nothing is created, the checks still run.
     *
     * @param partitions {@code -1} for the broker default
     */
    TopicView createTopic(String name, int partitions, Map<String, String> configs, boolean validateOnly);

    /** Deletes a topic with its local and remote data. */
    void deleteTopic(String name);

    /** The topic's configuration under Kafka's names, every supported key with its value and whether it is a default. */
    List<ConfigEntry> describeConfigs(String topic);

    /**
     * Appends one client batch (Kafka RecordBatch v2, exactly as received, position to limit) to a partition.
     * The backend validates it (CRC, framing, the metric convention of {@code metrics} topics, size), checks the
     * idempotent producer's sequence, and completes once the batch is appended ({@link Acks#LEADER}) or fsynced
     * ({@link Acks#DURABLE}). A duplicate of an already appended batch completes with that batch's original base
     * offset. The backend owns the buffer from the call on (it rewrites the base offset in place).
     */
    CompletableFuture<ProduceResult> produce(String topic, int partition, ByteBuffer batch, Acks acks);

    /**
     * Stored batches of a partition from the one holding {@code offset}, up to about {@code maxBytes} (at least one
     * whole batch when any exists, even if larger), none at or past the high watermark. The chunks are in offset
     * order; the caller must {@link FetchChunk#release() release} every chunk once it was sent (or failed).
     * Throws OFFSET_OUT_OF_RANGE when {@code offset} is outside [logStartOffset, highWatermark].
     */
    PartitionFetch fetch(String topic, int partition, long offset, int maxBytes);

    /**
     * Completes when any of the given partitions has data at or after the given offset (its high watermark moved
     * past it), or after {@code maxWaitMs} (normally, not exceptionally). The long poll of Fetch.
     */
    CompletableFuture<Void> awaitData(Collection<PartitionPosition> positions, long maxWaitMs);

    /** Where a partition's data lies: log start (both tiers), local log start, high watermark, remote end. */
    PartitionOffsets offsets(String topic, int partition);

    /**
     * The partition's high watermark: local state, so it is answered while the cold tier is unavailable (where
     * {@link #offsets} needs the partition's remote range). The default asks {@link #offsets}.
     */
    default long highWatermark(String topic, int partition) {
        return offsets(topic, partition).highWatermark();
    }

    /**
     * The first offset whose record timestamp is >= {@code timestamp} over both tiers, with that record's timestamp;
     * empty when no record has one.
     */
    Optional<OffsetAndTimestamp> offsetForTimestamp(String topic, int partition, long timestamp);

    /**
     * DeleteRecords: records below {@code beforeOffset} ({@code -1}: the high watermark) become unreadable and the
     * log start offset moves there, durably, before this returns; the storage they take is freed later, a whole
     * segment at a time. Returns the new log start offset (Kafka's low watermark). Fails with OFFSET_OUT_OF_RANGE
     * above the high watermark, POLICY_VIOLATION for a topic that is compacted and not deleted by retention.
     */
    long deleteRecords(String topic, int partition, long beforeOffset);

    /** The offset and timestamp of the record with the largest timestamp (ListOffsets' MAX_TIMESTAMP); empty when none. */
    Optional<OffsetAndTimestamp> maxTimestamp(String topic, int partition);

    /**
     * InitProducerId for an idempotent (non-transactional) producer: a new producer id with epoch 0 when
     * {@code producerId} is -1; otherwise the same id with its epoch bumped (KIP-360), failing with
     * INVALID_PRODUCER_EPOCH when {@code epoch} is not the current one.
     */
    ProducerIdAndEpoch initProducerId(long producerId, short epoch);

    /**
     * Stores committed offsets of a consumer group (topic -> partition -> the next offset to read with its commit
     * metadata), all of them durable or none, in the store HTTP's group-offsets endpoints use; partitions and topics
     * not named keep theirs. The listener checks membership, topics, partitions and the metadata's length
     * ({@link Committed#MAX_METADATA_CHARS}) first. Fails with INVALID_GROUP_ID for a group name the store refuses.
     */
    void commitOffsets(String group, Map<String, Map<Integer, Committed>> offsets);

    /** A group's committed offsets, topic -> partition -> offset and metadata, in name order; empty when it has none. */
    Map<String, SortedMap<Integer, Committed>> committedOffsets(String group);

    /** The groups that have committed offsets, in name order. */
    List<String> groupsWithCommittedOffsets();

    /** Deletes a group's committed offsets durably; false when it had none. */
    boolean deleteCommittedOffsets(String group);

    /** Deletes the committed offsets of some partitions of a group durably (OffsetDelete); others keep theirs. */
    void deleteCommittedOffsets(String group, Map<String, ? extends Collection<Integer>> partitions);

    /** How a produce is acknowledged. */
    enum Acks {
        /** acks=1: once appended to the hot tier (in the OS page cache). */
        LEADER,
        /** acks=all / -1: once fsynced (one broker: a stronger promise than Kafka's in-sync replicas). */
        DURABLE
    }

    /** A topic as Kafka sees it. {@code id} is stable for the topic's life (Kafka's topic id). */
    record TopicView(String name, UUID id, int partitions, boolean internal) {
    }

    /** One configuration value under Kafka's name; {@code isDefault} when the topic did not set it. */
    record ConfigEntry(String name, String value, boolean isDefault, boolean readOnly, boolean sensitive) {
    }

    /** The outcome of one appended (or de-duplicated) batch. */
    record ProduceResult(long baseOffset, long logAppendTimeMs, long logStartOffset) {
    }

    /** A partition and the offset a long-polling fetch waits beyond. */
    record PartitionPosition(String topic, int partition, long offset) {
    }

    /**
     * Offsets of a partition: first offset in either tier, first offset on local disk, next offset readable, and
     * one past the last offset held in the cold tier (0 when nothing was offloaded).
     */
    record PartitionOffsets(long logStartOffset, long localLogStartOffset, long highWatermark, long remoteEndOffset) {
    }

    record OffsetAndTimestamp(long offset, long timestamp) {
    }

    /**
     * A committed offset and the client's metadata string for it ({@code ""} when none; Kafka Streams keeps its
     * stream time there), at most {@link #MAX_METADATA_CHARS} characters.
     */
    record Committed(long offset, String metadata) {
        /** Kafka's default offset.metadata.max.bytes (Kafka compares it with the string's length). */
        public static final int MAX_METADATA_CHARS = 4096;

        public Committed {
            metadata = metadata == null ? "" : metadata;
        }
    }

    record ProducerIdAndEpoch(long producerId, short epoch) {
    }

    /** The answer to a fetch of one partition. */
    record PartitionFetch(long highWatermark, long logStartOffset, List<FetchChunk> chunks) {
        public int sizeInBytes() {
            int n = 0;
            for (FetchChunk c : chunks) {
                n += c.size();
            }
            return n;
        }
    }
}
