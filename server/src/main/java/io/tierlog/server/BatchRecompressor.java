package io.tierlog.server;

import io.tierlog.core.BatchBuilder;
import io.tierlog.core.Compression;
import io.tierlog.core.CorruptBatchException;
import io.tierlog.core.Record;
import io.tierlog.core.RecordBatch;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Re-encodes clients' batches in a topic's explicit {@code compression.type}, as Kafka does when the producer's codec
 * is not the topic's. Only the record section's codec changes: record timestamps, keys, values, headers, offset
 * deltas and the idempotent producer's id, epoch and base sequence are kept, so de-duplication and reads see the same
 * records. Batches already in the codec are passed through untouched (no copy, no re-encoding).
 */
final class BatchRecompressor {
    private BatchRecompressor() {
    }

    /** {@code v} with every batch in {@code codec}; {@code v} itself when they all are already. */
    static BatchValidator.Valid toCodec(BatchValidator.Valid v, Compression codec) {
        boolean all = true;
        for (RecordBatch b : RecordBatch.iterate(v.batches())) {
            all &= b.compression() == codec;
        }
        if (all) {
            return v;
        }
        List<ByteBuffer> out = new ArrayList<>();
        int size = 0;
        int n = 0;
        for (RecordBatch b : RecordBatch.iterate(v.batches())) {
            ByteBuffer encoded = b.compression() == codec ? b.buffer() : reencode(b, codec, n);
            out.add(encoded);
            size += encoded.remaining();
            n++;
        }
        ByteBuffer joined = ByteBuffer.allocate(size);
        out.forEach(x -> joined.put(x.duplicate()));
        return new BatchValidator.Valid(joined.flip(), v.batchCount(), v.recordCount(), v.minTimestamp());
    }

    private static ByteBuffer reencode(RecordBatch b, Compression codec, int index) {
        List<Record> records;
        try {
            records = b.records();
        } catch (CorruptBatchException e) {
            throw new BatchValidator.RejectedBatchException(BatchValidator.Problem.CORRUPT, "batch " + index + ": "
                    + e.getMessage(), List.of(), e);
        }
        BatchBuilder builder = new BatchBuilder(codec);
        for (int i = 0; i < records.size(); i++) {
            Record r = records.get(i);
            if (r.offset() != b.baseOffset() + i) {
                // BatchBuilder numbers records densely; a client batch with gaps cannot be re-encoded faithfully
                throw new BatchValidator.RejectedBatchException(BatchValidator.Problem.UNSUPPORTED_COMPRESSION, "batch "
                        + index + " has non-contiguous offset deltas and is compressed with " + b.compression()
                        + ", not the topic's " + codec + "; send it in the topic's codec", List.of(), null);
            }
            builder.add(r.timestamp(), r.key(), r.value(), r.headers());
        }
        if (b.producerId() != RecordBatch.NO_PRODUCER_ID) {
            builder.producer(b.producerId(), b.producerEpoch(), b.baseSequence());
        }
        return builder.build(b.baseOffset()).buffer();
    }
}
