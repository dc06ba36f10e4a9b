package io.tierlog.server;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tierlog.cold.ColdTier;
import io.tierlog.cold.housekeeping.Housekeeper;
import io.tierlog.cold.housekeeping.RetentionPolicy;
import io.tierlog.core.TierlogException;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.FsyncPolicy;
import io.tierlog.hot.LogConfig;
import io.tierlog.hot.LogManager;
import io.tierlog.hot.PartitionLog;
import io.tierlog.ingest.Acks;
import io.tierlog.ingest.AppendAck;
import io.tierlog.ingest.IngestConfig;
import io.tierlog.ingest.IngestPipeline;
import io.tierlog.query.MetricFilter;
import io.tierlog.query.PartitionRead;
import io.tierlog.query.PartitionState;
import io.tierlog.query.QueryService;
import io.tierlog.query.TopicRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The wiring of the tiers behind the HTTP API: the hot tier's {@link LogManager}, the Disruptor
 * {@link IngestPipeline}, the S3 {@link ColdTier} and the {@link QueryService}, plus the topic registry and
 * the periodic housekeeping (time-based roll, interval flush, local and total retention). One instance per
 * server; every operation the API needs goes through here.
 */
final class Broker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Broker.class);

    /** Stored batches for the binary read path, with where to continue. */
    record BatchRead(ByteBuffer batches, long nextOffset, long highWatermark) {
    }

    private final ServerConfig config;
    private final PrometheusMeterRegistry registry;
    private final TopicRegistry topics;
    private final LogManager logs;
    private final ColdTier cold;
    private final IngestPipeline ingest;
    private final QueryService query;
    private final ScheduledExecutorService housekeeping;
    private final BatchValidator validator;
    private final io.micrometer.core.instrument.Counter storageFaults;
    private final Housekeeper housekeeper;
    /** Topic deletion takes the write lock so that no produce or read runs against a half-deleted topic. */
    private final ReentrantReadWriteLock topicLock = new ReentrantReadWriteLock();

    Broker(ServerConfig config, TopicRegistry topics, ColdTier cold, PrometheusMeterRegistry registry) {
        this.config = config;
        this.registry = registry;
        this.topics = topics;
        this.cold = cold;
        this.housekeeper = new Housekeeper(cold, registry);
        this.logs = new LogManager(config.dataDir());
        this.validator = new BatchValidator(config.limits());
        this.storageFaults = io.micrometer.core.instrument.Counter.builder("tierlog.storage.faults")
                .description("Requests that met damaged or unreadable stored data (local or S3)").register(registry);
        List<Path> orphans = topics.load();
        SortedMap<String, SortedSet<Integer>> onDisk = logs.partitionsOnDisk();
        for (String t : onDisk.keySet()) {
            if (topics.get(t).isEmpty()) {
                LOG.warn("removing data of topic '{}' which has no topic.json (deleted or never completed)", t);
                logs.deleteTopic(t);
            }
        }
        if (!orphans.isEmpty()) {
            LOG.debug("orphan topic directories: {}", orphans);
        }
        cold.start(); // sweeps orphan uploads: before any partition is registered and starts uploading
        for (TopicRegistry.Topic t : topics.all()) {
            openPartitions(t);
        }
        IngestConfig ic = IngestConfig.defaults().withLimits(config.limits())
                .withRingSize(config.ingestRingSize())
                .withWaitStrategy(config.ingestWaitStrategy())
                .withPublishTimeout(Duration.ofMillis(config.ingestPublishTimeoutMs()))
                .withShutdownTimeout(Duration.ofMillis(Math.max(1, config.shutdownTimeoutMs())));
        if (config.ingestShards() > 0) {
            ic = ic.withShards(config.ingestShards());
        }
        this.ingest = new IngestPipeline(ic, tp -> logs.get(tp).orElseThrow(
                () -> new io.tierlog.query.UnknownPartitionException(tp)), registry);
        this.query = new QueryService(logs::get, cold, config.dataDir().resolve("consumer-offsets"), registry);
        ingest.addAppendListener(query::onAppend);
        this.housekeeping = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tierlog-housekeeping");
            t.setDaemon(true);
            return t;
        });
        long period = config.retentionCheckIntervalMs();
        housekeeping.scheduleWithFixedDelay(this::housekeepingSafely, period, period, TimeUnit.MILLISECONDS);
    }

    private void openPartitions(TopicRegistry.Topic t) {
        LogConfig lc = logConfig(t.config());
        for (int p = 0; p < t.partitions(); p++) {
            PartitionLog log = logs.open(new TopicPartition(t.name(), p), lc);
            registerLogGauges(t.name(), p, log);
            if (t.config().remoteStorage() && t.config().metrics()) {
                cold.registerMetrics(log); // closed segments go to S3 as series blocks (docs/format.md)
            } else if (t.config().remoteStorage()) {
                cold.register(log);
            }
        }
    }

    /** The hot tier's own state per partition on /metrics: how much is local and how far it has been written. */
    private void registerLogGauges(String topic, int partition, PartitionLog log) {
        io.micrometer.core.instrument.Tags tags = io.micrometer.core.instrument.Tags.of(
                "topic", topic, "partition", Integer.toString(partition));
        io.micrometer.core.instrument.Gauge.builder(LOG_METER_PREFIX + "size", log, PartitionLog::sizeInBytes)
                .baseUnit("bytes").description("bytes of the partition's local segments").tags(tags).register(registry);
        io.micrometer.core.instrument.Gauge.builder(LOG_METER_PREFIX + "high.watermark", log, PartitionLog::highWatermark)
                .description("next offset to be written").tags(tags).register(registry);
        io.micrometer.core.instrument.Gauge.builder(LOG_METER_PREFIX + "local.start.offset", log, PartitionLog::logStartOffset)
                .description("first offset still on local disk").tags(tags).register(registry);
        io.micrometer.core.instrument.Gauge.builder(LOG_METER_PREFIX + "closed.segments", log, l -> l.closedSegments().size())
                .description("closed local segments").tags(tags).register(registry);
    }

    private void removeLogGauges(String topic) {
        registry.getMeters().stream()
                .filter(m -> m.getId().getName().startsWith(LOG_METER_PREFIX) && topic.equals(m.getId().getTag("topic")))
                .toList()
                .forEach(registry::remove);
    }

    private static final String LOG_METER_PREFIX = "tierlog.log.";

    private LogConfig logConfig(TopicConfig tc) {
        FsyncPolicy fsync = config.fsyncIntervalMs() > 0 ? FsyncPolicy.interval(config.fsyncIntervalMs()) : FsyncPolicy.NEVER;
        return new LogConfig(tc.segmentBytes(), tc.segmentMs(), LogConfig.DEFAULTS.indexIntervalBytes(), fsync);
    }

    // ---------------------------------------------------------------- topics

    /** Reads that met damaged stored data (a 5xx / KAFKA_STORAGE_ERROR, never a client error), from both doors. */
    io.micrometer.core.instrument.Counter storageFaults() {
        return storageFaults;
    }

    /**
     * Counts a PromQL selector that asked for rollups: {@code answered} when they were exact, otherwise the engine
     * read samples instead (a series out of order in a block, or parts of a bucket overlapping in time).
     */
    void countRollupSelect(boolean answered) {
        io.micrometer.core.instrument.Counter.builder("tierlog.query.rollup.selects")
                .description("PromQL range selectors that asked for rollups, by whether rollups answered them")
                .tag("outcome", answered ? "rollups" : "samples").register(registry).increment();
    }

    /** The rollup resolutions a topic's series blocks are written with (none unless offloaded as series blocks). */
    long[] rollupResolutions(TopicRegistry.Topic t) {
        return cold != null && t.config().remoteStorage() && t.config().metrics() ? cold.rollupResolutions() : new long[0];
    }

    /** The ingest ring every door publishes into (tests stall its writer to prove backpressure). */
    IngestPipeline ingest() {
        return ingest;
    }

    /** The one checker of client batches, shared by the HTTP and Kafka doors. */
    BatchValidator validator() {
        return validator;
    }

    Optional<TopicRegistry.Topic> topic(String name) {
        return topics.get(name);
    }

    List<TopicRegistry.Topic> topics() {
        return topics.all();
    }

    TopicRegistry.Topic createTopic(String name, int partitions, TopicConfig tc) {
        topicLock.writeLock().lock();
        try {
            TopicRegistry.Topic t = topics.create(name, partitions, tc);
            openPartitions(t);
            LOG.info("created topic '{}' with {} partition(s), config {}", name, partitions, tc);
            return t;
        } finally {
            topicLock.writeLock().unlock();
        }
    }

    boolean deleteTopic(String name) {
        topicLock.writeLock().lock();
        try {
            if (!topics.remove(name)) {
                return false;
            }
            removeLogGauges(name);
            cold.deleteTopic(name);
            logs.deleteTopic(name);
            housekeeper.forgetTopic(name);
            // as Kafka does: committed offsets go with their topic, so one created again under the name starts clean
            try {
                query.consumerOffsets().deleteTopic(name);
            } catch (TierlogException e) {
                LOG.error("topic '{}' is deleted but its committed offsets could not be removed: {}", name, e.getMessage(), e);
            }
            LOG.info("deleted topic '{}' (local and remote data, committed offsets)", name);
            return true;
        } finally {
            topicLock.writeLock().unlock();
        }
    }

    PartitionState state(TopicPartition tp) {
        return query.state(tp);
    }

    /** The partition's high watermark, from the hot tier alone (no cold-tier state needed). */
    long highWatermark(TopicPartition tp) {
        return logs.get(tp).orElseThrow(() -> new io.tierlog.query.UnknownPartitionException(tp)).highWatermark();
    }

    /** The first offset held in either tier, without building the full {@link #state}. */
    long logStartOffset(TopicPartition tp) {
        return query.logStartOffset(tp);
    }

    /** The partition's segments in both tiers (the console's tier map and overview); a snapshot, see {@link TierView}. */
    TierView tierView(TopicPartition tp) {
        PartitionLog log = logs.get(tp).orElseThrow(() -> new io.tierlog.query.UnknownPartitionException(tp));
        return TierView.of(log, cold, query.logStartOffset(tp));
    }

    // ---------------------------------------------------------------- produce and read

    /**
     * Appends one encoded request per partition and waits for every acknowledgement. Refuses (503) while the
     * data directory's file system is nearly full, e.g. when an S3 outage keeps segments local: ingest then
     * stops rather than failing half-way through a write.
     */
    List<AppendAck> produce(TopicRegistry.Topic t, Map<Integer, BatchValidator.Valid> perPartition, Acks acks) {
        long free = freeDiskBytes();
        if (free < config.minFreeDiskBytes()) {
            throw ApiException.overloaded("only " + free + " bytes free on the data directory's file system (minimum "
                    + config.minFreeDiskBytes() + "); waiting for offload and retention to make room");
        }
        Map<Integer, BatchValidator.Valid> encoded = new java.util.TreeMap<>();
        perPartition.forEach((p, v) -> encoded.put(p, inTopicCodec(t, v)));
        List<CompletableFuture<AppendAck>> futures = new ArrayList<>(perPartition.size());
        topicLock.readLock().lock();
        try {
            if (topics.get(t.name()).isEmpty()) {
                throw ApiException.notFound("topic '" + t.name() + "' does not exist");
            }
            encoded.forEach((p, v) -> futures.add(ingest.append(new TopicPartition(t.name(), p), v.batches(),
                    v.minTimestamp(), acks)));
        } finally {
            topicLock.readLock().unlock();
        }
        List<AppendAck> out = new ArrayList<>(futures.size());
        for (CompletableFuture<AppendAck> f : futures) {
            out.add(await(f));
        }
        return out;
    }

    /**
     * The batches in the topic's {@code compression.type}: as sent under {@code producer}, otherwise re-encoded in the
     * named codec when the client used another (as Kafka does; {@link BatchRecompressor}).
     */
    private static BatchValidator.Valid inTopicCodec(TopicRegistry.Topic t, BatchValidator.Valid v) {
        TopicCompression wanted = t.config().compression();
        return wanted == TopicCompression.PRODUCER ? v : BatchRecompressor.toCodec(v, wanted.serverBuiltBatches);
    }

    /**
     * The Kafka door's produce: one partition's validated batch, acknowledged through the returned future (the
     * caller does not block). Same disk guard and topic lock as {@link #produce}.
     */
    CompletableFuture<AppendAck> produceAsync(TopicRegistry.Topic t, int partition, BatchValidator.Valid v, Acks acks) {
        long free = freeDiskBytes();
        if (free < config.minFreeDiskBytes()) {
            return CompletableFuture.failedFuture(ApiException.overloaded("only " + free + " bytes free on the data "
                    + "directory's file system (minimum " + config.minFreeDiskBytes() + ")"));
        }
        BatchValidator.Valid encoded;
        try {
            encoded = inTopicCodec(t, v);
        } catch (BatchValidator.RejectedBatchException e) {
            return CompletableFuture.failedFuture(e);
        }
        topicLock.readLock().lock();
        try {
            if (topics.get(t.name()).filter(x -> x.id().equals(t.id())).isEmpty()) {
                return CompletableFuture.failedFuture(new io.tierlog.query.UnknownPartitionException(
                        new TopicPartition(t.name(), partition)));
            }
            return ingest.append(new TopicPartition(t.name(), partition), encoded.batches(), encoded.minTimestamp(), acks);
        } finally {
            topicLock.readLock().unlock();
        }
    }

    /**
     * Local batches from {@code offset} as a pinned file region (zero copy), when the hot tier holds the offset; empty
     * below the local start and below records deleted on request (the query service then answers, or refuses).
     */
    Optional<io.tierlog.hot.FileSlice> readSlice(TopicPartition tp, long offset, int maxBytes) {
        PartitionLog log = logs.get(tp).orElseThrow(() -> new io.tierlog.query.UnknownPartitionException(tp));
        if (offset < log.logStartOffset() || offset < log.deletedBefore()) {
            return Optional.empty();
        }
        return log.readSlice(offset, maxBytes);
    }

    /** Stored batches from {@code offset} across both tiers (copies), without waiting. */
    List<ByteBuffer> readStoredBatches(TopicPartition tp, long offset, int maxBytes) {
        return query.readBatches(tp, offset, maxBytes);
    }

    /** Completes once {@code tp} has data at {@code offset} or after {@code maxWaitMs}. */
    CompletableFuture<Long> awaitData(TopicPartition tp, long offset, long maxWaitMs) {
        return query.awaitData(tp, offset, maxWaitMs);
    }

    /** The record at {@code offset} (or the first after it), when there is one below the high watermark. */
    Optional<io.tierlog.core.Record> recordAt(TopicPartition tp, long offset) {
        PartitionRead r = query.read(tp, offset, 1, 1 << 20);
        return r.records().isEmpty() ? Optional.empty() : Optional.of(r.records().getFirst());
    }

    Optional<io.tierlog.core.Record> maxTimestampRecord(TopicPartition tp) {
        return query.maxTimestampRecord(tp);
    }

    /**
     * Kafka's DeleteRecords: records of {@code tp} below {@code offset} ({@code -1}: the high watermark) become
     * unreadable in both tiers, durably, and their whole segments go at the next housekeeping. Refused for a topic
     * that is compacted and not deleted by retention (as Kafka does: its records are kept by key). Returns the log
     * start offset afterwards.
     */
    long deleteRecords(TopicPartition tp, long offset) {
        topicLock.readLock().lock();
        try {
            TopicRegistry.Topic t = topics.get(tp.topic())
                    .orElseThrow(() -> new io.tierlog.query.UnknownPartitionException(tp));
            if (!t.config().cleanup().deletes()) {
                throw new PolicyViolationException("records of " + tp + " cannot be deleted: the topic's cleanup policy is '"
                        + t.config().cleanupPolicy() + "' (records are kept by key)");
            }
            PartitionLog log = logs.get(tp).orElseThrow(() -> new io.tierlog.query.UnknownPartitionException(tp));
            log.deleteRecordsBefore(offset == -1 ? log.highWatermark() : offset);
            return query.logStartOffset(tp);
        } finally {
            topicLock.readLock().unlock();
        }
    }

    /** An operation the topic's configuration forbids (Kafka's POLICY_VIOLATION, HTTP 400). */
    static final class PolicyViolationException extends io.tierlog.core.InvalidInputException {
        PolicyViolationException(String message) {
            super(message);
        }
    }

    Path dataDir() {
        return config.dataDir();
    }

    Optional<TopicRegistry.Topic> topic(java.util.UUID id) {
        return topics.get(id);
    }

    private volatile long freeBytes = Long.MAX_VALUE;
    private volatile long freeCheckedAtNanos = System.nanoTime() - 2_000_000_000L;

    /** Usable space of the data directory, sampled at most every 500 ms. */
    private long freeDiskBytes() {
        long now = System.nanoTime();
        if (now - freeCheckedAtNanos > 500_000_000L) {
            try {
                freeBytes = java.nio.file.Files.getFileStore(config.dataDir()).getUsableSpace();
            } catch (java.io.IOException e) {
                LOG.warn("cannot read the free space of {}: {}", config.dataDir(), e.toString());
            }
            freeCheckedAtNanos = now;
        }
        return freeBytes;
    }

    PartitionRead read(TopicPartition tp, long offset, int maxRecords, int maxBytes, long maxWaitMs) {
        return await(query.readOrWait(tp, offset, maxRecords, maxBytes, maxWaitMs));
    }

    BatchRead readBatches(TopicPartition tp, long offset, int maxBytes, long maxWaitMs) {
        if (maxWaitMs > 0) {
            await(query.awaitData(tp, offset, maxWaitMs));
        }
        List<ByteBuffer> batches = query.readBatches(tp, offset, maxBytes);
        int total = 0;
        for (ByteBuffer b : batches) {
            total += b.remaining();
        }
        ByteBuffer all = ByteBuffer.allocate(total);
        long next = offset;
        for (ByteBuffer b : batches) {
            io.tierlog.core.RecordBatch rb = io.tierlog.core.RecordBatch.wrap(b.duplicate());
            next = Math.max(next, rb.nextOffset());
            all.put(b.duplicate());
        }
        all.flip();
        return new BatchRead(all, next, query.state(tp).highWatermark());
    }

    PartitionRead readTimeRange(TopicPartition tp, long from, long to, int maxRecords) {
        return query.readTimeRange(tp, from, to, maxRecords);
    }

    Iterator<TopicRecord> queryTimeRange(TopicRegistry.Topic t, long from, long to, MetricFilter filter) {
        return query.queryTimeRange(t.name(), t.partitions(), from, to, filter.matchesAll() ? null : filter);
    }

    /**
     * Every record of one partition of the topic with {@code from <= timestamp < to}, in offset order, handed to
     * {@code sink} (across both tiers, no pages).
     */
    void scanTimeRange(TopicRegistry.Topic t, int partition, long from, long to,
                       java.util.function.Consumer<io.tierlog.core.Record> sink) {
        query.scanTimeRange(new TopicPartition(t.name(), partition), from, to, null, sink);
    }

    /**
     * The samples of one partition's series that carry every label in {@code labels} and whose key passes
     * {@code keyFilter}, with {@code from <= timestamp < to}: from series blocks in S3 by their postings (only the
     * matching series' chunks are fetched) for the offsets no longer on local disk, and by scanning every record
     * elsewhere (segment copies in S3, the hot tier), where {@code records} receives the records in the window (the
     * caller filters them). Samples first, then scanned records, each in offset order.
     */
    void selectSeries(TopicRegistry.Topic t, int partition, java.util.Map<String, String> labels,
                      java.util.function.Predicate<byte[]> keyFilter, long from, long to,
                      java.util.function.Consumer<io.tierlog.cold.series.SeriesBlockReader.SeriesSamples> samples,
                      java.util.function.Consumer<io.tierlog.core.Record> records) {
        TopicPartition tp = new TopicPartition(t.name(), partition);
        if (cold == null || !t.config().remoteStorage() || !t.config().metrics()) {
            query.scanTimeRange(tp, from, to, null, records);
            return;
        }
        long localStart = logs.get(tp).map(io.tierlog.hot.PartitionLog::logStartOffset).orElse(0L); // below it, only S3 has them
        io.tierlog.cold.SeriesSelection selection = cold.selectSeries(tp, labels, keyFilter, from, to - 1, localStart);
        for (io.tierlog.cold.RemoteSegmentInfo copy : selection.segmentCopies()) {
            query.scanTimeRange(tp, from, to, null, records, copy.baseOffset(), copy.nextOffset());
        }
        selection.series().forEach(samples);
        query.scanTimeRange(tp, from, to, null, records, localStart, Long.MAX_VALUE);
    }

    /**
     * The rollups at {@code resolutionMs} (bucket ends in [{@code minEnd}, {@code maxEnd}]) of one partition's series
     * that carry every label in {@code labels} and whose key passes {@code keyFilter}, from the series blocks in S3
     * that hold them; every record elsewhere whose timestamp can fall in those buckets (segment copies and blocks
     * without rollups in S3, the hot tier) goes to {@code records} for the caller to aggregate itself.
     */
    void selectRollups(TopicRegistry.Topic t, int partition, java.util.Map<String, String> labels,
                       java.util.function.Predicate<byte[]> keyFilter, long resolutionMs, long minEnd, long maxEnd,
                       java.util.function.Consumer<io.tierlog.cold.series.SeriesBlockReader.SeriesRollups> rollups,
                       java.util.function.Consumer<io.tierlog.core.Record> records) {
        TopicPartition tp = new TopicPartition(t.name(), partition);
        long from = Math.max(0, minEnd - resolutionMs + 1);
        long to = maxEnd == Long.MAX_VALUE ? Long.MAX_VALUE : maxEnd + 1;
        if (cold == null || !t.config().remoteStorage() || !t.config().metrics()) {
            query.scanTimeRange(tp, from, to, null, records);
            return;
        }
        // offloaded segments still on local disk are read as rollups too: a month's query should not aggregate the
        // last day of samples (local retention) when S3 already holds its rollups
        long localStart = logs.get(tp).map(io.tierlog.hot.PartitionLog::logStartOffset).orElse(0L);
        long boundary = Math.max(localStart, cold.remoteEndOffset(tp));
        io.tierlog.cold.RollupSelection selection = cold.selectRollups(tp, labels, keyFilter, resolutionMs, minEnd, maxEnd,
                boundary);
        for (io.tierlog.cold.RemoteSegmentInfo segment : selection.unrolled()) {
            query.scanTimeRange(tp, from, to, null, records, segment.baseOffset(), segment.nextOffset());
        }
        selection.rollups().forEach(rollups);
        query.scanTimeRange(tp, from, to, null, records, boundary, Long.MAX_VALUE);
    }

    long offsetForTimestamp(TopicPartition tp, long timestamp) {
        return query.offsetForTimestamp(tp, timestamp);
    }

    void commitOffsets(String group, String topic, Map<Integer, Long> offsets) {
        query.consumerOffsets().commit(group, topic, offsets);
    }

    SortedMap<Integer, Long> fetchOffsets(String group, String topic) {
        return query.consumerOffsets().fetch(group, topic);
    }

    /** Commits offsets of several topics at once (Kafka's OffsetCommit), durably, all or none. */
    void commitOffsets(String group, Map<String, Map<Integer, Long>> offsetsByTopic) {
        query.consumerOffsets().commit(group, offsetsByTopic);
    }

    SortedMap<String, SortedMap<Integer, Long>> allOffsets(String group) {
        return query.consumerOffsets().fetchAll(group);
    }

    /** Kafka's OffsetCommit: offsets with their commit metadata, durably, all or none. */
    void commitOffsetsWithMetadata(String group, Map<String, Map<Integer, io.tierlog.query.CommittedOffset>> offsets) {
        query.consumerOffsets().commitWithMetadata(group, offsets);
    }

    SortedMap<String, SortedMap<Integer, io.tierlog.query.CommittedOffset>> allOffsetsWithMetadata(String group) {
        return query.consumerOffsets().fetchAllWithMetadata(group);
    }

    List<String> groupsWithOffsets() {
        return query.consumerOffsets().groups();
    }

    boolean deleteGroupOffsets(String group) {
        return query.consumerOffsets().delete(group);
    }

    /** Kafka's OffsetDelete: some partitions' committed offsets of a group, durably. */
    void deleteGroupOffsets(String group, Map<String, ? extends java.util.Collection<Integer>> partitions) {
        query.consumerOffsets().deletePartitions(group, partitions);
    }

    String scrapeMetrics() {
        return registry.scrape();
    }

    // ---------------------------------------------------------------- housekeeping

    private void housekeepingSafely() {
        try {
            housekeeping(System.currentTimeMillis());
        } catch (RuntimeException e) {
            LOG.warn("housekeeping failed (will retry): {}", e.toString(), e);
        }
    }

    /**
     * One pass of the {@link Housekeeper} over every partition: time-based roll, interval flush, local retention
     * (only of offloaded segments), total retention, compaction. A failing partition does not stop the others.
     */
    void housekeeping(long nowMs) {
        for (TopicRegistry.Topic t : topics.all()) {
            RetentionPolicy policy = t.config().retentionPolicy();
            for (int p = 0; p < t.partitions(); p++) {
                TopicPartition tp = new TopicPartition(t.name(), p);
                Optional<PartitionLog> log = logs.get(tp);
                if (log.isEmpty()) {
                    continue;
                }
                try {
                    housekeeper.run(log.get(), policy, nowMs);
                } catch (RuntimeException e) {
                    LOG.warn("housekeeping of {} failed: {}", tp, e.toString());
                }
            }
        }
    }

    // ---------------------------------------------------------------- lifecycle

    /** Answers every pending long poll at once (with what is there) and ends further waits: the first step of a stop. */
    void wakeReaders() {
        query.close();
    }

    /** Drains ingest, lets uploads finish within the shutdown bound, closes the logs. */
    @Override
    public void close() {
        housekeeping.shutdownNow();
        try {
            ingest.close();
        } catch (RuntimeException e) {
            LOG.warn("ingest did not close cleanly: {}", e.toString());
        }
        try {
            query.close();
        } catch (RuntimeException e) {
            LOG.warn("query service did not close cleanly: {}", e.toString());
        }
        try {
            cold.close();
        } catch (RuntimeException e) {
            LOG.warn("cold tier did not close cleanly: {}", e.toString());
        }
        logs.close();
    }

    private static <T> T await(CompletableFuture<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(c);
        }
    }
}
