package io.tierlog.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.record.DefaultRecordBatch;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.MutableRecordBatch;
import org.apache.kafka.common.record.Record;
import org.apache.kafka.common.utils.BufferSupplier;
import org.apache.kafka.common.utils.CloseableIterator;
import org.apache.kafka.common.utils.Utils;

import io.tierlog.kafka.BackendException.Reason;

/**
 * A {@link KafkaBackend} in memory for tests: each partition keeps its batches as bytes (and also appends them to a
 * temp file, so fetches can hand out {@link FetchChunk.FileRegion}s and exercise zero copy), assigns offsets by
 * rewriting the base offset, validates CRCs, checks idempotent sequences (the last 5 batches per producer), and
 * wakes long polls. Counters let tests see what reached it. Thread-safe.
 */
final class MemoryBackend implements KafkaBackend, AutoCloseable {

    /** Records whose value equals this topic config are refused with INVALID_RECORD (to test the error path). */
    static final String REJECT_VALUE_CONFIG = "tierlog.test.reject.value";

    private static final Map<String, String> DEFAULT_CONFIGS = defaults();
    private static final Pattern TOPIC_NAME = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
    private static final int PRODUCER_HISTORY = 5;

    private final Path dir;
    private final Map<String, Topic> topics = new ConcurrentSkipListMap<>();
    private final Map<Long, Short> producerEpochs = new ConcurrentHashMap<>();
    private final AtomicLong nextProducerId = new AtomicLong(1000);
    private final List<Waiter> waiters = new CopyOnWriteArrayList<>();
    /** group -> topic -> partition -> committed offset (the offsets store; guarded by itself). */
    private final Map<String, Map<String, SortedMap<Integer, Committed>>> committed = new TreeMap<>();

    /** What {@link #offsets} reports as the cold tier's end (Tierlog's remote end offset); 0 means nothing offloaded. */
    final AtomicLong remoteEndOffset = new AtomicLong();
    final AtomicInteger produceCalls = new AtomicInteger();
    /** When set, produce acknowledgements wait for it (tests of requests in flight); null = at once. */
    volatile CompletableFuture<Void> ackGate;
    final AtomicInteger corruptBatchesReceived = new AtomicInteger();
    final AtomicInteger pinnedRegions = new AtomicInteger();
    final AtomicInteger regionsHandedOut = new AtomicInteger();
    final AtomicInteger dataWakeups = new AtomicInteger();
    final AtomicInteger commitCalls = new AtomicInteger();
    final Map<Acks, AtomicInteger> acks = new EnumMap<>(Map.of(Acks.LEADER, new AtomicInteger(), Acks.DURABLE, new AtomicInteger()));

    private record Topic(TopicView view, Map<String, String> configs, Partition[] partitions) {
    }

    private record Stored(long baseOffset, long lastOffset, long maxTimestamp, ByteBuffer bytes, long filePosition) {
    }

    private record Sequenced(int firstSeq, int lastSeq, long baseOffset) {
    }

    private static final class ProducerState {
        final short epoch;
        final ArrayDeque<Sequenced> last = new ArrayDeque<>();

        ProducerState(short epoch) {
            this.epoch = epoch;
        }
    }

    private record Waiter(Collection<PartitionPosition> positions, CompletableFuture<Void> future) {
    }

    MemoryBackend() {
        try {
            this.dir = Files.createTempDirectory("tierlog-kafka-test");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, String> defaults() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("cleanup.policy", "delete");
        m.put("retention.ms", "604800000");
        m.put("segment.bytes", "1073741824");
        m.put("max.message.bytes", "1048588");
        m.put(REJECT_VALUE_CONFIG, "");
        return m;
    }

    private final class Partition {
        final String topic;
        final int index;
        final FileChannel file;
        final List<Stored> batches = new ArrayList<>();
        final Map<Long, ProducerState> producers = new HashMap<>();
        long fileSize;
        long highWatermark;
        /** Records below this were deleted (DeleteRecords): the log start offset. */
        long deletedBefore;

        Partition(String topic, int index) {
            this.topic = topic;
            this.index = index;
            try {
                this.file = FileChannel.open(dir.resolve(topic + "-" + index + "-" + UUID.randomUUID() + ".log"),
                        StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        synchronized long highWatermark() {
            return highWatermark;
        }

        synchronized ProduceResult append(MutableRecordBatch b, ByteBuffer bytes) {
            if (b.hasProducerId()) {
                ProducerState s = producers.get(b.producerId());
                if (s != null && b.producerEpoch() < s.epoch) {
                    throw new BackendException(Reason.INVALID_PRODUCER_EPOCH, "epoch " + b.producerEpoch() + " < " + s.epoch);
                }
                if (s == null || b.producerEpoch() > s.epoch) {
                    if (b.baseSequence() != 0) {
                        throw new BackendException(Reason.OUT_OF_ORDER_SEQUENCE_NUMBER,
                                "a new producer epoch must start at sequence 0, not " + b.baseSequence());
                    }
                    s = new ProducerState(b.producerEpoch());
                    producers.put(b.producerId(), s);
                } else {
                    for (Sequenced q : s.last) {
                        if (q.firstSeq() == b.baseSequence() && q.lastSeq() == b.lastSequence()) {
                            return new ProduceResult(q.baseOffset(), -1, 0);
                        }
                    }
                    int expected = DefaultRecordBatch.incrementSequence(s.last.getLast().lastSeq(), 1);
                    if (b.baseSequence() != expected) {
                        throw new BackendException(Reason.OUT_OF_ORDER_SEQUENCE_NUMBER,
                                "expected sequence " + expected + ", got " + b.baseSequence());
                    }
                }
            }
            long base = highWatermark;
            b.setLastOffset(base + (b.lastOffset() - b.baseOffset()));
            b.setPartitionLeaderEpoch(0);
            ByteBuffer copy = ByteBuffer.allocate(bytes.remaining()).put(bytes.duplicate()).flip();
            try {
                ByteBuffer w = copy.duplicate();
                while (w.hasRemaining()) {
                    file.write(w, fileSize + (copy.remaining() - w.remaining()));
                }
            } catch (IOException e) {
                throw new BackendException(Reason.STORAGE_ERROR, "test log write failed", e);
            }
            batches.add(new Stored(base, b.lastOffset(), b.maxTimestamp(), copy.asReadOnlyBuffer(), fileSize));
            fileSize += copy.remaining();
            highWatermark = b.lastOffset() + 1;
            if (b.hasProducerId()) {
                ProducerState s = producers.get(b.producerId());
                s.last.addLast(new Sequenced(b.baseSequence(), b.lastSequence(), base));
                if (s.last.size() > PRODUCER_HISTORY) {
                    s.last.removeFirst();
                }
            }
            return new ProduceResult(base, -1, 0);
        }

        synchronized long deleteRecords(long before) {
            long offset = before == -1 ? highWatermark : before;
            if (offset > highWatermark) {
                throw BackendException.offsetOutOfRange("offset " + offset + " is past the end " + highWatermark,
                        deletedBefore, highWatermark);
            }
            deletedBefore = Math.max(deletedBefore, offset);
            return deletedBefore;
        }

        synchronized long logStartOffset() {
            return deletedBefore;
        }

        synchronized PartitionFetch fetch(long offset, int maxBytes) {
            if (offset < deletedBefore || offset > highWatermark) {
                throw BackendException.offsetOutOfRange("offset " + offset + " outside [" + deletedBefore + ", "
                        + highWatermark + "]", deletedBefore, highWatermark);
            }
            int first = 0;
            while (first < batches.size() && batches.get(first).lastOffset() < offset) {
                first++;
            }
            List<Stored> picked = new ArrayList<>();
            int total = 0;
            for (int i = first; i < batches.size(); i++) {
                int size = batches.get(i).bytes().remaining();
                if (!picked.isEmpty() && total + size > maxBytes) {
                    break;
                }
                picked.add(batches.get(i));
                total += size;
            }
            List<FetchChunk> chunks = new ArrayList<>();
            if (picked.size() == 1 && first % 2 == 1) {
                chunks.add(new FetchChunk.Heap(picked.getFirst().bytes().duplicate()));
            } else if (!picked.isEmpty()) {
                // all but the last batch as one file region (sendfile), the last from memory: both kinds in one answer
                int fileBatches = Math.max(1, picked.size() - 1);
                Stored start = picked.getFirst();
                Stored end = picked.get(fileBatches - 1);
                int regionSize = (int) (end.filePosition() + end.bytes().remaining() - start.filePosition());
                chunks.add(region(start.filePosition(), regionSize));
                if (picked.size() > 1) {
                    chunks.add(new FetchChunk.Heap(picked.getLast().bytes().duplicate()));
                }
            }
            return new PartitionFetch(highWatermark, deletedBefore, chunks);
        }

        private FetchChunk region(long position, int size) {
            pinnedRegions.incrementAndGet();
            regionsHandedOut.incrementAndGet();
            return new FetchChunk.FileRegion(file, position, size, pinnedRegions::decrementAndGet);
        }

        synchronized List<Stored> snapshot() {
            return List.copyOf(batches);
        }

        void close() {
            try {
                file.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    // ---- topics

    TopicView createTopic(String name, int partitions) {
        return createTopic(name, partitions, Map.of(), false);
    }

    @Override
    public String clusterId() {
        return "tierlog-test-cluster";
    }

    @Override
    public List<TopicView> topics() {
        return topics.values().stream().map(Topic::view).toList();
    }

    @Override
    public Optional<TopicView> topic(String name) {
        return Optional.ofNullable(topics.get(name)).map(Topic::view);
    }

    @Override
    public Optional<TopicView> topic(UUID id) {
        return topics.values().stream().map(Topic::view).filter(v -> v.id().equals(id)).findFirst();
    }

    @Override
    public synchronized TopicView createTopic(String name, int partitions, Map<String, String> configs, boolean validateOnly) {
        if (!TOPIC_NAME.matcher(name).matches() || name.equals(".") || name.equals("..")) {
            throw new BackendException(Reason.INVALID_TOPIC, "invalid topic name '" + name + "'");
        }
        int count = partitions == -1 ? 1 : partitions;
        if (count <= 0) {
            throw new BackendException(Reason.INVALID_PARTITIONS, "partitions must be positive: " + partitions);
        }
        for (String key : configs.keySet()) {
            if (!DEFAULT_CONFIGS.containsKey(key)) {
                throw new BackendException(Reason.INVALID_CONFIG, "unknown topic config " + key);
            }
        }
        if (topics.containsKey(name)) {
            throw new BackendException(Reason.TOPIC_ALREADY_EXISTS, "topic '" + name + "' already exists");
        }
        TopicView view = new TopicView(name, UUID.randomUUID(), count, false);
        if (!validateOnly) {
            Partition[] ps = new Partition[count];
            for (int i = 0; i < count; i++) {
                ps[i] = new Partition(name, i);
            }
            topics.put(name, new Topic(view, Map.copyOf(configs), ps));
        }
        return view;
    }

    @Override
    public void deleteTopic(String name) {
        Topic t = topics.remove(name);
        if (t == null) {
            throw new BackendException(Reason.UNKNOWN_TOPIC_OR_PARTITION, "unknown topic " + name);
        }
        synchronized (committed) {
            // as Kafka does: a deleted topic's committed offsets go with it
            committed.values().forEach(g -> g.remove(name));
            committed.values().removeIf(Map::isEmpty);
        }
        for (Partition p : t.partitions()) {
            p.close();
        }
    }

    @Override
    public List<ConfigEntry> describeConfigs(String topic) {
        Topic t = topics.get(topic);
        if (t == null) {
            throw new BackendException(Reason.UNKNOWN_TOPIC_OR_PARTITION, "unknown topic " + topic);
        }
        List<ConfigEntry> out = new ArrayList<>();
        DEFAULT_CONFIGS.forEach((k, v) -> out.add(new ConfigEntry(k, t.configs().getOrDefault(k, v),
                !t.configs().containsKey(k), false, false)));
        return out;
    }

    private Partition partition(String topic, int partition) {
        Topic t = topics.get(topic);
        if (t == null || partition < 0 || partition >= t.partitions().length) {
            throw new BackendException(Reason.UNKNOWN_TOPIC_OR_PARTITION, "unknown partition " + topic + "-" + partition);
        }
        return t.partitions()[partition];
    }

    // ---- data

    @Override
    public CompletableFuture<ProduceResult> produce(String topic, int partition, ByteBuffer batch, Acks acks) {
        produceCalls.incrementAndGet();
        this.acks.get(acks).incrementAndGet();
        Partition p = partition(topic, partition);
        try {
            Iterator<MutableRecordBatch> it = MemoryRecords.readableRecords(batch).batches().iterator();
            if (!it.hasNext()) {
                throw new BackendException(Reason.CORRUPT_MESSAGE, "no whole batch");
            }
            MutableRecordBatch b = it.next();
            try {
                b.ensureValid();
            } catch (CorruptRecordException e) {
                corruptBatchesReceived.incrementAndGet();
                throw new BackendException(Reason.CORRUPT_MESSAGE, e.getMessage(), e);
            }
            String reject = topics.get(topic).configs().get(REJECT_VALUE_CONFIG);
            if (reject != null) {
                checkValues(b, reject);
            }
            ProduceResult r = p.append(b, batch);
            wake(topic, partition, p.highWatermark());
            CompletableFuture<Void> gate = ackGate;
            return gate == null ? CompletableFuture.completedFuture(r) : gate.thenApply(v -> r);
        } catch (BackendException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private static void checkValues(MutableRecordBatch b, String reject) {
        List<BackendException.RecordError> errors = new ArrayList<>();
        try (CloseableIterator<Record> records = b.streamingIterator(BufferSupplier.NO_CACHING)) {
            int i = 0;
            while (records.hasNext()) {
                Record r = records.next();
                if (r.hasValue() && reject.equals(Utils.utf8(r.value()))) {
                    errors.add(new BackendException.RecordError(i, "value '" + reject + "' is not allowed here"));
                }
                i++;
            }
        }
        if (!errors.isEmpty()) {
            throw new BackendException(Reason.INVALID_RECORD, "the topic refuses the value '" + reject + "'", errors, null);
        }
    }

    @Override
    public PartitionFetch fetch(String topic, int partition, long offset, int maxBytes) {
        return partition(topic, partition).fetch(offset, maxBytes);
    }

    @Override
    public CompletableFuture<Void> awaitData(Collection<PartitionPosition> positions, long maxWaitMs) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        Waiter w = new Waiter(List.copyOf(positions), f);
        waiters.add(w);
        f.whenComplete((v, e) -> waiters.remove(w));
        if (ready(w)) {
            f.complete(null);
        }
        return f.completeOnTimeout(null, maxWaitMs, TimeUnit.MILLISECONDS);
    }

    private boolean ready(Waiter w) {
        for (PartitionPosition pos : w.positions()) {
            Topic t = topics.get(pos.topic());
            if (t != null && pos.partition() < t.partitions().length
                    && t.partitions()[pos.partition()].highWatermark() > pos.offset()) {
                return true;
            }
        }
        return false;
    }

    private void wake(String topic, int partition, long highWatermark) {
        for (Waiter w : waiters) {
            for (PartitionPosition pos : w.positions()) {
                if (pos.topic().equals(topic) && pos.partition() == partition && highWatermark > pos.offset()) {
                    if (w.future().complete(null)) {
                        dataWakeups.incrementAndGet();
                    }
                    break;
                }
            }
        }
    }

    @Override
    public PartitionOffsets offsets(String topic, int partition) {
        Partition p = partition(topic, partition);
        return new PartitionOffsets(p.logStartOffset(), p.logStartOffset(), p.highWatermark(), remoteEndOffset.get());
    }

    @Override
    public long deleteRecords(String topic, int partition, long beforeOffset) {
        return partition(topic, partition).deleteRecords(beforeOffset);
    }

    @Override
    public Optional<OffsetAndTimestamp> offsetForTimestamp(String topic, int partition, long timestamp) {
        for (Stored s : partition(topic, partition).snapshot()) {
            if (s.maxTimestamp() < timestamp) {
                continue;
            }
            for (Record r : records(s)) {
                if (r.timestamp() >= timestamp) {
                    return Optional.of(new OffsetAndTimestamp(r.offset(), r.timestamp()));
                }
            }
        }
        return Optional.empty();
    }

    @Override
    public Optional<OffsetAndTimestamp> maxTimestamp(String topic, int partition) {
        OffsetAndTimestamp best = null;
        for (Stored s : partition(topic, partition).snapshot()) {
            for (Record r : records(s)) {
                if (best == null || r.timestamp() > best.timestamp()) {
                    best = new OffsetAndTimestamp(r.offset(), r.timestamp());
                }
            }
        }
        return Optional.ofNullable(best);
    }

    private static List<Record> records(Stored s) {
        List<Record> out = new ArrayList<>();
        for (MutableRecordBatch b : MemoryRecords.readableRecords(s.bytes().duplicate()).batches()) {
            try (CloseableIterator<Record> it = b.streamingIterator(BufferSupplier.NO_CACHING)) {
                it.forEachRemaining(out::add);
            }
        }
        return out;
    }

    @Override
    public ProducerIdAndEpoch initProducerId(long producerId, short epoch) {
        if (producerId == -1) {
            long id = nextProducerId.getAndIncrement();
            producerEpochs.put(id, (short) 0);
            return new ProducerIdAndEpoch(id, (short) 0);
        }
        Short current = producerEpochs.get(producerId);
        if (current == null || current != epoch) {
            throw new BackendException(Reason.INVALID_PRODUCER_EPOCH, "producer " + producerId + " epoch " + epoch);
        }
        short next = (short) (epoch + 1);
        producerEpochs.put(producerId, next);
        return new ProducerIdAndEpoch(producerId, next);
    }

    @Override
    public void commitOffsets(String group, Map<String, Map<Integer, Committed>> offsets) {
        checkGroup(group);
        commitCalls.incrementAndGet();
        synchronized (committed) {
            Map<String, SortedMap<Integer, Committed>> g = committed.computeIfAbsent(group, x -> new TreeMap<>());
            offsets.forEach((topic, m) -> g.computeIfAbsent(topic, x -> new TreeMap<>()).putAll(m));
        }
    }

    @Override
    public Map<String, SortedMap<Integer, Committed>> committedOffsets(String group) {
        checkGroup(group);
        synchronized (committed) {
            Map<String, SortedMap<Integer, Committed>> out = new TreeMap<>();
            committed.getOrDefault(group, Map.of()).forEach((t, m) -> out.put(t, new TreeMap<>(m)));
            return out;
        }
    }

    /** Test shorthand: commits offsets without metadata. */
    public void commitPlainOffsets(String group, Map<String, Map<Integer, Long>> offsets) {
        Map<String, Map<Integer, Committed>> c = new TreeMap<>();
        offsets.forEach((t, m) -> {
            Map<Integer, Committed> x = new TreeMap<>();
            m.forEach((p, o) -> x.put(p, new Committed(o, "")));
            c.put(t, x);
        });
        commitOffsets(group, c);
    }

    /** Test shorthand: a group's committed offsets without their metadata. */
    public Map<String, SortedMap<Integer, Long>> committedPlainOffsets(String group) {
        Map<String, SortedMap<Integer, Long>> out = new TreeMap<>();
        committedOffsets(group).forEach((t, m) -> {
            SortedMap<Integer, Long> x = new TreeMap<>();
            m.forEach((p, c) -> x.put(p, c.offset()));
            out.put(t, x);
        });
        return out;
    }

    @Override
    public List<String> groupsWithCommittedOffsets() {
        synchronized (committed) {
            return List.copyOf(committed.keySet());
        }
    }

    @Override
    public boolean deleteCommittedOffsets(String group) {
        checkGroup(group);
        synchronized (committed) {
            return committed.remove(group) != null;
        }
    }

    @Override
    public void deleteCommittedOffsets(String group, Map<String, ? extends Collection<Integer>> partitions) {
        checkGroup(group);
        synchronized (committed) {
            Map<String, SortedMap<Integer, Committed>> g = committed.get(group);
            if (g == null) {
                return;
            }
            partitions.forEach((topic, ps) -> {
                SortedMap<Integer, Committed> m = g.get(topic);
                if (m != null) {
                    m.keySet().removeAll(ps);
                    if (m.isEmpty()) {
                        g.remove(topic);
                    }
                }
            });
            if (g.isEmpty()) {
                committed.remove(group);
            }
        }
    }

    private static void checkGroup(String group) {
        try {
            io.tierlog.core.GroupNames.check(group);
        } catch (io.tierlog.core.InvalidInputException e) {
            throw new BackendException(Reason.INVALID_GROUP_ID, e.getMessage());
        }
    }

    /** Long polls parked in {@link #awaitData} right now. */
    int waitingFetches() {
        return waiters.size();
    }

    /** Every batch of a partition, as stored (base offsets assigned). */
    List<ByteBuffer> storedBatches(String topic, int partition) {
        return partition(topic, partition).snapshot().stream().map(s -> s.bytes().duplicate()).toList();
    }

    Set<String> topicNames() {
        return topics.keySet();
    }

    @Override
    public void close() throws IOException {
        for (Topic t : topics.values()) {
            for (Partition p : t.partitions()) {
                p.close();
            }
        }
        topics.clear();
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(dir);
    }
}
