package io.tierlog.cold.series;

import com.github.luben.zstd.Zstd;
import io.tierlog.core.CorruptBatchException;
import io.tierlog.core.MetricCodec;
import io.tierlog.core.Record;
import io.tierlog.core.SeriesKey;

import java.nio.ByteBuffer;
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
 * a sorted series dictionary and label postings for selective reads; every other record is kept verbatim in its row
 * group's side section. What a selective query needs (dictionary, postings, the row groups' shared timestamp columns
 * and the footer with every chunk's position) sits together at the end of the object, so that one or two ranged reads
 * fetch it, and the matching series' chunks of a row group are one more (series of one metric name are adjacent,
 * as ids follow the sorted keys). Record offsets are not stored per series: a row group's order section says which
 * series (or side record) each offset holds, a few bytes per scrape. A pure function of its input, so it is tested
 * without storage and {@link SeriesBlockReader} returns exactly the records given here.
 */
public final class SeriesBlockWriter {
    /**
     * Records per row group: a random offset read fetches and decodes one group, and a selective read costs one ranged
     * GET per group it touches, so groups are large enough that a usual segment is one or a few of them.
     */
    static final int ROW_GROUP_RECORDS = 1 << 20;

    static final byte[] MAGIC = "TLSB".getBytes(StandardCharsets.US_ASCII);
    static final byte VERSION = 2;
    /** Trailer: footer length (int32), CRC32C of the footer (int32), magic. */
    static final int TRAILER_SIZE = 12;
    static final int HEADER_SIZE = MAGIC.length + 1;
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
        if (rowGroupRecords < 1) {
            throw new IllegalArgumentException("rowGroupRecords must be positive: " + rowGroupRecords);
        }
        for (int i = 1; i < records.size(); i++) {
            if (records.get(i).offset() <= records.get(i - 1).offset()) {
                throw new IllegalArgumentException("records must be in strictly ascending offset order, offset "
                        + records.get(i).offset() + " follows " + records.get(i - 1).offset());
            }
        }
        Dictionary dictionary = Dictionary.of(records);
        BlockBytes.Sink out = new BlockBytes.Sink().raw(MAGIC).raw(new byte[] {VERSION});
        List<GroupEntry> groups = new ArrayList<>();
        BlockBytes.Sink timestamps = new BlockBytes.Sink();
        for (int from = 0; from < records.size(); from += rowGroupRecords) {
            List<Record> group = records.subList(from, Math.min(records.size(), from + rowGroupRecords));
            groups.add(writeGroup(group, from, dictionary, out, timestamps));
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
                .raw(new byte[] {VERSION})
                .varint(records.size())
                .varint(dictionary.keys.size())
                .varint(timestampsPosition).varint(timestampBytes.length).varint(crc32c(timestampBytes))
                .varint(dictionaryPosition).varint(dictionaryBytes.length).varint(crc32c(dictionaryBytes)).varint(dictionaryRaw.length)
                .varint(postingsPosition).varint(postingsBytes.length).varint(crc32c(postingsBytes)).varint(postingsRaw.length)
                .varint(groups.size());
        for (GroupEntry g : groups) {
            footer.zigzag(g.firstOffset).zigzag(g.lastOffset).zigzag(g.minTimestamp).zigzag(g.maxTimestamp)
                    .varint(g.recordCount).varint(g.position).varint(g.chunksLength).varint(g.orderLength).varint(g.orderCrc)
                    .varint(g.chunks.size());
            int previous = -1;
            for (ChunkEntry c : g.chunks) {
                footer.varint(c.series - previous - 1).varint(c.samples).varint(c.timestampColumn).varint(c.length).varint(c.crc);
                previous = c.series;
            }
        }
        byte[] footerBytes = footer.toByteArray();
        out.raw(footerBytes).int32(footerBytes.length).int32((int) crc32c(footerBytes)).raw(MAGIC);
        return out.toByteArray();
    }

    /**
     * Appends one row group's body (its series chunks, then its order section) to {@code out} and its distinct
     * timestamp columns to {@code timestamps}.
     */
    private static GroupEntry writeGroup(List<Record> group, int first, Dictionary dictionary, BlockBytes.Sink out,
                                         BlockBytes.Sink timestamps) {
        int sideSlot = dictionary.keys.size();
        Chunk[] chunks = new Chunk[sideSlot];
        int[] slots = new int[group.size()];
        List<Record> side = new ArrayList<>();
        long minTimestamp = Long.MAX_VALUE;
        long maxTimestamp = Long.MIN_VALUE;
        for (int i = 0; i < group.size(); i++) {
            Record r = group.get(i);
            int id = dictionary.idOfRecord[first + i];
            minTimestamp = Math.min(minTimestamp, r.timestamp());
            maxTimestamp = Math.max(maxTimestamp, r.timestamp());
            slots[i] = id < 0 ? sideSlot : id;
            if (id < 0) {
                side.add(r);
            } else {
                if (chunks[id] == null) {
                    chunks[id] = new Chunk();
                }
                chunks[id].add(r);
            }
        }
        // series scraped together share their timestamps: each distinct column is stored once per group
        Map<TimestampKey, Integer> columnIds = new HashMap<>();
        List<long[]> columns = new ArrayList<>();
        long position = out.position();
        List<ChunkEntry> entries = new ArrayList<>();
        for (int series = 0; series < chunks.length; series++) {
            Chunk c = chunks[series];
            if (c == null) {
                continue;
            }
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
            entries.add(new ChunkEntry(series, c.size, column, body.length, crc32c(body)));
        }
        long chunksLength = out.position() - position;
        byte[] orderRaw = orderSection(group, slots, sideSlot, side);
        byte[] order = new BlockBytes.Sink().varint(orderRaw.length).raw(Zstd.compress(orderRaw, ORDER_ZSTD_LEVEL)).toByteArray();
        out.raw(order);
        timestamps.varint(columns.size());
        for (long[] column : columns) {
            timestamps.bytes(PackedLongs.encode(column, true));
        }
        return new GroupEntry(group.getFirst().offset(), group.getLast().offset(), minTimestamp, maxTimestamp,
                group.size(), position, chunksLength, order.length, crc32c(order), entries);
    }

    /**
     * Which series each record of the group is, as runs of consecutive series ids (a scrape of one target is one
     * run; a whole scrape in key order is one run), then the offsets that do not follow their predecessor by one
     * (none, unless the segment was compacted), then the side records.
     */
    private static byte[] orderSection(List<Record> group, int[] slots, int sideSlot, List<Record> side) {
        BlockBytes.Sink runs = new BlockBytes.Sink();
        int runCount = 0;
        long previousEnd = 0;
        for (int i = 0; i < slots.length; ) {
            int j = i + 1;
            while (j < slots.length && slots[j] == slots[j - 1] + 1 && slots[j] != sideSlot) {
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
        for (int i = 1; i < group.size(); i++) {
            long step = group.get(i).offset() - group.get(i - 1).offset();
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
     * The sample series of a segment, ids in unsigned byte order of their keys, and their label postings; and, per
     * record, its series id or -1 (side record), found with one hash of its key.
     */
    private static final class Dictionary {
        final List<byte[]> keys;
        final int[] idOfRecord;
        final Map<String, TreeMap<String, List<Integer>>> postings = new TreeMap<>();

        private Dictionary(List<byte[]> keys, List<SeriesKey> parsed, int[] idOfRecord) {
            this.keys = keys;
            this.idOfRecord = idOfRecord;
            for (int id = 0; id < keys.size(); id++) {
                int series = id;
                post(SeriesBlockReader.NAME_LABEL, parsed.get(id).name(), series);
                parsed.get(id).tags().forEach((k, v) -> post(k, v, series));
            }
        }

        static Dictionary of(List<Record> records) {
            Map<Key, Integer> firstSeen = new HashMap<>();
            List<byte[]> seenKeys = new ArrayList<>();
            List<SeriesKey> seenParsed = new ArrayList<>();
            int[] idOfRecord = new int[records.size()];
            for (int i = 0; i < records.size(); i++) {
                Record r = records.get(i);
                if (!isSample(r)) {
                    idOfRecord[i] = -1;
                    continue;
                }
                Integer id = firstSeen.get(new Key(r.key()));
                if (id == null) {
                    SeriesKey parsed;
                    try {
                        parsed = SeriesKey.parse(r.key());
                        id = seenKeys.size();
                        seenKeys.add(r.key());
                        seenParsed.add(parsed);
                    } catch (CorruptBatchException notASeriesKey) {
                        id = -1; // kept verbatim as a side record
                    }
                    firstSeen.put(new Key(r.key()), id);
                }
                idOfRecord[i] = id;
            }
            Integer[] order = new Integer[seenKeys.size()];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> Arrays.compareUnsigned(seenKeys.get(a), seenKeys.get(b)));
            int[] sortedId = new int[order.length];
            List<byte[]> keys = new ArrayList<>(order.length);
            List<SeriesKey> parsed = new ArrayList<>(order.length);
            for (int rank = 0; rank < order.length; rank++) {
                sortedId[order[rank]] = rank;
                keys.add(seenKeys.get(order[rank]));
                parsed.add(seenParsed.get(order[rank]));
            }
            for (int i = 0; i < idOfRecord.length; i++) {
                if (idOfRecord[i] >= 0) {
                    idOfRecord[i] = sortedId[idOfRecord[i]];
                }
            }
            return new Dictionary(keys, parsed, idOfRecord);
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

    /** A record key compared by content, its (vectorised) hash computed once. */
    private record Key(byte[] bytes, int hash) {
        Key(byte[] bytes) {
            this(bytes, Arrays.hashCode(bytes));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.hash == hash && Arrays.equals(bytes, k.bytes);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }
}
