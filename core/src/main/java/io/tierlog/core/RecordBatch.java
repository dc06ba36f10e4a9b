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
 * A view over one batch in Kafka's RecordBatch v2 format (magic 2), Tierlog's one unit of storage on disk, in S3
 * objects, on the Kafka wire and on the HTTP binary media type. This class is the only place that knows the
 * layout (drawn in {@code docs/format.md}): other modules read header fields through its static accessors
 * ({@link #sizeAt}, {@link #baseOffsetAt}, ...) so that no module reads a header field by a literal position.
 *
 * <p>The base offset, the length and the partition leader epoch sit before the CRC, which covers the attributes
 * to the end: the log assigns offsets to a client's batch by rewriting eight bytes, without re-encoding or
 * re-checksumming it. The header holds the maximum timestamp but not the minimum (Kafka's base timestamp is the
 * first record's); {@link #minTimestamp()} decodes the records to find it, and the tiers keep it in their
 * indexes so that readers need not.
 *
 * <p>The view does not copy: it shares the buffer it wraps (big-endian, position 0 = first header byte). Not
 * thread-safe (the lazily computed minimum timestamp is cached without synchronisation; a race only recomputes it).
 */
public final class RecordBatch implements Iterable<Record> {
    /** Format version stored in the magic byte: Kafka's v2. */
    public static final byte MAGIC = 2;

    private static final int BASE_OFFSET_OFFSET = 0;
    private static final int LENGTH_OFFSET = 8;
    private static final int PARTITION_LEADER_EPOCH_OFFSET = 12;
    private static final int MAGIC_OFFSET = 16;
    private static final int CRC_OFFSET = 17;
    private static final int ATTRIBUTES_OFFSET = 21;
    private static final int LAST_OFFSET_DELTA_OFFSET = 23;
    private static final int BASE_TIMESTAMP_OFFSET = 27;
    private static final int MAX_TIMESTAMP_OFFSET = 35;
    private static final int PRODUCER_ID_OFFSET = 43;
    private static final int PRODUCER_EPOCH_OFFSET = 51;
    private static final int BASE_SEQUENCE_OFFSET = 53;
    private static final int RECORD_COUNT_OFFSET = 57;
    /** Bytes of the fixed header; the records start here. */
    public static final int HEADER_SIZE = 61;
    /** Bytes up to the end of the length field: what {@code batchLength} does not count. */
    public static final int LOG_OVERHEAD = 12;
    /** The CRC covers every byte from the attributes to the end of the batch. */
    private static final int CRC_START = ATTRIBUTES_OFFSET;

    private static final int COMPRESSION_MASK = 0x07;
    private static final int TIMESTAMP_TYPE_MASK = 0x08;
    private static final int TRANSACTIONAL_MASK = 0x10;
    private static final int CONTROL_MASK = 0x20;
    private static final int DELETE_HORIZON_MASK = 0x40;

    /** Producer id, epoch and sequence of a batch written by a producer without idempotence. */
    public static final long NO_PRODUCER_ID = -1L;
    public static final short NO_PRODUCER_EPOCH = -1;
    public static final int NO_SEQUENCE = -1;
    /** The partition leader epoch Tierlog stores: one broker, never re-elected. */
    public static final int LEADER_EPOCH = 0;

    /** Largest batch any reader will accept (sanity bound on the length field). */
    public static final int MAX_BATCH_SIZE = 64 * 1024 * 1024;

    private final ByteBuffer buf;
    private long minTimestamp = Long.MIN_VALUE;
    private boolean minKnown;

    private RecordBatch(ByteBuffer buf) {
        this.buf = buf;
    }

    /** What {@link #validate()} learned about a batch while checking every record. */
    public record Checked(int recordCount, long minTimestamp, long maxTimestamp) {
    }

    /** Whether record timestamps were set by the producer or by the broker on append. */
    public enum TimestampType {
        CREATE_TIME,
        LOG_APPEND_TIME
    }

    // ---------------------------------------------------------------- the layout, for readers of raw buffers

    /**
     * Wraps the batch that starts at {@code buffer}'s position, checking only that the length field fits the
     * buffer (not the CRC: see {@link #validate()}). The buffer's position is not moved.
     */
    public static RecordBatch wrap(ByteBuffer buffer) {
        int size = sizeAt(buffer, buffer.position());
        if (size < 0) {
            throw new CorruptBatchException("incomplete batch: " + buffer.remaining() + " bytes remaining");
        }
        return new RecordBatch(buffer.slice(buffer.position(), size).order(ByteOrder.BIG_ENDIAN));
    }

    /**
     * The total size of the batch starting at {@code pos}, or -1 when the buffer does not hold all of it.
     * Throws when the length field itself is impossible.
     */
    public static int sizeAt(ByteBuffer buffer, int pos) {
        if (buffer.limit() - pos < HEADER_SIZE) {
            return -1;
        }
        int size = sizeFromLength(buffer.getInt(pos + LENGTH_OFFSET), pos);
        return buffer.limit() - pos < size ? -1 : size;
    }

    /**
     * The total size of a batch whose header starts at {@code pos} of {@code header} (which must hold at least
     * {@link #HEADER_SIZE} bytes from there), whatever the buffer holds after the header. Throws when the length
     * field is impossible.
     */
    public static int declaredSizeAt(ByteBuffer header, int pos) {
        return sizeFromLength(header.getInt(pos + LENGTH_OFFSET), pos);
    }

    private static int sizeFromLength(int length, int pos) {
        if (length < HEADER_SIZE - LOG_OVERHEAD || length > MAX_BATCH_SIZE - LOG_OVERHEAD) {
            throw new CorruptBatchException("invalid batch length " + length + " at position " + pos);
        }
        return length + LOG_OVERHEAD;
    }

    public static long baseOffsetAt(ByteBuffer b, int pos) {
        return b.getLong(pos + BASE_OFFSET_OFFSET);
    }

    /** Rewrites the base offset of the batch at {@code pos}; its CRC stays valid (the field is outside it). */
    public static void setBaseOffsetAt(ByteBuffer b, int pos, long baseOffset) {
        b.putLong(pos + BASE_OFFSET_OFFSET, baseOffset);
    }

    /** Rewrites the partition leader epoch of the batch at {@code pos} (outside the CRC, like the base offset). */
    public static void setPartitionLeaderEpochAt(ByteBuffer b, int pos, int epoch) {
        b.putInt(pos + PARTITION_LEADER_EPOCH_OFFSET, epoch);
    }

    public static int partitionLeaderEpochAt(ByteBuffer b, int pos) {
        return b.getInt(pos + PARTITION_LEADER_EPOCH_OFFSET);
    }

    public static byte magicAt(ByteBuffer b, int pos) {
        return b.get(pos + MAGIC_OFFSET);
    }

    public static int lastOffsetDeltaAt(ByteBuffer b, int pos) {
        return b.getInt(pos + LAST_OFFSET_DELTA_OFFSET);
    }

    /** One past the last offset of the batch at {@code pos}. */
    public static long nextOffsetAt(ByteBuffer b, int pos) {
        return baseOffsetAt(b, pos) + lastOffsetDeltaAt(b, pos) + 1;
    }

    public static long maxTimestampAt(ByteBuffer b, int pos) {
        return b.getLong(pos + MAX_TIMESTAMP_OFFSET);
    }

    public static int recordCountAt(ByteBuffer b, int pos) {
        return b.getInt(pos + RECORD_COUNT_OFFSET);
    }

    public static long producerIdAt(ByteBuffer b, int pos) {
        return b.getLong(pos + PRODUCER_ID_OFFSET);
    }

    public static short producerEpochAt(ByteBuffer b, int pos) {
        return b.getShort(pos + PRODUCER_EPOCH_OFFSET);
    }

    public static int baseSequenceAt(ByteBuffer b, int pos) {
        return b.getInt(pos + BASE_SEQUENCE_OFFSET);
    }

    /**
     * The header checks a scan can afford on every batch without reading its records: magic, record count
     * consistent with the last offset delta. (The CRC needs the whole batch: {@link #isValidHeaderAndCrc()}.)
     */
    public static boolean isPlausibleHeaderAt(ByteBuffer b, int pos) {
        int count = recordCountAt(b, pos);
        return magicAt(b, pos) == MAGIC && count > 0 && lastOffsetDeltaAt(b, pos) == count - 1;
    }

    // ---------------------------------------------------------------- whole buffers of batches

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
            throw new CorruptBatchException("no batch in input");
        }
        return out;
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

    // ---------------------------------------------------------------- header fields

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

    public int partitionLeaderEpoch() {
        return buf.getInt(PARTITION_LEADER_EPOCH_OFFSET);
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

    public TimestampType timestampType() {
        return (attributes() & TIMESTAMP_TYPE_MASK) == 0 ? TimestampType.CREATE_TIME : TimestampType.LOG_APPEND_TIME;
    }

    public boolean isTransactional() {
        return (attributes() & TRANSACTIONAL_MASK) != 0;
    }

    public boolean isControl() {
        return (attributes() & CONTROL_MASK) != 0;
    }

    public boolean hasDeleteHorizon() {
        return (attributes() & DELETE_HORIZON_MASK) != 0;
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

    /** Kafka's base timestamp: the first record's timestamp, from which the records' deltas count. */
    public long baseTimestamp() {
        return buf.getLong(BASE_TIMESTAMP_OFFSET);
    }

    public long maxTimestamp() {
        return buf.getLong(MAX_TIMESTAMP_OFFSET);
    }

    public long producerId() {
        return buf.getLong(PRODUCER_ID_OFFSET);
    }

    public short producerEpoch() {
        return buf.getShort(PRODUCER_EPOCH_OFFSET);
    }

    public int baseSequence() {
        return buf.getInt(BASE_SEQUENCE_OFFSET);
    }

    /** The sequence of the last record ({@link #NO_SEQUENCE} without one), wrapping at Integer.MAX_VALUE as Kafka's. */
    public int lastSequence() {
        int base = baseSequence();
        if (base == NO_SEQUENCE) {
            return NO_SEQUENCE;
        }
        long last = (long) base + lastOffsetDelta();
        return last > Integer.MAX_VALUE ? (int) (last - Integer.MAX_VALUE - 1) : (int) last;
    }

    public boolean hasProducerId() {
        return producerId() >= 0;
    }

    public int recordCount() {
        return buf.getInt(RECORD_COUNT_OFFSET);
    }

    /**
     * The smallest record timestamp. Not in the header: the records are decoded (and the batch decompressed)
     * the first time it is asked; the result is cached in this view.
     */
    public long minTimestamp() {
        if (!minKnown) {
            if (timestampType() == TimestampType.LOG_APPEND_TIME) {
                minTimestamp = maxTimestamp();
            } else {
                long min = Long.MAX_VALUE;
                byte[] scratch = borrowScratch();
                ByteBuffer in = null;
                long base = baseTimestamp();
                int count = recordCount();
                try {
                    in = payload(scratch);
                    for (int i = 0; i < count; i++) {
                        min = Math.min(min, base + skipRecordReturningDelta(in));
                    }
                } catch (BufferUnderflowException | IndexOutOfBoundsException e) {
                    throw new CorruptBatchException("record section is truncated or malformed", e);
                } finally {
                    releaseScratch(scratch, in);
                }
                minTimestamp = min;
            }
            minKnown = true;
        }
        return minTimestamp;
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

    /** True when magic, counts and CRC check out; cheap enough for recovery scans (no decompression). */
    public boolean isValidHeaderAndCrc() {
        int count = recordCount();
        return magic() == MAGIC && count > 0 && lastOffsetDelta() == count - 1 && storedCrc() == computeCrc();
    }

    // ---------------------------------------------------------------- validation and decoding

    /**
     * Checks magic, CRC, header consistency and that every record decodes, with dense offset deltas
     * (0, 1, 2, ...), non-negative timestamps and the header's maximum timestamp equal to the records' maximum;
     * no bytes may follow the last record. Throws a {@link CorruptBatchException} naming the first problem.
     * Returns what the walk learned, notably the minimum timestamp (which the header lacks).
     */
    public Checked validate() {
        return validate(null, null);
    }

    /**
     * Receives what a validation pass knows of each record without materialising it: its index in the batch, its
     * timestamp and the lengths of its key and value (-1 = null). Cheap enough for every record of every batch.
     */
    @FunctionalInterface
    public interface ShallowCheck {
        void check(int index, long timestamp, int keyLength, int valueLength);
    }

    /**
     * {@link #validate()} that hands each record's timestamp and field lengths to {@code perRecord} in the same
     * pass, without allocating a {@link Record}: what a topic without content rules needs (size limits).
     */
    public Checked validate(ShallowCheck perRecord) {
        return validate(null, perRecord);
    }

    /** Receives each record of a batch being validated, with its index in the batch; may throw to reject it. */
    @FunctionalInterface
    public interface RecordCheck {
        void check(int index, Record record);
    }

    /**
     * {@link #validate()} that also hands every decoded record to {@code perRecord} (when not null), in the same
     * single pass over the (decompressed once) record section: the edges check content rules (metric samples,
     * size limits) without decoding a client's batch twice.
     */
    public Checked validate(RecordCheck perRecord) {
        return validate(perRecord, null);
    }

    private Checked validate(RecordCheck perRecord, ShallowCheck shallow) {
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
        byte[] scratch = borrowScratch(); // the pass keeps nothing of the section: a pooled array holds it
        ByteBuffer in = null;
        try {
            in = payload(scratch);
            return checkRecords(in, count, perRecord, shallow);
        } finally {
            releaseScratch(scratch, in);
        }
    }

    private Checked checkRecords(ByteBuffer in, int count, RecordCheck perRecord, ShallowCheck shallow) {
        boolean appendTime = timestampType() == TimestampType.LOG_APPEND_TIME;
        long base = baseTimestamp();
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        long baseOffset = baseOffset();
        try {
            for (int i = 0; i < count; i++) {
                long ts;
                if (perRecord == null) {
                    ts = base + checkRecord(in, i, shallow, base, appendTime ? maxTimestamp() : -1);
                } else {
                    Record r = readRecord(in, baseOffset, base, -1);
                    if (r.offset() - baseOffset != i) {
                        throw new CorruptBatchException("record offset delta " + (r.offset() - baseOffset) + " where "
                                + i + " was expected");
                    }
                    ts = r.timestamp();
                    perRecord.check(i, appendTime ? new Record(r.offset(), maxTimestamp(), r.key(), r.value(), r.headers()) : r);
                }
                min = Math.min(min, ts);
                max = Math.max(max, ts);
            }
        } catch (BufferUnderflowException | IndexOutOfBoundsException | NegativeArraySizeException e) {
            throw new CorruptBatchException("record section is truncated or malformed", e);
        }
        if (in.hasRemaining()) {
            throw new CorruptBatchException(in.remaining() + " trailing bytes after the last record");
        }
        if (appendTime) {
            min = max = maxTimestamp();
        } else {
            if (min < 0) {
                throw new CorruptBatchException("negative record timestamp " + min);
            }
            if (max != maxTimestamp()) {
                throw new CorruptBatchException("header max timestamp " + maxTimestamp()
                        + " differs from the records' maximum " + max);
            }
        }
        minTimestamp = min;
        minKnown = true;
        return new Checked(count, min, max);
    }

    /** The record section, decompressed (a buffer at position 0). */
    ByteBuffer payload() {
        return payload(null);
    }

    /**
     * The record section, decompressed into {@code scratch} when one is given (a pooled array for a pass that keeps
     * nothing: the caller releases the returned buffer's array, see {@link #releaseScratch}), else into a new array.
     */
    private ByteBuffer payload(byte[] scratch) {
        int payloadLen = buf.limit() - HEADER_SIZE;
        ByteBuffer section = buf.slice(HEADER_SIZE, payloadLen).order(ByteOrder.BIG_ENDIAN);
        Compression c = compression();
        if (c == Compression.NONE) {
            return section;
        }
        byte[] out = scratch != null ? scratch : new byte[Math.clamp((long) payloadLen * 4, 256, 1 << 20)];
        return c.decompressInto(section, out).order(ByteOrder.BIG_ENDIAN);
    }

    /** A pooled array for {@link #payload(byte[])} when the batch is compressed, else null. */
    private byte[] borrowScratch() {
        return compression() == Compression.NONE ? null : ScratchBuffers.borrow();
    }

    /** Gives back the array a pooled payload ended up in (decoding may have replaced the one borrowed). */
    private static void releaseScratch(byte[] borrowed, ByteBuffer payload) {
        if (borrowed != null) {
            ScratchBuffers.release(payload != null && payload.hasArray() ? payload.array() : borrowed);
        }
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
        long baseTs = baseTimestamp();
        long appendTime = timestampType() == TimestampType.LOG_APPEND_TIME ? maxTimestamp() : -1;
        int count = recordCount();
        try {
            for (int i = 0; i < count; i++) {
                action.accept(readRecord(in, base, baseTs, appendTime));
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

    /** Reads the next record; with {@code appendTime >= 0} every record gets that timestamp (LogAppendTime). */
    private static Record readRecord(ByteBuffer in, long baseOffset, long baseTs, long appendTime) {
        int length = Varints.readVarint(in);
        if (length <= 0 || length > in.remaining()) {
            throw new CorruptBatchException("invalid record length " + length);
        }
        int end = in.position() + length;
        in.get(); // attributes, unused
        long ts = baseTs + Varints.readVarlong(in);
        int delta = Varints.readVarint(in);
        byte[] key = readBytes(in, true);
        byte[] value = readBytes(in, true);
        int headerCount = Varints.readVarint(in);
        if (headerCount < 0 || headerCount > end - in.position()) {
            throw new CorruptBatchException("invalid header count " + headerCount);
        }
        List<Header> headers = headerCount == 0 ? List.of() : new ArrayList<>(headerCount);
        for (int h = 0; h < headerCount; h++) {
            byte[] hk = readBytes(in, true);
            if (hk == null) {
                throw new CorruptBatchException("null header key");
            }
            headers.add(new Header(new String(hk, StandardCharsets.UTF_8), readBytes(in, true)));
        }
        if (in.position() != end) {
            throw new CorruptBatchException("record length " + length + " does not match its content");
        }
        return new Record(baseOffset + delta, appendTime >= 0 ? appendTime : ts, key, value, headers);
    }

    /**
     * Checks and skips the next record: framing, the dense offset delta, header keys. Returns its timestamp delta.
     */
    private static long checkRecord(ByteBuffer in, int expectedDelta, ShallowCheck shallow, long baseTs, long appendTime) {
        int length = Varints.readVarint(in);
        if (length <= 0 || length > in.remaining()) {
            throw new CorruptBatchException("invalid record length " + length);
        }
        int end = in.position() + length;
        in.get(); // attributes, unused
        long tsDelta = Varints.readVarlong(in);
        int delta = Varints.readVarint(in);
        if (delta != expectedDelta) {
            throw new CorruptBatchException("record offset delta " + delta + " where " + expectedDelta + " was expected");
        }
        int keyLength = skipBytes(in);
        int valueLength = skipBytes(in);
        int headerCount = Varints.readVarint(in);
        if (headerCount < 0 || headerCount > end - in.position()) {
            throw new CorruptBatchException("invalid header count " + headerCount);
        }
        for (int h = 0; h < headerCount; h++) {
            if (Varints.readVarint(in.duplicate()) < 0) {
                throw new CorruptBatchException("null header key");
            }
            readBytes(in, false);
            readBytes(in, false);
        }
        if (in.position() != end) {
            throw new CorruptBatchException("record length " + length + " does not match its content");
        }
        if (shallow != null) {
            shallow.check(expectedDelta, appendTime >= 0 ? appendTime : baseTs + tsDelta, keyLength, valueLength);
        }
        return tsDelta;
    }

    /** Skips a length-prefixed field and returns its length (-1 = null). */
    private static int skipBytes(ByteBuffer in) {
        int len = Varints.readVarint(in);
        if (len < 0) {
            if (len != -1) {
                throw new CorruptBatchException("invalid field length " + len);
            }
            return -1;
        }
        if (len > in.remaining()) {
            throw new CorruptBatchException("field length " + len + " exceeds remaining " + in.remaining());
        }
        in.position(in.position() + len);
        return len;
    }

    /** Skips the next record by its length prefix and returns its timestamp delta. */
    private static long skipRecordReturningDelta(ByteBuffer in) {
        int length = Varints.readVarint(in);
        if (length <= 0 || length > in.remaining()) {
            throw new CorruptBatchException("invalid record length " + length);
        }
        int end = in.position() + length;
        in.get();
        long tsDelta = Varints.readVarlong(in);
        in.position(end);
        return tsDelta;
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

    // ---------------------------------------------------------------- encoding (for BatchBuilder)

    /**
     * Writes a v2 header for a record section already at {@code out[HEADER_SIZE, limit)} and computes the CRC.
     * Package-private: {@link BatchBuilder} is the one writer.
     */
    static void writeHeader(ByteBuffer out, long baseOffset, Compression compression, int lastOffsetDelta,
                            long baseTimestamp, long maxTimestamp, long producerId, short producerEpoch,
                            int baseSequence, int recordCount) {
        int total = out.limit();
        out.putLong(BASE_OFFSET_OFFSET, baseOffset);
        out.putInt(LENGTH_OFFSET, total - LOG_OVERHEAD);
        out.putInt(PARTITION_LEADER_EPOCH_OFFSET, LEADER_EPOCH);
        out.put(MAGIC_OFFSET, MAGIC);
        out.putShort(ATTRIBUTES_OFFSET, (short) compression.id());
        out.putInt(LAST_OFFSET_DELTA_OFFSET, lastOffsetDelta);
        out.putLong(BASE_TIMESTAMP_OFFSET, baseTimestamp);
        out.putLong(MAX_TIMESTAMP_OFFSET, maxTimestamp);
        out.putLong(PRODUCER_ID_OFFSET, producerId);
        out.putShort(PRODUCER_EPOCH_OFFSET, producerEpoch);
        out.putInt(BASE_SEQUENCE_OFFSET, baseSequence);
        out.putInt(RECORD_COUNT_OFFSET, recordCount);
        out.putInt(CRC_OFFSET, (int) crcOf(out, CRC_START, total - CRC_START));
    }

    @Override
    public String toString() {
        return "RecordBatch[baseOffset=" + baseOffset() + ", count=" + recordCount() + ", size=" + sizeInBytes()
                + ", compression=" + (attributes() & COMPRESSION_MASK) + ", maxTimestamp=" + maxTimestamp()
                + (hasProducerId() ? ", producer=" + producerId() + "/" + producerEpoch() + "@" + baseSequence() : "")
                + "]";
    }
}
