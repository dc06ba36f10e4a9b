package io.tierlog.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/** The pipeline's own meters, created once so that the hot path only increments them. */
final class IngestMetrics {
    private final MeterRegistry registry;
    private final List<Meter> meters = new ArrayList<>();

    final DistributionSummary writeRecords;
    final DistributionSummary writeEntries;
    final DistributionSummary batchEntries;
    final Timer appendLatency;
    final Timer flushLatency;
    final Timer leaderAckLatency;
    final Timer durableAckLatency;
    final Counter leaderAcks;
    final Counter durableAcks;
    final Counter failures;
    final Counter rejectsOverloaded;
    final Counter rejectsClosed;
    final Counter duplicates;
    final Counter sequenceRejects;

    IngestMetrics(MeterRegistry registry) {
        this.registry = registry;
        writeRecords = add(DistributionSummary.builder("tierlog.ingest.write.records")
                .description("records per stored write (after coalescing)").register(registry));
        writeEntries = add(DistributionSummary.builder("tierlog.ingest.write.entries")
                .description("ring entries coalesced into one stored write").register(registry));
        batchEntries = add(DistributionSummary.builder("tierlog.ingest.batch.entries")
                .description("ring entries handled per writer batch (endOfBatch)").register(registry));
        appendLatency = add(Timer.builder("tierlog.ingest.append.latency")
                .description("time of one PartitionLog.append").register(registry));
        flushLatency = add(Timer.builder("tierlog.ingest.flush.latency")
                .description("time of one fsync issued by the writer").register(registry));
        leaderAckLatency = add(Timer.builder("tierlog.ingest.ack.latency").tag("acks", "leader")
                .description("publish to acknowledgement").register(registry));
        durableAckLatency = add(Timer.builder("tierlog.ingest.ack.latency").tag("acks", "durable")
                .description("publish to acknowledgement").register(registry));
        leaderAcks = add(Counter.builder("tierlog.ingest.acks").tag("kind", "leader").register(registry));
        durableAcks = add(Counter.builder("tierlog.ingest.acks").tag("kind", "durable").register(registry));
        failures = add(Counter.builder("tierlog.ingest.failures")
                .description("publishes failed by an I/O error or shutdown").register(registry));
        rejectsOverloaded = add(Counter.builder("tierlog.ingest.rejects").tag("reason", "overloaded").register(registry));
        rejectsClosed = add(Counter.builder("tierlog.ingest.rejects").tag("reason", "closed").register(registry));
        duplicates = add(Counter.builder("tierlog.ingest.producer.duplicates")
                .description("Retried batches of idempotent producers answered with their original offsets, not stored again")
                .register(registry));
        sequenceRejects = add(Counter.builder("tierlog.ingest.rejects").tag("reason", "producer_sequence")
                .description("Batches refused for a sequence gap or a fenced producer epoch").register(registry));
    }

    void ringRemaining(int shard, Supplier<Number> remaining) {
        add(Gauge.builder("tierlog.ingest.ring.remaining", remaining).tag("shard", Integer.toString(shard))
                .description("free slots of the shard's ring").strongReference(true).register(registry));
    }

    private <M extends Meter> M add(M meter) {
        meters.add(meter);
        return meter;
    }

    /** Removes this pipeline's meters so that a closed pipeline does not stay reachable from the registry. */
    void remove() {
        for (Meter m : meters) {
            registry.remove(m);
        }
        meters.clear();
    }
}
