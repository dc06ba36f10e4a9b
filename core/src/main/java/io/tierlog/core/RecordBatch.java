package io.tierlog.core;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

/**
 * A view over one encoded batch, the unit of storage on disk, on S3 and on the wire. The layout is drawn in
 * {@code docs/format.md}. The base offset and the length sit outside the CRC so that the log can assign
 * offsets to a client's batch by rewriting eight bytes, without re-encoding or re-checksumming it.
 *
 * <p>The view does not copy: it shares the buffer it wraps (big-endian, position 0 = first header byte).
 */
public final class RecordBatch implements Iterable<Record> {
    /** Format version stored in the magic byte. */
    public static final byte MAGIC = 1;

    static final int BASE_OFFSET_OFFSET = 0;
    static final int LENGTH_OFFSET = 8;
    static final int MAGIC_OFFSET = 12;
    static final int CRC_OFFSET = 13;
    static final int ATTRIBUTES_OFFSET = 17;
    static final int LAST_OFFSET_DELTA_OFFSET = 19;
    static final int MIN_TIMESTAMP_OFFSET = 23;
    static final int MAX_TIMESTAMP_OFFSET = 31;
    static final int RECORD_COUNT_OFFSET = 39;
    static final int UNCOMPRESSED_LENGTH_OFFSET = 43;
    /** Bytes of the fixed header. */
    public static final int HEADER_SIZE = 47;
    /** Bytes before the length field's end: what {@code batchLength} does not count. */
    public static final int LOG_OVERHEAD = 12;
    /** The CRC covers every byte from the attributes to the end of the batch. */
    static final int CRC_START = ATTRIBUTES_OFFSET;
    static final int COMPRESSION_MASK = 0x07;

    /** Largest batch any reader will accept (sanity bound on the length field). */
    public static final int MAX_BATCH_SIZE = 64 * 1024 * 1024;

    private final ByteBuffer buf;

    private RecordBatch(ByteBuffer buf) {
        this.buf = buf;
    }

    /**
     * Wraps the batch that starts at {@code buffer}'s position, checking only that the length field fits the
     * buffer (not the CRC: see {@link #validate()}). The buffer's position is not moved.
     */
    public static RecordBatch wrap(ByteBuffer buffer) {
        int size = sizeAt(buffer, buffer.position());
        if (size < 0) {
            throw new CorruptBatchException("incomplete batch: " + buffer.remaining() + " bytes remaining");
        }
        ByteBuffer slice = buffer.slice(buffer.position(), size).order(ByteOrder.BIG_ENDIAN);
        return new RecordBatch(slice);
    }

    /**
     * The total size of the batch starting at {@code pos}, or -1 when the buffer does not hold all of it.
     * Throws when the length field itself is impossible.
     */
    public static int sizeAt(ByteBuffer buffer, int pos) {
        if (buffer.limit() - pos < HEADER_SIZE) {
            return -1;
        }
        int length = buffer.getInt(pos + LENGTH_OFFSET);
        if (length < HEADER_SIZE - LOG_OVERHEAD || length > MAX_BATCH_SIZE) {
            throw new CorruptBatchException("invalid batch length " + length + " at position " + pos);
        }
        int size = length + LOG_OVERHEAD;
        return buffer.limit() - pos < size ? -1 : size;
    }

    /**
     * Splits a buffer of concatenated batches into views, validating each one fully (magic, CRC, records).
     * Rejects trailing partial batches: this is how client-supplied input is checked at the edge.
     */
    public static List<RecordBatch> parseAll(ByteBuffer buffer) {
        List<RecordBatch> out = new ArrayList<>();
        int pos = buffer.position();
        while (pos < buffer.limit()) {
            int size;
            try {
                size = sizeAt(buffer, pos);
            } catch (CorruptBatchException e) {
                throw new CorruptBatchException("batch " + out.size() + ": " + e.getMessage());
            }
            if (size < 0) {
                throw new CorruptBatchException("batch " + out.size() + " is truncated: "
                        + (buffer.limit() - pos) + " bytes left at position " + (pos - buffer.position()));
            }
            RecordBatch batch = new RecordBatch(buffer.slice(pos, size).order(ByteOrder.BIG_ENDIAN));
            batch.validate();
            out.add(batch);
            pos += size;
        }
        if (out.isEmpty()) {
            throw new InvalidInputException("no batch in input");
        }
        return out;
    }

    /** A duplicate of the underlying bytes (position 0, limit = size); shares content with this view. */
    public ByteBuffer buffer() {
        return buf.duplicate().order(ByteOrder.BIG_ENDIAN);
    }

    public int sizeInBytes() {
        return buf.limit();
    }

    public long baseOffset() {
        return buf.getLong(BASE_OFFSET_OFFSET);
    }

    /** Rewrites the base offset in place; the CRC stays valid because it does not cover this field. */
    public void setBaseOffset(long baseOffset) {
        buf.putLong(BASE_OFFSET_OFFSET, baseOffset);
    }

    public byte magic() {
        return buf.get(MAGIC_OFFSET);
    }

    public long storedCrc() {
        return Integer.toUnsignedLong(buf.getInt(CRC_OFFSET));
    }

    public short attributes() {
        return buf.getShort(ATTRIBUTES_OFFSET);
    }

    public Compression compression() {
        return Compression.fromId(attributes() & COMPRESSION_MASK);
    }

    public int lastOffsetDelta() {
        return buf.getInt(LAST_OFFSET_DELTA_OFFSET);
    }

    public long lastOffset() {
        return baseOffset() + lastOffsetDelta();
    }

    /** One past the last offset of this batch. */
    public long nextOffset() {
        return lastOffset() + 1;
    }

    public long minTimestamp() {
        return buf.getLong(MIN_TIMESTAMP_OFFSET);
    }

    public long maxTimestamp() {
        return buf.getLong(MAX_TIMESTAMP_OFFSET);
    }

    public int recordCount() {
        return buf.getInt(RECORD_COUNT_OFFSET);
    }

    public int uncompressedLength() {
        return buf.getInt(UNCOMPRESSED_LENGTH_OFFSET);
    }

    /** CRC32C over the attributes and everything after them. */
    public long computeCrc() {
        return crcOf(buf, CRC_START, buf.limit() - CRC_START);
    }

    static long crcOf(ByteBuffer b, int from, int len) {
        CRC32C crc = new CRC32C();
        crc.update(b.slice(from, len));
        return crc.getValue();
    }

    /** True when magic and CRC check out; cheap enough for recovery scans (no decompression). */
    public boolean isValidHeaderAndCrc() {
        return magic() == MAGIC && storedCrc() == computeCrc()
                && recordCount() > 0 && lastOffsetDelta() == recordCount() - 1
                && minTimestamp() <= maxTimestamp();
    }

    /**
     * Checks magic, CRC, header consistency and that every record decodes with dense offset deltas and
     * timestamps within [min, max]. Throws a {@link CorruptBatchException} naming the first problem.
     */
    public void validate() {
        if (magic() != MAGIC) {
            throw new CorruptBatchException("unsupported batch magic " + magic() + " (expected " + MAGIC + ")");
        }
        long computed = computeCrc();
        if (storedCrc() != computed) {
            throw new CorruptBatchException("batch CRC mismatch: stored " + Long.toHexString(storedCrc())
                    + ", computed " + Long.toHexString(computed));
        }
        int count = recordCount();
        if (count <= 0) {
            throw new CorruptBatchException("batch record count must be > 0, was " + count);
        }
        if (lastOffsetDelta() != count - 1) {
            throw new CorruptBatchException("last offset delta " + lastOffsetDelta() + " does not match record count " + count);
        }
        if (minTimestamp() > maxTimestamp()) {
            throw new CorruptBatchException("min timestamp " + minTimestamp() + " > max timestamp " + maxTimestamp());
        }
        if (minTimestamp() < 0) {
            throw new CorruptBatchException("negative timestamp " + minTimestamp());
        }
        // walk the records without materialising them: framing, dense deltas, timestamps within bounds
        ByteBuffer in = payload();
        long minTs = minTimestamp();
        long maxTs = maxTimestamp();
        try {
            for (int i = 0; i < count; i++) {
                readRecord(in, 0, minTs, maxTs, i, false);
            }
        } catch (BufferUnderflowException | IndexOutOfBoundsException | NegativeArraySizeException e) {
            throw new CorruptBatchException("record section is truncated or malformed", e);
        }
        if (in.hasRemaining()) {
            throw new CorruptBatchException(in.remaining() + " trailing bytes after the last record");
        }
    }

    /** The record section, decompressed (a buffer at position 0). */
    ByteBuffer payload() {
        int payloadLen = buf.limit() - HEADER_SIZE;
        Compression c = compression();
        if (c == Compression.NONE) {
            return buf.slice(HEADER_SIZE, payloadLen).order(ByteOrder.BIG_ENDIAN);
        }
        int ulen = uncompressedLength();
        if (ulen < 0 || ulen > MAX_BATCH_SIZE) {
            throw new CorruptBatchException("invalid uncompressed length " + ulen);
        }
        return ByteBuffer.wrap(c.decompress(buf.slice(HEADER_SIZE, payloadLen), ulen));
    }

    /** Decodes every record in order. */
    public List<Record> records() {
        List<Record> out = new ArrayList<>(Math.max(0, Math.min(recordCount(), 1 << 16)));
        forEach(out::add);
        return out;
    }

    @Override
    public void forEach(Consumer<? super Record> action) {
        ByteBuffer in = payload();
        long base = baseOffset();
        long minTs = minTimestamp();
        long maxTs = maxTimestamp();
        int count = recordCount();
        try {
            for (int i = 0; i < count; i++) {
                action.accept(readRecord(in, base, minTs, maxTs, i, true));
            }
        } catch (BufferUnderflowException | IndexOutOfBoundsException | NegativeArraySizeException e) {
            throw new CorruptBatchException("record section is truncated or malformed", e);
        }
        if (in.hasRemaining()) {
            throw new CorruptBatchException(in.remaining() + " trailing bytes after the last record");
        }
    }

    @Override
    public Iterator<Record> iterator() {
        return records().iterator();
    }

    /**
     * Reads (or, with {@code materialize} false, only checks and skips) the next record. Checks the record
     * framing, the dense offset delta and that the timestamp lies within the batch's bounds.
     */
    private static Record readRecord(ByteBuffer in, long base, long minTs, long maxTs, int expectedDelta,
                                     boolean materialize) {
        int length = Varints.readVarint(in);
        if (length <= 0 || length > in.remaining()) {
            throw new CorruptBatchException("invalid record length " + length);
        }
        int end = in.position() + length;
        in.get(); // attributes, reserved
        long tsDelta = Varints.readVarlong(in);
        long ts = minTs + tsDelta;
        if (tsDelta < 0 || ts > maxTs) {
            throw new CorruptBatchException("record timestamp " + ts + " outside batch bounds [" + minTs + ", " + maxTs + "]");
        }
        int delta = Varints.readVarint(in);
        if (delta != expectedDelta) {
            throw new CorruptBatchException("record offset delta " + delta + " where " + expectedDelta + " was expected");
        }
        byte[] key = readBytes(in, materialize);
        byte[] value = readBytes(in, materialize);
        int headerCount = Varints.readVarint(in);
        if (headerCount < 0 || headerCount > in.remaining()) {
            throw new CorruptBatchException("invalid header count " + headerCount);
        }
        List<Header> headers = headerCount == 0 || !materialize ? List.of() : new ArrayList<>(headerCount);
        for (int h = 0; h < headerCount; h++) {
            int keyPos = in.position();
            byte[] hk = readBytes(in, materialize);
            if (Varints.readVarint(in.duplicate().position(keyPos)) < 0) {
                throw new CorruptBatchException("null header key");
            }
            byte[] hv = readBytes(in, materialize);
            if (materialize) {
                headers.add(new Header(new String(hk, StandardCharsets.UTF_8), hv));
            }
        }
        if (in.position() != end) {
            throw new CorruptBatchException("record length " + length + " does not match its content");
        }
        return materialize ? new Record(base + delta, ts, key, value, headers) : null;
    }

    /** Reads a length-prefixed field ({@code -1} = null); without {@code materialize} it only skips it. */
    private static byte[] readBytes(ByteBuffer in, boolean materialize) {
        int len = Varints.readVarint(in);
        if (len < 0) {
            if (len != -1) {
                throw new CorruptBatchException("invalid field length " + len);
            }
            return null;
        }
        if (len > in.remaining()) {
            throw new CorruptBatchException("field length " + len + " exceeds remaining " + in.remaining());
        }
        if (!materialize) {
            in.position(in.position() + len);
            return null;
        }
        byte[] b = new byte[len];
        in.get(b);
        return b;
    }

    /** Iterates over the batches of a buffer of concatenated batches, stopping at a partial tail. */
    public static Iterable<RecordBatch> iterate(ByteBuffer buffer) {
        ByteBuffer b = buffer.duplicate().order(ByteOrder.BIG_ENDIAN);
        return () -> new Iterator<>() {
            int pos = b.position();
            RecordBatch next = advance();

            private RecordBatch advance() {
                int size = sizeAt(b, pos);
                if (size < 0) {
                    return null;
                }
                RecordBatch rb = new RecordBatch(b.slice(pos, size).order(ByteOrder.BIG_ENDIAN));
                pos += size;
                return rb;
            }

            @Override
            public boolean hasNext() {
                return next != null;
            }

            @Override
            public RecordBatch next() {
                if (next == null) {
                    throw new NoSuchElementException();
                }
                RecordBatch r = next;
                next = advance();
                return r;
            }
        };
    }

    @Override
    public String toString() {
        return "RecordBatch[baseOffset=" + baseOffset() + ", count=" + recordCount() + ", size=" + sizeInBytes()
                + ", compression=" + compression() + ", ts=[" + minTimestamp() + "," + maxTimestamp() + "]]";
    }
}
