package io.tierlog.cold;

import io.tierlog.cold.series.SeriesBlockWriter;
import io.tierlog.core.BatchBuilder;
import io.tierlog.core.Compression;
import io.tierlog.core.CorruptBatchException;
import io.tierlog.core.Record;
import io.tierlog.core.RecordBatch;
import io.tierlog.core.StorageException;
import io.tierlog.hot.SegmentInfo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The bridge between a segment of Kafka batches and a series block object: on offload it decodes a closed segment of
 * a {@code metrics} topic into records and writes them as a series block; on read it re-builds records into Kafka v2
 * batches (uncompressed, valid CRCs) so that Kafka fetches and HTTP reads of cold data see batches as before.
 * A segment with transactional or control batches stays a segment copy: a series block keeps records, not the
 * transaction markers a read_committed consumer needs.
 */
final class SeriesBlockObject {
    /** Records per re-built batch: large enough for little overhead, small enough for a bounded fetch. */
    static final int RECORDS_PER_BATCH = 1000;

    private SeriesBlockObject() {
    }

    /** A written block and the time bounds of its records (for the manifest). */
    record Built(byte[] bytes, long minTimestamp, long maxTimestamp, int recordCount) {
    }

    /**
     * The series block of {@code seg}, or empty when the segment must stay a copy (transactions, control records).
     * The segment file is mapped, not read into the heap, and its records stream into the block writer batch by batch,
     * so an offload holds one row group's columns and the block, not the segment's records.
     */
    static Optional<Built> build(SegmentInfo seg, long[] rollupResolutions) throws IOException {
        SeriesBlockWriter.Builder block = SeriesBlockWriter.builder(SeriesBlockWriter.ROW_GROUP_RECORDS, rollupResolutions);
        try (FileChannel ch = FileChannel.open(seg.logFile(), StandardOpenOption.READ)) {
            long size = seg.sizeInBytes();
            if (size > Integer.MAX_VALUE || ch.size() < size) {
                if (ch.size() < size) {
                    throw new StorageException("segment file " + seg.logFile() + " is shorter than " + size + " bytes");
                }
                return Optional.empty();
            }
            ByteBuffer log = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            for (RecordBatch b : RecordBatch.iterate(log)) {
                if (!b.isValidHeaderAndCrc()) {
                    throw new StorageException("segment " + seg.logFile() + ": corrupt batch at offset " + b.baseOffset());
                }
                if (b.isTransactional() || b.isControl()) {
                    return Optional.empty();
                }
                List<Record> records;
                try {
                    records = b.records();
                } catch (CorruptBatchException e) {
                    throw new StorageException("segment " + seg.logFile() + ": batch at offset " + b.baseOffset()
                            + " does not decode: " + e.getMessage(), e);
                }
                records.forEach(block::add);
            }
        }
        if (block.recordCount() == 0) {
            return Optional.empty();
        }
        if (block.recordCount() > Integer.MAX_VALUE) {
            return Optional.empty();
        }
        return Optional.of(new Built(block.finish(), block.minTimestamp(), block.maxTimestamp(), (int) block.recordCount()));
    }

    /**
     * Re-builds records (ascending offsets) as batches: a new batch at every offset gap and every
     * {@link #RECORDS_PER_BATCH} records; stops once {@code maxBytes} is reached, but always returns the first batch.
     */
    static ByteBuffer toBatches(List<Record> records, int maxBytes) {
        List<RecordBatch> batches = new ArrayList<>();
        long total = 0;
        int i = 0;
        while (i < records.size() && (batches.isEmpty() || total < maxBytes)) {
            BatchBuilder builder = new BatchBuilder(Compression.NONE);
            long base = records.get(i).offset();
            int n = 0;
            while (i < records.size() && n < RECORDS_PER_BATCH && records.get(i).offset() == base + n) {
                Record r = records.get(i);
                builder.add(r.timestamp(), r.key(), r.value(), r.headers());
                i++;
                n++;
            }
            RecordBatch batch = builder.build(base);
            if (!batches.isEmpty() && total + batch.sizeInBytes() > maxBytes) {
                break;
            }
            batches.add(batch);
            total += batch.sizeInBytes();
        }
        ByteBuffer out = ByteBuffer.allocate((int) total);
        for (RecordBatch b : batches) {
            out.put(b.buffer().duplicate());
        }
        return out.flip();
    }
}
