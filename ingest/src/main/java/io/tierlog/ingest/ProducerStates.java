package io.tierlog.ingest;

import io.tierlog.core.RecordBatch;
import io.tierlog.core.TopicPartition;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * The idempotent-producer state of one partition, kept by its single writer (Kafka's ProducerStateManager, cut to
 * what one broker without transactions needs): per producer id the current epoch and the last
 * {@value #BATCHES_KEPT} batches' sequence ranges with the offsets they got. A retried batch that matches one of
 * them is a duplicate and gets its original offsets; a batch whose first sequence does not follow the last one is
 * refused; an older epoch is fenced. It is rebuilt after a restart from the batch headers at the tail of the log
 * (see {@link PartitionState}), so it survives crashes as far as the log does. A producer the table does not know
 * (new, or idle beyond the scanned tail) is accepted at any sequence, as Kafka accepts an expired producer.
 * Writer thread only.
 */
final class ProducerStates {
    /** As many batches as a Kafka producer may have in flight per partition (max.in.flight.requests.per.connection). */
    static final int BATCHES_KEPT = 5;

    private final TopicPartition tp;
    private final Map<Long, Producer> producers = new HashMap<>();

    ProducerStates(TopicPartition tp) {
        this.tp = tp;
    }

    /** The sequence range and offsets of one stored batch; {@code baseOffset} is set once the append assigned it. */
    static final class BatchMeta {
        final int firstSeq;
        final int lastSeq;
        final int count;
        long baseOffset = -1;

        BatchMeta(int firstSeq, int lastSeq, int count) {
            this.firstSeq = firstSeq;
            this.lastSeq = lastSeq;
            this.count = count;
        }
    }

    private static final class Producer {
        short epoch;
        final ArrayDeque<BatchMeta> batches = new ArrayDeque<>(BATCHES_KEPT);

        Producer(short epoch) {
            this.epoch = epoch;
        }

        int lastSeq() {
            return batches.isEmpty() ? RecordBatch.NO_SEQUENCE : batches.peekLast().lastSeq;
        }
    }

    int size() {
        return producers.size();
    }

    /**
     * Checks an incoming batch of producer {@code producerId} and, when it is new and in sequence, records it as
     * appended (its offsets are filled in by the caller through the returned meta). Returns the stored batch's
     * meta for a duplicate (its {@code baseOffset} is the original one, or -1 while that append is still in flight
     * in the same run: then the caller takes it from the run).
     *
     * @throws ProducerSequenceException for a fenced epoch or a sequence gap
     */
    Decision check(long producerId, short epoch, int firstSeq, int lastSeq, int count) {
        Producer p = producers.get(producerId);
        if (p == null) {
            p = new Producer(epoch);
            producers.put(producerId, p);
        } else if (epoch < p.epoch) {
            throw new ProducerSequenceException(ProducerSequenceException.Kind.INVALID_PRODUCER_EPOCH,
                    "producer " + producerId + " has epoch " + epoch + " but " + p.epoch + " is current on " + tp
                            + ": a newer instance of this producer fenced it");
        } else if (epoch > p.epoch) {
            if (firstSeq != 0) {
                throw new ProducerSequenceException(ProducerSequenceException.Kind.OUT_OF_ORDER_SEQUENCE,
                        "producer " + producerId + " starts epoch " + epoch + " on " + tp + " at sequence " + firstSeq
                                + " instead of 0");
            }
            p.epoch = epoch;
            p.batches.clear();
        } else {
            for (BatchMeta b : p.batches) {
                if (b.firstSeq == firstSeq && b.lastSeq == lastSeq) {
                    return new Decision(b, true);
                }
            }
            int last = p.lastSeq();
            if (last != RecordBatch.NO_SEQUENCE && firstSeq != nextSequence(last)) {
                throw new ProducerSequenceException(ProducerSequenceException.Kind.OUT_OF_ORDER_SEQUENCE,
                        "producer " + producerId + " (epoch " + epoch + ") sent sequence " + firstSeq + " to " + tp
                                + " where " + nextSequence(last) + " was expected");
            }
        }
        BatchMeta meta = new BatchMeta(firstSeq, lastSeq, count);
        if (p.batches.size() == BATCHES_KEPT) {
            p.batches.pollFirst();
        }
        p.batches.addLast(meta);
        return new Decision(meta, false);
    }

    /** The outcome of {@link #check}: the batch to append, or the stored batch it duplicates. */
    record Decision(BatchMeta meta, boolean duplicate) {
    }

    /** Forgets a recorded batch whose append failed, so that its retry is not taken for a duplicate. */
    void forget(long producerId, BatchMeta meta) {
        Producer p = producers.get(producerId);
        if (p != null) {
            p.batches.removeLastOccurrence(meta);
        }
    }

    /** Replays one stored batch header (rebuilding the table from the log after a restart). */
    void replay(long producerId, short epoch, int firstSeq, int lastSeq, int count, long baseOffset) {
        Producer p = producers.computeIfAbsent(producerId, id -> new Producer(epoch));
        if (epoch > p.epoch) {
            p.epoch = epoch;
            p.batches.clear();
        } else if (epoch < p.epoch) {
            return;
        }
        BatchMeta meta = new BatchMeta(firstSeq, lastSeq, count);
        meta.baseOffset = baseOffset;
        if (p.batches.size() == BATCHES_KEPT) {
            p.batches.pollFirst();
        }
        p.batches.addLast(meta);
    }

    static int nextSequence(int seq) {
        return seq == Integer.MAX_VALUE ? 0 : seq + 1;
    }
}
