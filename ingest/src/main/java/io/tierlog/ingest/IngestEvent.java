package io.tierlog.ingest;

import io.tierlog.core.TopicPartition;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * One pre-allocated ring slot: a publish (partition, batches, completion), a flush tick, or a request to
 * forget a topic's partitions. Mutable, reused.
 */
final class IngestEvent {
    boolean tick;
    TopicPartition topicPartition;
    ByteBuffer data;
    int records;
    /** Smallest record timestamp of {@code data} (the log keeps segment time bounds from it). */
    long minTimestamp;
    /** The idempotent producer of the (single) batch, or {@code RecordBatch.NO_PRODUCER_ID}. */
    long producerId;
    short producerEpoch;
    int firstSequence;
    int lastSequence;
    Acks acks;
    CompletableFuture<AppendAck> future;
    long publishNanos;
    String forgetTopic;
    CompletableFuture<Void> control;

    void clear() {
        tick = false;
        topicPartition = null;
        data = null;
        producerId = -1;
        future = null;
        acks = null;
        forgetTopic = null;
        control = null;
    }
}
