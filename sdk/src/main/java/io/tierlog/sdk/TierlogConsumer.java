package io.tierlog.sdk;

import io.tierlog.core.Header;
import io.tierlog.core.MetricEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one topic in offset order, as metric samples ({@code metrics} topics) or raw records, through Tierlog's
 * Kafka listener. Underneath is one kafka-clients {@code KafkaConsumer}: it fetches ahead, long-polls a caught-up
 * partition on the server ({@link ConsumerConfig#maxWait()}), and with a group shares the topic's partitions among
 * the group's members (Kafka's classic group protocol: joins, leaves and failures rebalance them). This class adds
 * the typed records, {@link StartPosition}s, and positions and commits by partition number.
 *
 * <ul>
 *   <li>{@link #assign} reads the given partitions (all of them with {@link #subscribe} when the consumer has no
 *       group), each from {@code start}, resolved when called.</li>
 *   <li>{@link #subscribe} with a group joins it; each partition the group hands this member starts at the group's
 *       committed offset when it has one, else at {@code start} (for {@link StartPosition#committed}: its fallback).
 *       So a rebalance hands a partition over where its last owner committed, and {@code start} only decides where
 *       a partition the group never committed begins.</li>
 * </ul>
 *
 * <p>Nothing is committed unless {@link #commitSync()} is called; commit after processing what {@link #poll}
 * returned and before the next poll, and a rebalance (which happens inside poll) neither loses nor repeats
 * records. Not thread-safe: one consumer per thread, as with Kafka's consumer.
 */
public final class TierlogConsumer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TierlogConsumer.class);

    private final TierlogClient client;
    private final ConsumerConfig config;
    private final KafkaConsumer<byte[], byte[]> kafka;
    private String topic;
    private int partitionCount;
    private boolean metricsTopic;
    private boolean closed;

    TierlogConsumer(TierlogClient client, String bootstrapServers, ConsumerConfig config) {
        this.client = client;
        this.config = config;
        this.kafka = new KafkaConsumer<>(withSecurity(config.toKafka(bootstrapServers), client), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /**
     * Reads {@code topic}: with a group, the partitions the group assigns this member (see the class comment);
     * without one, every partition from {@code start}.
     */
    public void subscribe(String topic, StartPosition start) {
        ensureOpen();
        TopicInfo info = use(topic);
        if (config.group() == null) {
            assign(info, info.partitions().stream().map(TopicInfo.PartitionInfo::partition).toList(), start);
            return;
        }
        StartPosition uncommitted = start instanceof StartPosition.Committed c ? c.fallback() : start;
        kafka.subscribe(List.of(topic), new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                startAt(partitions, StartPosition.committed(uncommitted));
                LOG.debug("consumer of {} in group {} was assigned {}", topic, config.group(), partitions);
            }

            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                LOG.debug("consumer of {} in group {} gave up {}", topic, config.group(), partitions);
            }
        });
    }

    /** Reads the given partitions of {@code topic}, starting at {@code start} (resolved now). */
    public void assign(String topic, Collection<Integer> partitions, StartPosition start) {
        ensureOpen();
        assign(use(topic), partitions, start);
    }

    private void assign(TopicInfo info, Collection<Integer> partitions, StartPosition start) {
        if (partitions.isEmpty()) {
            throw new IllegalArgumentException("no partitions to assign");
        }
        List<TopicPartition> tps = new ArrayList<>();
        for (int p : new TreeSet<>(partitions)) {
            info.partition(p); // throws for a partition the topic does not have
            tps.add(new TopicPartition(info.name(), p));
        }
        if (start instanceof StartPosition.Committed) {
            requireGroup();
        }
        kafka.assign(tps);
        startAt(tps, start);
        tps.forEach(kafka::position); // resolve now: "latest" means the end at this call, not at the first poll
        if (LOG.isDebugEnabled()) {
            LOG.debug("consumer of {} starts at {}", info.name(), positions());
        }
    }

    /** Forgets the previous subscription or assignment and describes the new topic (its schema and partitions). */
    private TopicInfo use(String topic) {
        TopicInfo info = client.describeTopic(topic);
        kafka.unsubscribe();
        this.topic = info.name();
        this.partitionCount = info.partitions().size();
        this.metricsTopic = info.isMetrics();
        return info;
    }

    /** Moves each partition to {@code start}; called on this thread, also from inside poll (rebalance listener). */
    private void startAt(Collection<TopicPartition> tps, StartPosition start) {
        if (tps.isEmpty()) {
            return;
        }
        switch (start) {
            case StartPosition.Earliest e -> kafka.seekToBeginning(tps);
            case StartPosition.Latest l -> kafka.seekToEnd(tps);
            case StartPosition.Offset o -> tps.forEach(tp -> kafka.seek(tp, o.offset()));
            case StartPosition.Timestamp t -> {
                Map<TopicPartition, Long> query = new HashMap<>();
                tps.forEach(tp -> query.put(tp, t.epochMillis()));
                List<TopicPartition> none = new ArrayList<>();
                kafka.offsetsForTimes(query).forEach((tp, found) -> {
                    if (found == null) {
                        none.add(tp); // no record at or after the time: start at the end
                    } else {
                        kafka.seek(tp, found.offset());
                    }
                });
                startAt(none, StartPosition.latest()); // (kafka's seekToEnd of no partitions means all of them)
            }
            case StartPosition.Committed c -> {
                Map<TopicPartition, OffsetAndMetadata> committed = kafka.committed(Set.copyOf(tps));
                List<TopicPartition> rest = new ArrayList<>();
                for (TopicPartition tp : tps) {
                    OffsetAndMetadata om = committed.get(tp);
                    if (om == null) {
                        rest.add(tp);
                    } else {
                        kafka.seek(tp, om.offset());
                    }
                }
                startAt(rest, c.fallback());
            }
        }
    }

    /**
     * Returns the next records of the assigned partitions, waiting up to {@code timeout} when there are none
     * (empty list on timeout). Positions advance past the records returned. With a group, rebalances happen here.
     *
     * @throws TierlogServerException.OffsetOutOfRange when a position lies outside its partition and
     *                                                 {@code outOfRangeReset} is {@code NONE}
     */
    public List<ConsumedRecord> poll(Duration timeout) {
        ensureOpen();
        if (topic == null) {
            throw new IllegalStateException("subscribe or assign before poll");
        }
        Iterable<ConsumerRecord<byte[], byte[]>> records;
        try {
            records = kafka.poll(timeout);
        } catch (OffsetOutOfRangeException e) {
            throw outOfRange(e);
        } catch (InterruptException e) {
            throw new TierlogClientException("interrupted while polling " + topic, e);
        }
        List<ConsumedRecord> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            out.add(toRecord(r));
        }
        return out;
    }

    private ConsumedRecord toRecord(ConsumerRecord<byte[], byte[]> r) {
        List<Header> headers = List.of();
        if (r.headers().iterator().hasNext()) {
            headers = new ArrayList<>();
            for (org.apache.kafka.common.header.Header h : r.headers()) {
                headers.add(new Header(h.key(), h.value()));
            }
        }
        MetricEvent metric = metricsTopic
                ? MetricSerde.decode(r.key(), r.value(), r.timestamp(), "at offset " + r.offset() + " of " + r.topic() + "-" + r.partition())
                : null;
        return new ConsumedRecord(r.topic(), r.partition(), r.offset(), r.timestamp(), r.key(), r.value(), headers, metric);
    }

    /** The first partition out of range, with its offsets now (as the HTTP API's 416 carries them). */
    private TierlogServerException.OffsetOutOfRange outOfRange(OffsetOutOfRangeException e) {
        Map.Entry<TopicPartition, Long> first = e.offsetOutOfRangePartitions().entrySet().iterator().next();
        TopicPartition tp = first.getKey();
        long start = kafka.beginningOffsets(List.of(tp)).getOrDefault(tp, -1L);
        long end = kafka.endOffsets(List.of(tp)).getOrDefault(tp, -1L);
        TierlogServerException.OffsetOutOfRange out = new TierlogServerException.OffsetOutOfRange("offset " + first.getValue()
                + " of " + tp + " is outside [" + start + ", " + end + "]", start, end);
        out.initCause(e);
        return out;
    }

    /** The partitions this consumer reads now (with a group: what the group assigned it at the last poll). */
    public Set<Integer> assignment() {
        ensureOpen();
        return kafka.assignment().stream().map(TopicPartition::partition).collect(Collectors.toCollection(TreeSet::new));
    }

    /** The next offset to be returned for each assigned partition. */
    public Map<Integer, Long> positions() {
        Map<Integer, Long> out = new TreeMap<>();
        for (int p : assignment()) {
            out.put(p, kafka.position(new TopicPartition(topic, p)));
        }
        return Collections.unmodifiableMap(out);
    }

    public long position(int partition) {
        return kafka.position(assigned(partition));
    }

    /** Moves a partition's position; records already fetched for the old position are discarded. */
    public void seek(int partition, long offset) {
        if (offset < 0) {
            throw new IllegalArgumentException("offset must be >= 0, was " + offset);
        }
        kafka.seek(assigned(partition), offset);
    }

    private TopicPartition assigned(int partition) {
        ensureOpen();
        TopicPartition tp = new TopicPartition(topic, partition);
        if (topic == null || !kafka.assignment().contains(tp)) {
            throw new IllegalArgumentException("partition " + partition + " is not assigned");
        }
        return tp;
    }

    /** Commits the current positions of all assigned partitions for the consumer's group. */
    public void commitSync() {
        requireGroup();
        kafka.commitSync();
    }

    /** Commits the given next-offsets-to-read for the consumer's group. */
    public void commitSync(Map<Integer, Long> offsets) {
        requireGroup();
        Map<TopicPartition, OffsetAndMetadata> m = new HashMap<>();
        offsets.forEach((p, o) -> m.put(new TopicPartition(topic, p), new OffsetAndMetadata(o)));
        kafka.commitSync(m);
    }

    /** The group's committed offsets for the topic (partitions never committed are absent). */
    public Map<Integer, Long> committed() {
        requireGroup();
        Set<TopicPartition> all = new java.util.HashSet<>();
        for (int p = 0; p < partitionCount; p++) {
            all.add(new TopicPartition(topic, p));
        }
        Map<Integer, Long> out = new TreeMap<>();
        kafka.committed(all).forEach((tp, om) -> {
            if (om != null) {
                out.put(tp.partition(), om.offset());
            }
        });
        return out;
    }

    private void requireGroup() {
        ensureOpen();
        if (config.group() == null) {
            throw new IllegalStateException("this consumer has no group; create it with ConsumerConfig.group(name)");
        }
        if (topic == null) {
            throw new IllegalStateException("subscribe or assign before committing");
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("consumer is closed");
        }
    }

    /**
     * Leaves the group (its partitions go to the other members at once) and closes the connections. Does not
     * commit: call {@link #commitSync()} first if you want that.
     */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            try {
                kafka.close();
            } finally {
                client.forget(this);
            }
        }
    }

    /** The client's SASL settings under the config's, a key the application set itself winning. */
    private static Map<String, Object> withSecurity(Map<String, Object> kafka, TierlogClient client) {
        Map<String, Object> all = new java.util.HashMap<>(client.kafkaSecurity());
        all.putAll(kafka);
        return all;
    }
}
