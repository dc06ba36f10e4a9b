package io.tierlog.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Encodes records into one {@link RecordBatch} (Kafka's v2 format, byte for byte what kafka-clients writes for
 * the same records). Used by the HTTP edge (JSON to batch), compaction and tests. Records are kept until
 * {@link #build()} because the header (count, maximum timestamp, CRC) is known only at the end. Not thread-safe;
 * reusable after {@link #reset()}.
 */
public final class BatchBuilder {
    private final Compression compression;
    private long[] timestamps = new long[16];
    private final List<byte[]> keys = new ArrayList<>();
    private final List<byte[]> values = new ArrayList<>();
    private final List<List<Header>> headers = new ArrayList<>();
    private int count;
    private long estimatedBytes;
    private long producerId = RecordBatch.NO_PRODUCER_ID;
    private short producerEpoch = RecordBatch.NO_PRODUCER_EPOCH;
    private int baseSequence = RecordBatch.NO_SEQUENCE;

    public BatchBuilder(Compression compression) {
        this.compression = compression;
    }

    /** Adds a record; offsets are implied by order (0, 1, 2, ...). */
    public BatchBuilder add(long timestamp, byte[] key, byte[] value, List<Header> recordHeaders) {
        if (timestamp < 0) {
            throw new InvalidInputException("timestamp must be >= 0, was " + timestamp);
        }
        if (count == timestamps.length) {
            timestamps = Arrays.copyOf(timestamps, count * 2);
        }
        timestamps[count++] = timestamp;
        keys.add(key);
        values.add(value);
        headers.add(recordHeaders == null ? List.of() : recordHeaders);
        estimatedBytes += 16 + (key == null ? 0 : key.length) + (value == null ? 0 : value.length);
        if (recordHeaders != null) {
            for (Header h : recordHeaders) {
                estimatedBytes += 8 + h.key().length() * 3L + (h.value() == null ? 0 : h.value().length);
            }
        }
        return this;
    }

    public BatchBuilder add(long timestamp, byte[] key, byte[] value) {
        return add(timestamp, key, value, null);
    }

    public int count() {
        return count;
    }

    public boolean isEmpty() {
        return count == 0;
    }

    /** An upper-bound estimate of the uncompressed encoded size so far. */
    public long estimatedSizeInBytes() {
        return RecordBatch.HEADER_SIZE + estimatedBytes;
    }

    public void reset() {
        count = 0;
        producerId = RecordBatch.NO_PRODUCER_ID;
        producerEpoch = RecordBatch.NO_PRODUCER_EPOCH;
        baseSequence = RecordBatch.NO_SEQUENCE;
        keys.clear();
        values.clear();
        headers.clear();
        estimatedBytes = 0;
    }

    /** Encodes the records added so far as one batch with base offset 0. */
    public RecordBatch build() {
        return build(0L);
    }

    /**
     * Marks the batch as written by an idempotent producer: its id, epoch and the sequence of the first record.
     * Without this call the batch carries {@link RecordBatch#NO_PRODUCER_ID} (no de-duplication).
     */
    public BatchBuilder producer(long producerId, short producerEpoch, int baseSequence) {
        this.producerId = producerId;
        this.producerEpoch = producerEpoch;
        this.baseSequence = baseSequence;
        return this;
    }

    /** Encodes the records added so far as one batch with the given base offset. */
    public RecordBatch build(long baseOffset) {
        if (count == 0) {
            throw new InvalidInputException("a batch needs at least one record");
        }
        // Kafka's convention: the base timestamp is the first record's; other records may be earlier (negative delta)
        long baseTs = timestamps[0];
        long max = Long.MIN_VALUE;
        for (int i = 0; i < count; i++) {
            max = Math.max(max, timestamps[i]);
        }
        int payloadSize = 0;
        int[] bodySizes = new int[count];
        for (int i = 0; i < count; i++) {
            int body = 1 + Varints.sizeOfVarlong(timestamps[i] - baseTs) + Varints.sizeOfVarint(i)
                    + sizeOfBytes(keys.get(i)) + sizeOfBytes(values.get(i));
            List<Header> hs = headers.get(i);
            body += Varints.sizeOfVarint(hs.size());
            for (Header h : hs) {
                body += sizeOfBytes(h.key().getBytes(StandardCharsets.UTF_8)) + sizeOfBytes(h.value());
            }
            bodySizes[i] = body;
            payloadSize += Varints.sizeOfVarint(body) + body;
        }
        ByteBuffer payload = ByteBuffer.allocate(payloadSize);
        for (int i = 0; i < count; i++) {
            Varints.writeVarint(bodySizes[i], payload);
            payload.put((byte) 0);
            Varints.writeVarlong(timestamps[i] - baseTs, payload);
            Varints.writeVarint(i, payload);
            writeBytes(keys.get(i), payload);
            writeBytes(values.get(i), payload);
            List<Header> hs = headers.get(i);
            Varints.writeVarint(hs.size(), payload);
            for (Header h : hs) {
                writeBytes(h.key().getBytes(StandardCharsets.UTF_8), payload);
                writeBytes(h.value(), payload);
            }
        }
        byte[] raw = payload.array();
        byte[] stored = compression == Compression.NONE ? raw : compression.compress(raw, 0, raw.length);
        long total = (long) RecordBatch.HEADER_SIZE + stored.length;
        if (total > RecordBatch.MAX_BATCH_SIZE) {
            throw new InvalidInputException("batch of " + total + " bytes exceeds the maximum of " + RecordBatch.MAX_BATCH_SIZE);
        }
        ByteBuffer out = ByteBuffer.allocate((int) total).order(ByteOrder.BIG_ENDIAN);
        out.put(RecordBatch.HEADER_SIZE, stored);
        RecordBatch.writeHeader(out, baseOffset, compression, count - 1, baseTs, max, producerId, producerEpoch,
                baseSequence, count);
        return RecordBatch.wrap(out);
    }

    private static int sizeOfBytes(byte[] b) {
        return b == null ? Varints.sizeOfVarint(-1) : Varints.sizeOfVarint(b.length) + b.length;
    }

    private static void writeBytes(byte[] b, ByteBuffer out) {
        if (b == null) {
            Varints.writeVarint(-1, out);
        } else {
            Varints.writeVarint(b.length, out);
            out.put(b);
        }
    }
}
