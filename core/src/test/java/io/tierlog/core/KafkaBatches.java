package io.tierlog.core;

import org.apache.kafka.common.compress.Compression.Builder;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.MemoryRecordsBuilder;
import org.apache.kafka.common.record.MutableRecordBatch;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.utils.BufferSupplier;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** Kafka's own batch writer and reader (kafka-clients), to check that ours are the same format. Tests only. */
final class KafkaBatches {
    private KafkaBatches() {
    }

    static org.apache.kafka.common.compress.Compression kafkaCodec(Compression c) {
        Builder<?> b = org.apache.kafka.common.compress.Compression.of(CompressionType.forId(c.id()));
        return b.build();
    }

    /** One batch written by kafka-clients' MemoryRecordsBuilder, with the partition leader epoch Tierlog stores. */
    static ByteBuffer encode(Compression c, long baseOffset, List<Record> records) {
        MemoryRecordsBuilder builder = MemoryRecords.builder(ByteBuffer.allocate(1024), org.apache.kafka.common.record.RecordBatch.CURRENT_MAGIC_VALUE,
                kafkaCodec(c), TimestampType.CREATE_TIME, baseOffset, org.apache.kafka.common.record.RecordBatch.NO_TIMESTAMP,
                RecordBatch.NO_PRODUCER_ID, RecordBatch.NO_PRODUCER_EPOCH, RecordBatch.NO_SEQUENCE, false,
                RecordBatch.LEADER_EPOCH);
        for (Record r : records) {
            org.apache.kafka.common.header.Header[] headers = r.headers().stream()
                    .map(h -> new RecordHeader(h.key(), h.value())).toArray(org.apache.kafka.common.header.Header[]::new);
            builder.appendWithOffset(r.offset(), r.timestamp(), r.key(), r.value(), headers);
        }
        return builder.build().buffer();
    }

    /** Decodes with kafka-clients (checking the CRC), as a consumer would. */
    static List<Record> decode(ByteBuffer batches) {
        List<Record> out = new ArrayList<>();
        for (MutableRecordBatch b : MemoryRecords.readableRecords(batches.duplicate()).batches()) {
            b.ensureValid();
            try (var it = b.streamingIterator(BufferSupplier.NO_CACHING)) {
                while (it.hasNext()) {
                    org.apache.kafka.common.record.Record r = it.next();
                    List<Header> headers = new ArrayList<>();
                    for (org.apache.kafka.common.header.Header h : r.headers()) {
                        headers.add(new Header(h.key(), h.value()));
                    }
                    out.add(new Record(r.offset(), r.timestamp(), bytes(r.key()), bytes(r.value()), headers));
                }
            }
        }
        return out;
    }

    private static byte[] bytes(ByteBuffer b) {
        if (b == null) {
            return null;
        }
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return a;
    }
}
