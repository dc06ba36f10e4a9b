package io.tierlog.cold.series;

import com.github.luben.zstd.Zstd;
import io.tierlog.core.ByteKey;
import io.tierlog.core.CorruptBatchException;
import io.tierlog.core.MetricCodec;
import io.tierlog.core.Record;
import io.tierlog.core.SeriesKey;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * Writes the records of one closed segment of a {@code metrics} topic as a series block, version 2 (layout in
 * {@code docs/format.md}): metric samples become per-series compressed columns grouped in row groups by offset, with
 * a series dictionary and label postings for selective reads; every other record is kept verbatim in its row group's
 * side section. What a selective query needs (dictionary, postings, the row groups' shared timestamp columns and the
 * footer with every chunk's position) sits together at the end of the object, so that one or two ranged reads fetch
 * it, and the matching series' chunks of a row group are one more (chunks follow the sorted keys, so the series of
 * one metric name are adjacent). Record offsets are not stored per series: a row group's order section says which
 * series (or side record) each offset holds, a few bytes per scrape.
 *
 * <p>Streaming: {@link #builder} takes records one at a time and writes each row group as it fills, so an offload
 * holds one row group's columns (about 21 bytes per record) and the written block, never the segment's records.
 * {@link SeriesBlockReader} returns exactly the records given.
 */
public final class SeriesBlockWriter {
    /**
     * Records per row group: a random offset read fetches and decodes one group, and a selective read costs one ranged
     * GET per group it touches, so groups are large enough that a usual segment is one or a few of them.
     */
    public static final int ROW_GROUP_RECORDS = 1 << 20;

    static final byte[] MAGIC = "TLSB".getBytes(StandardCharsets.US_ASCII);
    /** The version of a block with rollups; one written without rollups is version 2, the same layout less them. */
    static final byte VERSION = 3;
    static final byte VERSION_WITHOUT_ROLLUPS = 2;
    /** The rollup resolutions written unless told otherwise: one hour (a month at a 1 h step reads rollups only). */
    public static final long[] DEFAULT_ROLLUPS = {3_600_000L};
    /** Trailer: footer length (int32), CRC32C of the footer (int32), magic. */
    static final int TRAILER_SIZE = 12;
    static final int HEADER_SIZE = MAGIC.length + 1;
    /** The order section's slot of a side record; a sample's slot is its series id + 1. */
    static final int SIDE_SLOT = 0;
    /** zstd level for the dictionary and postings: read whole, written once per segment. */
    private static final int ZSTD_LEVEL = 9;
    /**
     * zstd level for a row group's order section: scrapes repeat the order of the one before (long matches), which
     * any level finds; a low level keeps offload cheap.
     */
    private static final int ORDER_ZSTD_LEVEL = 3;

    private SeriesBlockWriter() {
    }

    /** Writes {@code records}, which must be in strictly ascending offset order (as a segment holds them). */
    public static byte[] write(List<Record> records) {
        return write(records, ROW_GROUP_RECORDS);
    }

    /** Writes {@code records} in row groups of {@code rowGroupRecords} records (the last may be smaller). */
    public static byte[] write(List<Record> records, int rowGroupRecords) {
        Builder b = builder(rowGroupRecords);
        records.forEach(b::add);
        return b.finish();
    }

    /** A streaming writer with row groups of {@link #ROW_GROUP_RECORDS} records. */
    public static Builder builder() {
        return builder(ROW_GROUP_RECORDS);
    }

    /** A streaming writer with row groups of {@code rowGroupRecords} records (the last may be smaller). */
    public static Builder builder(int rowGroupRecords) {
        return builder(rowGroupRecords, DEFAULT_ROLLUPS);
    }

    /**
     * A streaming writer with row groups of {@code rowGroupRecords} records and rollups at each of
     * {@code rollupResolutions} (milliseconds, distinct, positive; empty for none).
     */
    public static Builder builder(int rowGroupRecords, long[] rollupResolutions) {
        if (rowGroupRecords < 1) {
            throw new IllegalArgumentException("rowGroupRecords must be positive: " + rowGroupRecords);
        }
        if (Arrays.stream(rollupResolutions).distinct().count() != rollupResolutions.length) {
            throw new IllegalArgumentException("rollup resolutions repeat: " + Arrays.toString(rollupResolutions));
        }
        return new Builder(rowGroupRecords, rollupResolutions);
    }

    /** Takes a segment's records in offset order, one at a time; {@link #finish} returns the block. Not thread safe. */
    public static final class Builder {
        private final int rowGroupRecords;
        private final BlockBytes.Sink out;
        private final BlockBytes.Sink timestamps = new BlockBytes.Sink();
        private final List<GroupEntry> groups = new ArrayList<>();
        private final Dictionary dictionary = new Dictionary();
        private Group group;
        private long recordCount;
        private long lastOffset;
        private long minTimestamp = Long.MAX_VALUE;
        private long maxTimestamp = Long.MIN_VALUE;
        private boolean finished;
        private final RollupSection[] rollups;
        private final byte version;

        private Builder(int rowGroupRecords, long[] rollupResolutions) {
            this.rowGroupRecords = rowGroupRecords;
            this.version = rollupResolutions.length == 0 ? VERSION_WITHOUT_ROLLUPS : VERSION;
            this.out = new BlockBytes.Sink().raw(MAGIC).raw(new byte[] {version});
            this.rollups = new RollupSection[rollupResolutions.length];
            for (int i = 0; i < rollups.length; i++) {
                rollups[i] = new RollupSection(rollupResolutions[i]);
            }
        }

        /** Adds the next record; its offset must be above every offset added before. */
        public void add(Record r) {
            if (finished) {
                throw new IllegalStateException("the block is finished");
            }
            if (recordCount > 0 && r.offset() <= lastOffset) {
                throw new IllegalArgumentException("records must be in strictly ascending offset order, offset "
                        + r.offset() + " follows " + lastOffset);
            }
            if (group == null) {
                group = new Group(Math.min(rowGroupRecords, 1 << 16));
            }
            int id = dictionary.idOf(r);
            group.add(r, id);
            if (id >= 0 && rollups.length > 0) {
                Chunk c = group.chunks[id];
                for (RollupSection rollup : rollups) {
                    rollup.add(id, c.timestamps[c.size - 1], c.values[c.size - 1]);
                }
            }
            recordCount++;
            lastOffset = r.offset();
            minTimestamp = Math.min(minTimestamp, r.timestamp());
            maxTimestamp = Math.max(maxTimestamp, r.timestamp());
            if (group.size == rowGroupRecords) {
                groups.add(group.write(dictionary, out, timestamps));
                group = null;
            }
        }

        public long recordCount() {
            return recordCount;
        }

        /** The smallest timestamp added ({@code Long.MAX_VALUE} when none). */
        public long minTimestamp() {
            return minTimestamp;
        }

        /** The largest timestamp added ({@code Long.MIN_VALUE} when none). */
        public long maxTimestamp() {
            return maxTimestamp;
        }

        /** Writes the last row group, the tail sections and the footer; returns the whole block. */
        public byte[] finish() {
            if (finished) {
                throw new IllegalStateException("the block is finished");
            }
            finished = true;
            if (group != null) {
                groups.add(group.write(dictionary, out, timestamps));
                group = null;
            }
            long[][] rollupEntries = new long[rollups.length][];
            for (int i = 0; i < rollups.length; i++) {
                // a block without series (only side records) has empty rollup sections: nothing to read, nothing to damage
                byte[] raw = dictionary.keys.isEmpty() ? new byte[0] : rollups[i].encode();
                byte[] stored = raw.length == 0 ? raw : Zstd.compress(raw, ZSTD_LEVEL);
                rollupEntries[i] = new long[] {rollups[i].resolution(), out.position(), stored.length, crc32c(stored), raw.length};
                out.raw(stored);
            }
            byte[] timestampBytes = timestamps.toByteArray();
            long timestampsPosition = out.position();
            out.raw(timestampBytes);
            byte[] dictionaryRaw = dictionary.encode();
            byte[] dictionaryBytes = Zstd.compress(dictionaryRaw, ZSTD_LEVEL);
            long dictionaryPosition = out.position();
            out.raw(dictionaryBytes);
            byte[] postingsRaw = dictionary.encodePostings();
            byte[] postingsBytes = Zstd.compress(postingsRaw, ZSTD_LEVEL);
            long postingsPosition = out.position();
            out.raw(postingsBytes);

            BlockBytes.Sink footer = new BlockBytes.Sink()
                    .raw(new byte[] {version})
                    .varint(recordCount)
                    .varint(dictionary.keys.size())
                    .varint(timestampsPosition).varint(timestampBytes.length).varint(crc32c(timestampBytes))
                    .varint(dictionaryPosition).varint(dictionaryBytes.length).varint(crc32c(dictionaryBytes)).varint(dictionaryRaw.length)
                    .varint(postingsPosition).varint(postingsBytes.length).varint(crc32c(postingsBytes)).varint(postingsRaw.length);
            if (version >= VERSION) {
                footer.varint(rollupEntries.length);
            }
            for (long[] e : rollupEntries) {
                footer.varint(e[0]).varint(e[1]).varint(e[2]).varint(e[3]).varint(e[4]);
            }
            footer.varint(groups.size());
            for (GroupEntry g : groups) {
                footer.zigzag(g.firstOffset).zigzag(g.lastOffset).zigzag(g.minTimestamp).zigzag(g.maxTimestamp)
                        .varint(g.recordCount).varint(g.position).varint(g.chunksLength).varint(g.orderLength).varint(g.orderCrc)
                        .varint(g.chunks.size());
                for (ChunkEntry c : g.chunks) {
                    footer.varint(c.series).varint(c.samples).varint(c.timestampColumn).varint(c.length).varint(c.crc);
                }
            }
            byte[] footerBytes = footer.toByteArray();
            out.raw(footerBytes).int32(footerBytes.length).int32((int) crc32c(footerBytes)).raw(MAGIC);
            return out.toByteArray();
        }
    }

    /** The row group being filled: per record its offset and slot, per series its columns, the side records. */
    private static final class Group {
        long[] offsets;
        int[] slots;
        int size;
        Chunk[] chunks = new Chunk[64];
        final List<Integer> present = new ArrayList<>();
        final List<Record> side = new ArrayList<>();
        long minTimestamp = Long.MAX_VALUE;
        long maxTimestamp = Long.MIN_VALUE;

        Group(int capacity) {
            offsets = new long[capacity];
            slots = new int[capacity];
        }

        void add(Record r, int id) {
            if (size == offsets.length) {
                offsets = Arrays.copyOf(offsets, size * 2);
                slots = Arrays.copyOf(slots, size * 2);
            }
            offsets[size] = r.offset();
            slots[size] = id < 0 ? SIDE_SLOT : id + 1;
            size++;
            minTimestamp = Math.min(minTimestamp, r.timestamp());
            maxTimestamp = Math.max(maxTimestamp, r.timestamp());
            if (id < 0) {
                side.add(r);
                return;
            }
            if (id >= chunks.length) {
                chunks = Arrays.copyOf(chunks, Math.max(id + 1, chunks.length * 2));
            }
            if (chunks[id] == null) {
                chunks[id] = new Chunk();
                present.add(id);
            }
            chunks[id].add(r);
        }

        /**
         * Appends the group's body (its series chunks in key order, then its order section) to {@code out} and its
         * distinct timestamp columns to {@code timestamps}.
         */
        GroupEntry write(Dictionary dictionary, BlockBytes.Sink out, BlockBytes.Sink timestamps) {
            Integer[] ids = present.toArray(new Integer[0]);
            Arrays.sort(ids, (a, b) -> Arrays.compareUnsigned(dictionary.keys.get(a), dictionary.keys.get(b)));
            // series scraped together share their timestamps: each distinct column is stored once per group
            Map<TimestampKey, Integer> columnIds = new HashMap<>();
            List<long[]> columns = new ArrayList<>();
            long position = out.position();
            List<ChunkEntry> entries = new ArrayList<>(ids.length);
            for (int id : ids) {
                Chunk c = chunks[id];
                long[] ts = Arrays.copyOf(c.timestamps, c.size);
                int column = columnIds.computeIfAbsent(new TimestampKey(ts), k -> {
                    columns.add(k.timestamps);
                    return columns.size() - 1;
                });
                byte[] body = new BlockBytes.Sink()
                        .bytes(TypeColumn.encode(Arrays.copyOf(c.types, c.size)))
                        .raw(ValueColumn.encode(Arrays.copyOf(c.values, c.size)))
                        .toByteArray();
                out.raw(body);
                entries.add(new ChunkEntry(id, c.size, column, body.length, crc32c(body)));
            }
            long chunksLength = out.position() - position;
            byte[] orderRaw = orderSection();
            byte[] order = new BlockBytes.Sink().varint(orderRaw.length).raw(Zstd.compress(orderRaw, ORDER_ZSTD_LEVEL)).toByteArray();
            out.raw(order);
            timestamps.varint(columns.size());
            for (long[] column : columns) {
                timestamps.bytes(PackedLongs.encode(column, true));
            }
            return new GroupEntry(offsets[0], offsets[size - 1], minTimestamp, maxTimestamp, size, position, chunksLength,
                    order.length, crc32c(order), entries);
        }

        /**
         * Which series each record of the group is, as runs of consecutive slots (a scrape of one target is one run;
         * a scrape in the order the series were first seen is one run), then the offsets that do not follow their
         * predecessor by one (none, unless the segment was compacted), then the side records.
         */
        private byte[] orderSection() {
            BlockBytes.Sink runs = new BlockBytes.Sink();
            int runCount = 0;
            long previousEnd = 0;
            for (int i = 0; i < size; ) {
                int j = i + 1;
                while (j < size && slots[j] == slots[j - 1] + 1 && slots[j - 1] != SIDE_SLOT) {
                    j++;
                }
                runs.zigzag(slots[i] - previousEnd).varint(j - i - 1L);
                previousEnd = slots[j - 1] + 1L;
                runCount++;
                i = j;
            }
            BlockBytes.Sink gaps = new BlockBytes.Sink();
            int gapCount = 0;
            int previousIndex = 0;
            for (int i = 1; i < size; i++) {
                long step = offsets[i] - offsets[i - 1];
                if (step != 1) {
                    gaps.varint(i - previousIndex).varint(step - 2);
                    previousIndex = i;
                    gapCount++;
                }
            }
            BlockBytes.Sink out = new BlockBytes.Sink().varint(runCount).raw(runs.toByteArray())
                    .varint(gapCount).raw(gaps.toByteArray())
                    .varint(side.size());
            for (Record r : side) {
                out.zigzag(r.timestamp()).nullableBytes(r.key()).nullableBytes(r.value()).varint(r.headers().size());
                for (var h : r.headers()) {
                    out.bytes(h.key().getBytes(StandardCharsets.UTF_8)).nullableBytes(h.value());
                }
            }
            return out.toByteArray();
        }
    }

    /** A record following the metric convention exactly: series key, 9-byte value, no headers. */
    static boolean isSample(Record r) {
        return r.key() != null && r.value() != null && r.value().length == MetricCodec.VALUE_SIZE
                && r.headers().isEmpty();
    }

    private record ChunkEntry(int series, int samples, int timestampColumn, int length, long crc) {
    }

    private record GroupEntry(long firstOffset, long lastOffset, long minTimestamp, long maxTimestamp, int recordCount,
                              long position, long chunksLength, int orderLength, long orderCrc, List<ChunkEntry> chunks) {
    }

    /** A timestamp column compared by content, to store identical columns once. */
    private record TimestampKey(long[] timestamps) {
        @Override
        public boolean equals(Object o) {
            return o instanceof TimestampKey k && Arrays.equals(timestamps, k.timestamps);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(timestamps);
        }
    }

    /** CRC32C as an unsigned 32-bit value. */
    static long crc32c(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        return crc.getValue();
    }

    /** One series' samples within one row group, as parallel arrays. */
    private static final class Chunk {
        long[] timestamps = new long[16];
        double[] values = new double[16];
        byte[] types = new byte[16];
        int size;

        void add(Record r) {
            if (size == timestamps.length) {
                int n = size * 2;
                timestamps = Arrays.copyOf(timestamps, n);
                values = Arrays.copyOf(values, n);
                types = Arrays.copyOf(types, n);
            }
            byte[] v = r.value();
            long bits = 0;
            for (int i = 1; i < MetricCodec.VALUE_SIZE; i++) {
                bits = (bits << 8) | (v[i] & 0xFF);
            }
            timestamps[size] = r.timestamp();
            types[size] = v[0];
            values[size] = Double.longBitsToDouble(bits);
            size++;
        }
    }

    /**
     * The sample series of a segment, ids in first-seen order, and their label postings; a record's id is found with
     * one hash of its key.
     */
    private static final class Dictionary {
        final List<byte[]> keys = new ArrayList<>();
        final Map<ByteKey, Integer> ids = new HashMap<>();
        final Map<String, TreeMap<String, List<Integer>>> postings = new TreeMap<>();

        /** The series id of a sample record, or -1 when the record goes to the side section. */
        int idOf(Record r) {
            if (!isSample(r)) {
                return -1;
            }
            ByteKey key = new ByteKey(r.key());
            Integer id = ids.get(key);
            if (id == null) {
                try {
                    SeriesKey parsed = SeriesKey.parse(r.key());
                    id = keys.size();
                    keys.add(r.key().clone());
                    int series = id;
                    post(SeriesBlockReader.NAME_LABEL, parsed.name(), series);
                    parsed.tags().forEach((k, v) -> post(k, v, series));
                } catch (CorruptBatchException notASeriesKey) {
                    id = -1; // kept verbatim as a side record
                }
                ids.put(new ByteKey(r.key().clone()), id);
            }
            return id;
        }

        private void post(String label, String value, int id) {
            postings.computeIfAbsent(label, k -> new TreeMap<>()).computeIfAbsent(value, k -> new ArrayList<>()).add(id);
        }

        byte[] encode() {
            BlockBytes.Sink out = new BlockBytes.Sink().varint(keys.size());
            keys.forEach(out::bytes);
            return out.toByteArray();
        }

        /** Label names sorted, each with its values sorted, each with its ascending series ids delta-encoded. */
        byte[] encodePostings() {
            BlockBytes.Sink out = new BlockBytes.Sink().varint(postings.size());
            postings.forEach((label, values) -> {
                out.bytes(label.getBytes(StandardCharsets.UTF_8)).varint(values.size());
                values.forEach((value, idList) -> {
                    out.bytes(value.getBytes(StandardCharsets.UTF_8)).varint(idList.size());
                    int previous = 0;
                    for (int id : idList) {
                        out.varint(id - previous);
                        previous = id;
                    }
                });
            });
            return out.toByteArray();
        }
    }
}
