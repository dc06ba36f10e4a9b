package io.tierlog.cold.series;

import io.tierlog.core.Header;
import io.tierlog.core.Record;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a series block written by {@link SeriesBlockWriter} through ranged reads: one for the trailer and footer
 * (which give every position), one for the dictionary, and one per row group an offset range touches, so a random
 * offset read costs three ranged GETs. Records come back exactly as they were appended: offsets, timestamps, keys,
 * value bytes (NaN payloads included) and headers. A damaged object fails as {@link SeriesFormatException}, and
 * every count or length is checked against the section that holds it before anything is allocated for it.
 *
 * <p>Thread safety: safe for concurrent reads (immutable but for the dictionary, which is cached after the first
 * read that needs it; two threads may both fetch it, harmlessly).
 */
public final class SeriesBlockReader {
    /** The label under which postings list a series' metric name. */
    public static final String NAME_LABEL = "__name__";
    /** A footer larger than this is damage: a block of a 1 GiB segment has a few thousand row groups. */
    public static final int MAX_FOOTER_BYTES = 16 << 20;
    /** How much of the object's tail the first read fetches, so a footer of usual size costs one GET. */
    static final int TAIL_READ = 64 << 10;

    private final RangeSource source;
    private final long recordCount;
    private final int seriesCount;
    private final long dictionaryPosition;
    private final int dictionaryLength;
    private final long dictionaryCrc;
    private final long postingsPosition;
    private final int postingsLength;
    private final long postingsCrc;
    private final List<RowGroup> rowGroups;
    private volatile List<byte[]> dictionary;

    /** Where one row group sits and what it holds, from the footer. */
    public record RowGroup(long firstOffset, long lastOffset, long minTimestamp, long maxTimestamp,
                           int recordCount, long position, int length, long crc) {
    }

    private SeriesBlockReader(RangeSource source, long objectSize, byte[] footer) {
        this.source = source;
        long bodyEnd = objectSize - SeriesBlockWriter.TRAILER_SIZE - footer.length;
        BlockBytes.Source in = new BlockBytes.Source(footer);
        byte version = in.raw(1)[0];
        if (version != SeriesBlockWriter.VERSION) {
            throw new SeriesFormatException("series block version " + version + " is not supported");
        }
        this.recordCount = in.bounded(Long.MAX_VALUE, "record count");
        this.seriesCount = (int) in.bounded(Integer.MAX_VALUE, "series count");
        this.dictionaryPosition = in.bounded(bodyEnd, "dictionary position");
        this.dictionaryLength = (int) in.bounded(Math.min(Integer.MAX_VALUE, bodyEnd - dictionaryPosition), "dictionary length");
        this.dictionaryCrc = in.bounded(0xFFFFFFFFL, "dictionary CRC");
        this.postingsPosition = in.bounded(bodyEnd, "postings position");
        this.postingsLength = (int) in.bounded(Math.min(Integer.MAX_VALUE, bodyEnd - postingsPosition), "postings length");
        this.postingsCrc = in.bounded(0xFFFFFFFFL, "postings CRC");
        int groups = in.count(Integer.MAX_VALUE, "row group");
        List<RowGroup> list = new ArrayList<>(groups);
        long total = 0;
        for (int i = 0; i < groups; i++) {
            long first = in.zigzag();
            long last = in.zigzag();
            long minTs = in.zigzag();
            long maxTs = in.zigzag();
            int count = (int) in.bounded(Integer.MAX_VALUE, "row group record count");
            long position = in.bounded(bodyEnd, "row group position");
            int length = (int) in.bounded(Math.min(Integer.MAX_VALUE, bodyEnd - position), "row group length");
            long crc = in.bounded(0xFFFFFFFFL, "row group CRC");
            if (last < first || maxTs < minTs || count < 1 || (!list.isEmpty() && first <= list.getLast().lastOffset())) {
                throw new SeriesFormatException("row group " + i + " has an impossible index entry");
            }
            total += count;
            list.add(new RowGroup(first, last, minTs, maxTs, count, position, length, crc));
        }
        if (total != recordCount || in.remaining() != 0) {
            throw new SeriesFormatException("footer does not add up: groups hold " + total + " of " + recordCount + " records");
        }
        this.rowGroups = List.copyOf(list);
    }

    /** Reads the trailer and footer of an object of {@code objectSize} bytes (one ranged read when the footer is small). */
    public static SeriesBlockReader open(RangeSource source, long objectSize) {
        int minimum = SeriesBlockWriter.HEADER_SIZE + SeriesBlockWriter.TRAILER_SIZE;
        if (objectSize < minimum) {
            throw new SeriesFormatException("series block of " + objectSize + " bytes is shorter than its header and trailer");
        }
        int tailLength = (int) Math.min(objectSize, TAIL_READ);
        byte[] tail = fetch(source, objectSize - tailLength, tailLength);
        BlockBytes.Source trailer = new BlockBytes.Source(tail, tailLength - SeriesBlockWriter.TRAILER_SIZE, tailLength);
        int footerLength = trailer.int32();
        int footerCrc = trailer.int32();
        if (!Arrays.equals(trailer.raw(4), SeriesBlockWriter.MAGIC)) {
            throw new SeriesFormatException("object does not end with the series block magic");
        }
        if (footerLength < 1 || footerLength > MAX_FOOTER_BYTES || footerLength > objectSize - minimum) {
            throw new SeriesFormatException("series block footer length " + footerLength + " out of bounds");
        }
        byte[] footer = footerLength <= tailLength - SeriesBlockWriter.TRAILER_SIZE
                ? Arrays.copyOfRange(tail, tailLength - SeriesBlockWriter.TRAILER_SIZE - footerLength,
                        tailLength - SeriesBlockWriter.TRAILER_SIZE)
                : fetch(source, objectSize - SeriesBlockWriter.TRAILER_SIZE - footerLength, footerLength);
        if ((int) SeriesBlockWriter.crc32c(footer) != footerCrc) {
            throw new SeriesFormatException("series block footer fails its CRC32C");
        }
        return new SeriesBlockReader(source, objectSize, footer);
    }

    public long recordCount() {
        return recordCount;
    }

    public int seriesCount() {
        return seriesCount;
    }

    public List<RowGroup> rowGroups() {
        return rowGroups;
    }

    /** The first offset in the block, or -1 when it is empty. */
    public long firstOffset() {
        return rowGroups.isEmpty() ? -1 : rowGroups.getFirst().firstOffset();
    }

    /** The last offset in the block, or -1 when it is empty. */
    public long lastOffset() {
        return rowGroups.isEmpty() ? -1 : rowGroups.getLast().lastOffset();
    }

    public long minTimestamp() {
        return rowGroups.stream().mapToLong(RowGroup::minTimestamp).min().orElse(Long.MAX_VALUE);
    }

    public long maxTimestamp() {
        return rowGroups.stream().mapToLong(RowGroup::maxTimestamp).max().orElse(Long.MIN_VALUE);
    }

    /**
     * The offset of the first record whose row group may hold a timestamp at or after {@code timestamp}: the first
     * offset of the first row group whose max time reaches it, or -1 when none does. Exact per row group, as the
     * segment's time index is per index interval.
     */
    public long offsetForTimestamp(long timestamp) {
        return rowGroups.stream().filter(g -> g.maxTimestamp() >= timestamp).mapToLong(RowGroup::firstOffset)
                .findFirst().orElse(-1);
    }

    /** The offset of the first record with a timestamp at or after {@code timestamp}, or -1 when there is none. */
    public long firstOffsetAtOrAfter(long timestamp) {
        for (RowGroup g : rowGroups) {
            if (g.maxTimestamp() >= timestamp) {
                for (Record r : readGroup(g)) {
                    if (r.timestamp() >= timestamp) {
                        return r.offset();
                    }
                }
            }
        }
        return -1;
    }

    /** Up to {@code maxRecords} records with offsets at or after {@code fromOffset}, in offset order. */
    public List<Record> read(long fromOffset, int maxRecords) {
        List<Record> out = new ArrayList<>();
        for (RowGroup g : rowGroups) {
            if (out.size() >= maxRecords) {
                break;
            }
            if (g.lastOffset() < fromOffset) {
                continue;
            }
            for (Record r : readGroup(g)) {
                if (r.offset() >= fromOffset && out.size() < maxRecords) {
                    out.add(r);
                }
            }
        }
        return out;
    }

    /** The series keys, indexed by series id (one ranged read, then cached). */
    public List<byte[]> dictionary() {
        if (dictionary == null) {
            byte[] bytes = checked(fetch(source, dictionaryPosition, dictionaryLength), dictionaryCrc, "dictionary");
            BlockBytes.Source in = new BlockBytes.Source(bytes);
            int n = in.count(seriesCount, "dictionary series");
            if (n != seriesCount) {
                throw new SeriesFormatException("dictionary holds " + n + " series, the footer says " + seriesCount);
            }
            List<byte[]> keys = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                keys.add(in.bytes());
            }
            dictionary = List.copyOf(keys);
        }
        return dictionary;
    }

    /**
     * The label postings (one ranged read): label name, then label value, then the ascending ids of the series that
     * carry it. The metric name is listed under {@link #NAME_LABEL}.
     */
    public Map<String, Map<String, int[]>> postings() {
        BlockBytes.Source in = new BlockBytes.Source(checked(fetch(source, postingsPosition, postingsLength), postingsCrc, "postings"));
        int labels = in.count(Integer.MAX_VALUE, "postings label");
        Map<String, Map<String, int[]>> out = new HashMap<>();
        for (int l = 0; l < labels; l++) {
            String label = in.string();
            int values = in.count(Integer.MAX_VALUE, "postings value");
            Map<String, int[]> byValue = new HashMap<>();
            for (int v = 0; v < values; v++) {
                String value = in.string();
                int[] ids = new int[in.count(seriesCount, "postings series")];
                long id = 0;
                for (int i = 0; i < ids.length; i++) {
                    id += in.bounded(seriesCount, "postings series id delta");
                    if (id >= seriesCount) {
                        throw new SeriesFormatException("postings name series " + id + " of " + seriesCount);
                    }
                    ids[i] = (int) id;
                }
                byValue.put(value, ids);
            }
            out.put(label, byValue);
        }
        return out;
    }

    /** One series' samples selected by {@link #select}: parallel arrays in offset order. */
    public record SeriesSamples(byte[] key, long[] offsets, long[] timestamps, double[] values, byte[] types) {
    }

    /**
     * The samples of the series carrying every label in {@code labels} (name -> value; the metric name under
     * {@link #NAME_LABEL}; an empty map selects every series) with timestamps in [{@code minTimestamp},
     * {@code maxTimestamp}], per series in offset order. Reads the postings and dictionary once, then only the row
     * groups whose time bounds overlap the range, and decodes only the matching series' chunks in them. Side
     * records are not samples and are never returned here.
     */
    public List<SeriesSamples> select(Map<String, String> labels, long minTimestamp, long maxTimestamp) {
        java.util.BitSet wanted = new java.util.BitSet(seriesCount);
        wanted.set(0, seriesCount);
        if (!labels.isEmpty()) {
            Map<String, Map<String, int[]>> postings = postings();
            for (Map.Entry<String, String> label : labels.entrySet()) {
                int[] ids = postings.getOrDefault(label.getKey(), Map.of()).getOrDefault(label.getValue(), new int[0]);
                java.util.BitSet having = new java.util.BitSet(seriesCount);
                for (int id : ids) {
                    having.set(id);
                }
                wanted.and(having);
            }
        }
        if (wanted.isEmpty()) {
            return List.of();
        }
        List<byte[]> keys = dictionary();
        Map<Integer, List<long[]>> offsets = new java.util.TreeMap<>();
        Map<Integer, List<long[]>> times = new HashMap<>();
        Map<Integer, List<double[]>> values = new HashMap<>();
        Map<Integer, List<byte[]>> types = new HashMap<>();
        for (RowGroup g : rowGroups) {
            if (g.maxTimestamp() < minTimestamp || g.minTimestamp() > maxTimestamp) {
                continue;
            }
            BlockBytes.Source in = new BlockBytes.Source(checked(fetch(source, g.position(), g.length()), g.crc(),
                    "row group at offset " + g.firstOffset()));
            int chunks = in.count(g.recordCount(), "series chunk");
            for (int c = 0; c < chunks; c++) {
                int series = (int) in.bounded(seriesCount - 1L, "series id");
                int samples = (int) in.bounded(g.recordCount(), "chunk sample count");
                if (!wanted.get(series)) {
                    for (int column = 0; column < 4; column++) {
                        in.skipBytes();
                    }
                    continue;
                }
                long[] ts = TimestampColumn.decode(in.bytes(), samples);
                double[] vs = ValueColumn.decode(in.bytes(), samples);
                byte[] ty = TypeColumn.decode(in.bytes(), samples);
                long[] os = OffsetColumn.decode(in.bytes(), samples);
                if (ts.length != samples || vs.length != samples || os.length != samples) {
                    throw new SeriesFormatException("chunk of series " + series + " has columns of unequal length");
                }
                offsets.computeIfAbsent(series, k -> new ArrayList<>()).add(os);
                times.computeIfAbsent(series, k -> new ArrayList<>()).add(ts);
                values.computeIfAbsent(series, k -> new ArrayList<>()).add(vs);
                types.computeIfAbsent(series, k -> new ArrayList<>()).add(ty);
            }
        }
        List<SeriesSamples> out = new ArrayList<>();
        for (int series : offsets.keySet()) {
            List<long[]> os = offsets.get(series);
            List<long[]> ts = times.get(series);
            List<double[]> vs = values.get(series);
            List<byte[]> ty = types.get(series);
            int n = 0;
            for (int i = 0; i < os.size(); i++) {
                for (long t : ts.get(i)) {
                    n += t >= minTimestamp && t <= maxTimestamp ? 1 : 0;
                }
            }
            SeriesSamples selected = new SeriesSamples(keys.get(series).clone(), new long[n], new long[n], new double[n], new byte[n]);
            int k = 0;
            for (int i = 0; i < os.size(); i++) {
                for (int j = 0; j < os.get(i).length; j++) {
                    long t = ts.get(i)[j];
                    if (t >= minTimestamp && t <= maxTimestamp) {
                        selected.offsets()[k] = os.get(i)[j];
                        selected.timestamps()[k] = t;
                        selected.values()[k] = vs.get(i)[j];
                        selected.types()[k] = ty.get(i)[j];
                        k++;
                    }
                }
            }
            if (n > 0) {
                out.add(selected);
            }
        }
        return out;
    }

    private List<Record> readGroup(RowGroup g) {
        List<byte[]> keys = dictionary();
        BlockBytes.Source in = new BlockBytes.Source(checked(fetch(source, g.position(), g.length()), g.crc(),
                "row group at offset " + g.firstOffset()));
        List<Record> records = new ArrayList<>(g.recordCount());
        int chunks = in.count(g.recordCount(), "series chunk");
        for (int c = 0; c < chunks; c++) {
            int series = (int) in.bounded(seriesCount - 1L, "series id");
            int samples = (int) in.bounded(g.recordCount() - records.size(), "chunk sample count");
            long[] timestamps = TimestampColumn.decode(in.bytes(), samples);
            double[] values = ValueColumn.decode(in.bytes(), samples);
            byte[] types = TypeColumn.decode(in.bytes(), samples);
            long[] offsets = OffsetColumn.decode(in.bytes(), samples);
            if (timestamps.length != samples || values.length != samples || offsets.length != samples) {
                throw new SeriesFormatException("chunk of series " + series + " has columns of unequal length");
            }
            byte[] key = keys.get(series);
            for (int i = 0; i < samples; i++) {
                byte[] value = ByteBuffer.allocate(9).put(types[i]).putLong(Double.doubleToRawLongBits(values[i])).array();
                records.add(new Record(offsets[i], timestamps[i], key.clone(), value));
            }
        }
        int side = in.count(g.recordCount() - records.size(), "side record");
        for (int s = 0; s < side; s++) {
            long offset = in.zigzag();
            long timestamp = in.zigzag();
            byte[] key = in.nullableBytes();
            byte[] value = in.nullableBytes();
            int headerCount = in.count(Integer.MAX_VALUE, "header");
            List<Header> headers = new ArrayList<>(headerCount);
            for (int h = 0; h < headerCount; h++) {
                headers.add(new Header(new String(in.bytes(), StandardCharsets.UTF_8), in.nullableBytes()));
            }
            records.add(new Record(offset, timestamp, key, value, headers));
        }
        if (records.size() != g.recordCount() || in.remaining() != 0) {
            throw new SeriesFormatException("row group at offset " + g.firstOffset() + " holds " + records.size()
                    + " records, its index entry " + g.recordCount());
        }
        records.sort(Comparator.comparingLong(Record::offset));
        for (int i = 0; i < records.size(); i++) {
            long o = records.get(i).offset();
            if (o < g.firstOffset() || o > g.lastOffset() || (i > 0 && o <= records.get(i - 1).offset())) {
                throw new SeriesFormatException("row group at offset " + g.firstOffset() + " holds a misplaced offset " + o);
            }
        }
        return records;
    }

    private static byte[] fetch(RangeSource source, long position, int length) {
        byte[] bytes = source.read(position, length);
        if (bytes.length != length) {
            throw new SeriesFormatException("asked for " + length + " bytes at " + position + ", got " + bytes.length
                    + ": the object is shorter than its manifest says");
        }
        return bytes;
    }

    private static byte[] checked(byte[] section, long crc, String what) {
        if (SeriesBlockWriter.crc32c(section) != crc) {
            throw new SeriesFormatException("series block " + what + " fails its CRC32C");
        }
        return section;
    }
}
