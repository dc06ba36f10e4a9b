package io.tierlog.cold.series;

import io.tierlog.core.CorruptBatchException;
import io.tierlog.core.MetricCodec;
import io.tierlog.core.Record;
import io.tierlog.core.SeriesKey;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.zip.CRC32C;

/**
 * The version-1 series block writer as it shipped (test fixture: version-1 objects in S3 must stay readable), kept
 * verbatim but for its name. Writes the records of one closed segment of a {@code metrics} topic as a series block (layout in
 * {@code docs/format.md}): metric samples become per-series compressed columns grouped in row groups by offset, with
 * a series dictionary and label postings for selective reads; every other record is kept verbatim in its row group's
 * side section. A pure function of its input, so it is tested without storage and {@link SeriesBlockReader} returns
 * exactly the records given here.
 */
public final class VersionOneBlockWriter {
    /**
     * Samples per series a row group aims at: each chunk carries a fixed cost (ids, lengths, first timestamp, value
     * and offset), which ~120 samples make small against their ~1-2 bytes each (Prometheus cuts chunks at 120).
     */
    static final int SAMPLES_PER_CHUNK = 120;
    /** Row group bounds: a random offset read fetches and decodes one group, so it may not grow without limit. */
    static final int MIN_ROW_GROUP_RECORDS = 4096;
    static final int MAX_ROW_GROUP_RECORDS = 1 << 17;

    static final byte[] MAGIC = "TLSB".getBytes(StandardCharsets.US_ASCII);
    static final byte VERSION = 1;
    /** Trailer: footer length (int32), CRC32C of the footer (int32), magic. */
    static final int TRAILER_SIZE = 12;
    static final int HEADER_SIZE = MAGIC.length + 1;

    private VersionOneBlockWriter() {
    }

    /**
     * Writes {@code records}, which must be in strictly ascending offset order (as a segment holds them), in row
     * groups of about {@link #SAMPLES_PER_CHUNK} samples per series (within {@link #MIN_ROW_GROUP_RECORDS} and
     * {@link #MAX_ROW_GROUP_RECORDS} records).
     */
    public static byte[] write(List<Record> records) {
        java.util.Set<ByteBuffer> series = new java.util.HashSet<>();
        for (Record r : records) {
            if (isSample(r)) {
                series.add(ByteBuffer.wrap(r.key()));
            }
        }
        long target = (long) series.size() * SAMPLES_PER_CHUNK;
        return write(records, (int) Math.max(MIN_ROW_GROUP_RECORDS, Math.min(MAX_ROW_GROUP_RECORDS, target)));
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
        Dictionary dictionary = new Dictionary();
        BlockBytes.Sink out = new BlockBytes.Sink().raw(MAGIC).raw(new byte[] {VERSION});
        List<GroupEntry> groups = new ArrayList<>();
        for (int from = 0; from < records.size(); from += rowGroupRecords) {
            List<Record> group = records.subList(from, Math.min(records.size(), from + rowGroupRecords));
            long position = out.position();
            byte[] body = writeGroup(group, dictionary);
            out.raw(body);
            groups.add(new GroupEntry(group.getFirst().offset(), group.getLast().offset(),
                    group.stream().mapToLong(Record::timestamp).min().orElseThrow(),
                    group.stream().mapToLong(Record::timestamp).max().orElseThrow(),
                    group.size(), position, body.length, crc32c(body)));
        }
        long dictionaryPosition = out.position();
        byte[] dictionaryBytes = dictionary.encode();
        out.raw(dictionaryBytes);
        long postingsPosition = out.position();
        byte[] postingsBytes = dictionary.encodePostings();
        out.raw(postingsBytes);

        BlockBytes.Sink footer = new BlockBytes.Sink()
                .raw(new byte[] {VERSION})
                .varint(records.size())
                .varint(dictionary.keys.size())
                .varint(dictionaryPosition).varint(dictionaryBytes.length).varint(crc32c(dictionaryBytes))
                .varint(postingsPosition).varint(postingsBytes.length).varint(crc32c(postingsBytes))
                .varint(groups.size());
        for (GroupEntry g : groups) {
            footer.zigzag(g.firstOffset).zigzag(g.lastOffset).zigzag(g.minTimestamp).zigzag(g.maxTimestamp)
                    .varint(g.recordCount).varint(g.position).varint(g.length).varint(g.crc);
        }
        byte[] footerBytes = footer.toByteArray();
        out.raw(footerBytes).int32(footerBytes.length).int32((int) crc32c(footerBytes)).raw(MAGIC);
        return out.toByteArray();
    }

    private static byte[] writeGroup(List<Record> group, Dictionary dictionary) {
        Map<Integer, Chunk> chunks = new TreeMap<>();
        List<Record> side = new ArrayList<>();
        for (Record r : group) {
            int id = isSample(r) ? dictionary.idOf(r.key()) : -1;
            if (id < 0) {
                side.add(r);
            } else {
                chunks.computeIfAbsent(id, k -> new Chunk()).add(r);
            }
        }
        BlockBytes.Sink out = new BlockBytes.Sink().varint(chunks.size());
        for (Map.Entry<Integer, Chunk> e : chunks.entrySet()) {
            Chunk c = e.getValue();
            out.varint(e.getKey()).varint(c.size)
                    .bytes(TimestampColumn.encode(java.util.Arrays.copyOf(c.timestamps, c.size)))
                    .bytes(ValueColumn.encodeVersion1(java.util.Arrays.copyOf(c.values, c.size)))
                    .bytes(TypeColumn.encode(java.util.Arrays.copyOf(c.types, c.size)))
                    .bytes(OffsetColumn.encode(java.util.Arrays.copyOf(c.offsets, c.size)));
        }
        out.varint(side.size());
        for (Record r : side) {
            out.zigzag(r.offset()).zigzag(r.timestamp()).nullableBytes(r.key()).nullableBytes(r.value())
                    .varint(r.headers().size());
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

    private record GroupEntry(long firstOffset, long lastOffset, long minTimestamp, long maxTimestamp,
                              int recordCount, long position, int length, long crc) {
    }

    /** CRC32C as an unsigned 32-bit value. */
    static long crc32c(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        return crc.getValue();
    }

    /** One series' samples within one row group, as parallel arrays. */
    private static final class Chunk {
        long[] offsets = new long[16];
        long[] timestamps = new long[16];
        double[] values = new double[16];
        byte[] types = new byte[16];
        int size;

        void add(Record r) {
            if (size == offsets.length) {
                int n = size * 2;
                offsets = java.util.Arrays.copyOf(offsets, n);
                timestamps = java.util.Arrays.copyOf(timestamps, n);
                values = java.util.Arrays.copyOf(values, n);
                types = java.util.Arrays.copyOf(types, n);
            }
            ByteBuffer v = ByteBuffer.wrap(r.value());
            offsets[size] = r.offset();
            timestamps[size] = r.timestamp();
            types[size] = v.get();
            values[size] = Double.longBitsToDouble(v.getLong());
            size++;
        }
    }

    /** Series keys in first-seen order (the id is the index), and the labels each parses into. */
    private static final class Dictionary {
        final List<byte[]> keys = new ArrayList<>();
        final Map<ByteBuffer, Integer> ids = new HashMap<>();
        final Map<String, TreeMap<String, TreeSet<Integer>>> postings = new TreeMap<>();

        /** The id of a series key, or -1 when the key does not parse as a series key (the record goes aside). */
        int idOf(byte[] key) {
            Integer known = ids.get(ByteBuffer.wrap(key));
            if (known != null) {
                return known;
            }
            SeriesKey parsed;
            try {
                parsed = SeriesKey.parse(key);
            } catch (CorruptBatchException notASeriesKey) {
                return -1;
            }
            int id = keys.size();
            keys.add(key);
            ids.put(ByteBuffer.wrap(key), id);
            post(SeriesBlockReader.NAME_LABEL, parsed.name(), id);
            parsed.tags().forEach((k, v) -> post(k, v, id));
            return id;
        }

        private void post(String label, String value, int id) {
            postings.computeIfAbsent(label, k -> new TreeMap<>()).computeIfAbsent(value, k -> new TreeSet<>()).add(id);
        }

        byte[] encode() {
            BlockBytes.Sink out = new BlockBytes.Sink().varint(keys.size());
            keys.forEach(out::bytes);
            return out.toByteArray();
        }

        /** Label names sorted, each with its values sorted, each with its ascending series ids delta-encoded. */
        byte[] encodePostings() {
            BlockBytes.Sink out = new BlockBytes.Sink().varint(postings.size());
            Map<String, TreeMap<String, TreeSet<Integer>>> ordered = new LinkedHashMap<>(postings);
            ordered.forEach((label, values) -> {
                out.bytes(label.getBytes(StandardCharsets.UTF_8)).varint(values.size());
                values.forEach((value, idSet) -> {
                    out.bytes(value.getBytes(StandardCharsets.UTF_8)).varint(idSet.size());
                    int previous = 0;
                    for (int id : idSet) {
                        out.varint(id - previous);
                        previous = id;
                    }
                });
            });
            return out.toByteArray();
        }
    }
}
