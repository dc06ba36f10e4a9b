package io.tierlog.cold.series;

import com.github.luben.zstd.Zstd;
import io.tierlog.core.Header;
import io.tierlog.core.Record;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Reads a series block written by {@link SeriesBlockWriter} (version 2) or by its first version through ranged
 * reads. Version 2: the first read fetches the object's tail, which holds the footer, the dictionary, the postings
 * and the row groups' shared timestamp columns (a second read when that tail is larger than {@link #TAIL_READ}); a
 * selective read then costs one more ranged read per row group it touches (the span of the matching series' chunks),
 * and a random offset read one read of a row group. Records come back exactly as they were appended: offsets,
 * timestamps, keys, value bytes (NaN payloads included) and headers. A damaged object fails as
 * {@link SeriesFormatException}, and every count or length is checked against the section that holds it before
 * anything is allocated for it.
 *
 * <p>Thread safety: safe for concurrent reads (immutable but for lazily decoded sections, which two threads may both
 * decode, harmlessly).
 */
public final class SeriesBlockReader {
    /** The label under which postings list a series' metric name. */
    public static final String NAME_LABEL = "__name__";
    /** A footer larger than this is damage: a block of a 1 GiB segment has a few thousand row groups. */
    public static final int MAX_FOOTER_BYTES = 64 << 20;
    /** A decompressed dictionary or postings section larger than this is damage. */
    static final int MAX_SECTION_BYTES = 256 << 20;
    /** How much of the object's tail the first read fetches: the footer and, usually, everything a selective read needs. */
    static final int TAIL_READ = 256 << 10;

    private final RangeSource source;
    private final int version;
    private final long recordCount;
    private final int seriesCount;
    private final Section dictionarySection;
    private final Section postingsSection;
    private final Section timestampsSection;
    /** Rollup sections by resolution in milliseconds (version 3; empty before). */
    private final Map<Long, Section> rollupSections;
    private final RollupCache rollupCache;
    private final List<RowGroup> rowGroups;
    /** The object's bytes from {@code tailStart} to the footer, when the first read fetched them. */
    private final byte[] tail;
    private final long tailStart;
    private volatile List<byte[]> dictionary;
    private volatile Map<String, Map<String, int[]>> postings;
    private volatile List<List<long[]>> timestampColumns;
    private final GroupCache groupCache;

    /**
     * Where decompressed rollup sections are kept between queries (a dashboard asks for the same month again and
     * again): {@code load} fetches and decompresses the section of one resolution; a cache may return an earlier one.
     */
    @FunctionalInterface
    public interface RollupCache {
        byte[] get(long resolutionMs, java.util.function.Supplier<byte[]> load);

        /** No caching: every rollup read fetches its section. */
        RollupCache NONE = (resolution, load) -> load.get();
    }

    /**
     * Where decoded row groups are kept between reads (a consumer replaying a block reads one group many times, a
     * fetch's worth at a time): {@code load} decodes the group; a cache may return an earlier result instead.
     */
    @FunctionalInterface
    public interface GroupCache {
        DecodedGroup get(int groupIndex, java.util.function.Supplier<DecodedGroup> load);

        /** No caching: every read decodes its groups again. */
        GroupCache NONE = (index, load) -> load.get();
    }

    /**
     * A row group decoded into columns: per record its offset and series slot, per series its timestamps, values
     * and type bytes, and the side records; about 17 bytes per sample, a tenth of the same records as objects.
     */
    public static final class DecodedGroup {
        private final long[] offsets;
        private final int[] slots;
        private final long[][] timestamps;
        private final double[][] values;
        private final byte[][] types;
        private final List<Record> side;

        private DecodedGroup(long[] offsets, int[] slots, long[][] timestamps, double[][] values, byte[][] types, List<Record> side) {
            this.offsets = offsets;
            this.slots = slots;
            this.timestamps = timestamps;
            this.values = values;
            this.types = types;
            this.side = side;
        }

        /** Approximate heap bytes, for a cache's weigher. */
        public long weight() {
            long w = 64L + offsets.length * 12L + timestamps.length * 48L;
            for (long[] t : timestamps) {
                w += t == null ? 0 : t.length * 17L;
            }
            for (Record r : side) {
                w += 64 + (r.key() == null ? 0 : r.key().length) + (r.value() == null ? 0 : r.value().length);
            }
            return w;
        }
    }

    /** Where one section sits: position, stored length, CRC32C, and (for compressed sections) its raw length. */
    private record Section(long position, int length, long crc, int rawLength) {
    }

    /** One series' chunk in a version-2 row group: its series, samples, timestamp column, place and CRC. */
    public record ChunkEntry(int series, int samples, int timestampColumn, long position, int length, long crc) {
    }

    /**
     * Where one row group sits and what it holds, from the footer. {@code length} is the whole body; version 2 splits
     * it into the series chunks ({@code chunks}, in ascending series id) then the order section of
     * {@code orderLength} bytes with CRC {@code crc}; version 1 has no chunk entries and one CRC over the body.
     */
    public record RowGroup(long firstOffset, long lastOffset, long minTimestamp, long maxTimestamp,
                           int recordCount, long position, int length, long crc, int orderLength, List<ChunkEntry> chunks) {
    }

    private SeriesBlockReader(RangeSource source, long objectSize, byte[] footer, byte[] tail, long tailStart,
                              GroupCache groupCache, RollupCache rollupCache) {
        this.source = source;
        this.groupCache = groupCache;
        this.rollupCache = rollupCache;
        long bodyEnd = objectSize - SeriesBlockWriter.TRAILER_SIZE - footer.length;
        BlockBytes.Source in = new BlockBytes.Source(footer);
        this.version = in.raw(1)[0];
        if (version < 1 || version > SeriesBlockWriter.VERSION) {
            throw new SeriesFormatException("series block version " + version + " is not supported");
        }
        this.recordCount = in.bounded(Long.MAX_VALUE, "record count");
        this.seriesCount = (int) in.bounded(Integer.MAX_VALUE - 1, "series count");
        if (version == 1) {
            this.timestampsSection = null;
            this.dictionarySection = section(in, bodyEnd, "dictionary", false);
            this.postingsSection = section(in, bodyEnd, "postings", false);
        } else {
            this.timestampsSection = section(in, bodyEnd, "timestamps", false);
            this.dictionarySection = section(in, bodyEnd, "dictionary", true);
            this.postingsSection = section(in, bodyEnd, "postings", true);
        }
        Map<Long, Section> rollups = new java.util.TreeMap<>();
        if (version >= 3) {
            int n = in.count(64, "rollup");
            for (int i = 0; i < n; i++) {
                long resolution = in.bounded(Long.MAX_VALUE, "rollup resolution");
                if (resolution < 1 || rollups.put(resolution, section(in, bodyEnd, "rollups", true)) != null) {
                    throw new SeriesFormatException("rollup resolution " + resolution + " is not positive or repeats");
                }
            }
        }
        this.rollupSections = java.util.Collections.unmodifiableMap(rollups);
        int groups = in.count(Integer.MAX_VALUE, "row group");
        List<RowGroup> list = new ArrayList<>(groups);
        long total = 0;
        for (int i = 0; i < groups; i++) {
            RowGroup g = version == 1 ? groupV1(in, bodyEnd) : groupV2(in, bodyEnd);
            if (g.lastOffset() < g.firstOffset() || g.maxTimestamp() < g.minTimestamp() || g.recordCount() < 1
                    || (!list.isEmpty() && g.firstOffset() <= list.getLast().lastOffset())
                    || g.lastOffset() - g.firstOffset() < g.recordCount() - 1L) {
                throw new SeriesFormatException("row group " + i + " has an impossible index entry");
            }
            total += g.recordCount();
            list.add(g);
        }
        if (total != recordCount || in.remaining() != 0) {
            throw new SeriesFormatException("footer does not add up: groups hold " + total + " of " + recordCount + " records");
        }
        this.rowGroups = List.copyOf(list);
        this.tail = tail;
        this.tailStart = tailStart;
    }

    private static Section section(BlockBytes.Source in, long bodyEnd, String what, boolean compressed) {
        long position = in.bounded(bodyEnd, what + " position");
        int length = (int) in.bounded(Math.min(Integer.MAX_VALUE, bodyEnd - position), what + " length");
        long crc = in.bounded(0xFFFFFFFFL, what + " CRC");
        int raw = compressed ? (int) in.bounded(MAX_SECTION_BYTES, what + " raw length") : length;
        return new Section(position, length, crc, raw);
    }

    /** The fields both versions' row group entries begin with. */
    private record GroupBounds(long first, long last, long minTs, long maxTs, int count, long position) {
        static GroupBounds read(BlockBytes.Source in, long bodyEnd) {
            return new GroupBounds(in.zigzag(), in.zigzag(), in.zigzag(), in.zigzag(),
                    (int) in.bounded(Integer.MAX_VALUE, "row group record count"), in.bounded(bodyEnd, "row group position"));
        }
    }

    private static RowGroup groupV1(BlockBytes.Source in, long bodyEnd) {
        GroupBounds b = GroupBounds.read(in, bodyEnd);
        int length = (int) in.bounded(Math.min(Integer.MAX_VALUE, bodyEnd - b.position()), "row group length");
        long crc = in.bounded(0xFFFFFFFFL, "row group CRC");
        return new RowGroup(b.first(), b.last(), b.minTs(), b.maxTs(), b.count(), b.position(), length, crc, 0, List.of());
    }

    private RowGroup groupV2(BlockBytes.Source in, long bodyEnd) {
        GroupBounds b = GroupBounds.read(in, bodyEnd);
        long first = b.first();
        long last = b.last();
        long minTs = b.minTs();
        long maxTs = b.maxTs();
        int count = b.count();
        long position = b.position();
        long chunksLength = in.bounded(bodyEnd - position, "row group chunks length");
        int orderLength = (int) in.bounded(Math.min(Integer.MAX_VALUE, bodyEnd - position - chunksLength), "row group order length");
        long orderCrc = in.bounded(0xFFFFFFFFL, "row group order CRC");
        if (chunksLength + orderLength > Integer.MAX_VALUE) {
            throw new SeriesFormatException("row group at offset " + first + " is larger than 2 GiB");
        }
        int chunkCount = in.count(Math.min(seriesCount, count), "series chunk");
        List<ChunkEntry> chunks = new ArrayList<>(chunkCount);
        BitSet listed = new BitSet();
        long at = position;
        long samples = 0;
        for (int c = 0; c < chunkCount; c++) {
            long series = in.bounded(seriesCount - 1L, "chunk series id");
            if (listed.get((int) series)) {
                throw new SeriesFormatException("row group at offset " + first + " lists series " + series + " twice");
            }
            listed.set((int) series);
            int n = (int) in.bounded(count, "chunk sample count");
            int column = (int) in.bounded(Integer.MAX_VALUE, "chunk timestamp column");
            int length = (int) in.bounded(position + chunksLength - at, "chunk length");
            long crc = in.bounded(0xFFFFFFFFL, "chunk CRC");
            chunks.add(new ChunkEntry((int) series, n, column, at, length, crc));
            at += length;
            samples += n;
        }
        if (at != position + chunksLength || samples > count) {
            throw new SeriesFormatException("row group at offset " + first + ": its chunks do not add up");
        }
        return new RowGroup(first, last, minTs, maxTs, count, position, (int) (chunksLength + orderLength), orderCrc,
                orderLength, List.copyOf(chunks));
    }

    /**
     * Reads the trailer and footer of an object of {@code objectSize} bytes: one ranged read of its last
     * {@link #TAIL_READ} bytes, and for version 2 a second one when the sections a selective read needs begin before.
     */
    public static SeriesBlockReader open(RangeSource source, long objectSize) {
        return open(source, objectSize, GroupCache.NONE);
    }

    /** {@link #open(RangeSource, long)} with decoded row groups kept in {@code groupCache}. */
    public static SeriesBlockReader open(RangeSource source, long objectSize, GroupCache groupCache) {
        return open(source, objectSize, groupCache, RollupCache.NONE);
    }

    /** {@link #open(RangeSource, long, GroupCache)} with decompressed rollup sections kept in {@code rollupCache}. */
    public static SeriesBlockReader open(RangeSource source, long objectSize, GroupCache groupCache, RollupCache rollupCache) {
        int minimum = SeriesBlockWriter.HEADER_SIZE + SeriesBlockWriter.TRAILER_SIZE;
        if (objectSize < minimum) {
            throw new SeriesFormatException("series block of " + objectSize + " bytes is shorter than its header and trailer");
        }
        int tailLength = (int) Math.min(objectSize, TAIL_READ);
        long tailPosition = objectSize - tailLength;
        byte[] tail = fetch(source, tailPosition, tailLength);
        BlockBytes.Source trailer = new BlockBytes.Source(tail, tailLength - SeriesBlockWriter.TRAILER_SIZE, tailLength);
        int footerLength = trailer.int32();
        int footerCrc = trailer.int32();
        if (!Arrays.equals(trailer.raw(4), SeriesBlockWriter.MAGIC)) {
            throw new SeriesFormatException("object does not end with the series block magic");
        }
        if (footerLength < 1 || footerLength > MAX_FOOTER_BYTES || footerLength > objectSize - minimum) {
            throw new SeriesFormatException("series block footer length " + footerLength + " out of bounds");
        }
        long footerPosition = objectSize - SeriesBlockWriter.TRAILER_SIZE - footerLength;
        byte[] footer = footerPosition >= tailPosition
                ? Arrays.copyOfRange(tail, (int) (footerPosition - tailPosition), (int) (footerPosition - tailPosition) + footerLength)
                : fetch(source, footerPosition, footerLength);
        if ((int) SeriesBlockWriter.crc32c(footer) != footerCrc) {
            throw new SeriesFormatException("series block footer fails its CRC32C");
        }
        SeriesBlockReader probe = new SeriesBlockReader(source, objectSize, footer, null, 0, groupCache, rollupCache);
        if (probe.version == 1) {
            return probe;
        }
        // version 2: the sections before the footer (timestamps, dictionary, postings) are kept from the tail read,
        // or fetched in one more read
        long sectionsStart = probe.timestampsSection.position();
        if (sectionsStart > footerPosition) {
            throw new SeriesFormatException("series block sections start after the footer");
        }
        byte[] sections = sectionsStart >= tailPosition
                ? Arrays.copyOfRange(tail, (int) (sectionsStart - tailPosition), (int) (footerPosition - tailPosition))
                : fetch(source, sectionsStart, (int) Math.min(Integer.MAX_VALUE, footerPosition - sectionsStart));
        return new SeriesBlockReader(source, objectSize, footer, sections, sectionsStart, groupCache, rollupCache);
    }

    public int version() {
        return version;
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
     * offset of the first row group whose max time reaches it, or -1 when none does.
     */
    public long offsetForTimestamp(long timestamp) {
        return rowGroups.stream().filter(g -> g.maxTimestamp() >= timestamp).mapToLong(RowGroup::firstOffset)
                .findFirst().orElse(-1);
    }

    /** The offset of the first record with a timestamp at or after {@code timestamp}, or -1 when there is none. */
    public long firstOffsetAtOrAfter(long timestamp) {
        for (int i = 0; i < rowGroups.size(); i++) {
            if (rowGroups.get(i).maxTimestamp() >= timestamp) {
                for (Record r : readGroup(i)) {
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
        for (int i = 0; i < rowGroups.size(); i++) {
            if (out.size() >= maxRecords) {
                break;
            }
            if (rowGroups.get(i).lastOffset() < fromOffset) {
                continue;
            }
            if (version == 1) {
                for (Record r : readGroupV1(rowGroups.get(i))) {
                    if (r.offset() >= fromOffset && out.size() < maxRecords) {
                        out.add(r);
                    }
                }
            } else {
                int index = i;
                DecodedGroup group = groupCache.get(i, () -> decodeGroup(index));
                records(group, fromOffset, maxRecords - out.size(), out);
            }
        }
        return out;
    }

    /** Appends up to {@code max} records of {@code g} with offsets at or after {@code fromOffset} to {@code out}. */
    private void records(DecodedGroup g, long fromOffset, int max, List<Record> out) {
        int start = Arrays.binarySearch(g.offsets, fromOffset);
        start = start >= 0 ? start : -start - 1;
        int[] cursor = new int[seriesCount + 1]; // the last slot counts side records
        for (int i = 0; i < start; i++) {
            cursor[g.slots[i]]++;
        }
        List<byte[]> keys = dictionary();
        for (int i = start; i < g.offsets.length && max > 0; i++, max--) {
            int s = g.slots[i];
            int k = cursor[s]++;
            if (s == seriesCount) {
                out.add(g.side.get(k));
                continue;
            }
            byte[] value = ByteBuffer.allocate(9).put(g.types[s][k]).putLong(Double.doubleToRawLongBits(g.values[s][k])).array();
            out.add(new Record(g.offsets[i], g.timestamps[s][k], keys.get(s).clone(), value));
        }
    }

    /** The series keys, indexed by series id (decoded once). */
    public List<byte[]> dictionary() {
        List<byte[]> d = dictionary;
        if (d == null) {
            BlockBytes.Source in = new BlockBytes.Source(sectionBytes(dictionarySection, "dictionary"));
            int n = in.count(seriesCount, "dictionary series");
            if (n != seriesCount) {
                throw new SeriesFormatException("dictionary holds " + n + " series, the footer says " + seriesCount);
            }
            List<byte[]> keys = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                keys.add(in.bytes());
            }
            dictionary = d = List.copyOf(keys);
        }
        return d;
    }

    /**
     * The label postings: label name, then label value, then the ascending ids of the series that carry it. The
     * metric name is listed under {@link #NAME_LABEL}.
     */
    public Map<String, Map<String, int[]>> postings() {
        Map<String, Map<String, int[]>> cached = postings;
        if (cached != null) {
            return cached;
        }
        BlockBytes.Source in = new BlockBytes.Source(sectionBytes(postingsSection, "postings"));
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
        postings = out;
        return out;
    }

    /** One series' samples selected by {@link #select}: parallel arrays in offset order. */
    public record SeriesSamples(byte[] key, long[] timestamps, double[] values, byte[] types) {
    }

    /**
     * The samples of the series carrying every label in {@code labels} (name -> value; the metric name under
     * {@link #NAME_LABEL}; an empty map selects every series) whose key passes {@code keyFilter}, with timestamps in
     * [{@code minTimestamp}, {@code maxTimestamp}], per series in offset order. Reads the postings and dictionary
     * once, then, per row group whose time bounds overlap the range, one span holding the matching series' chunks,
     * and decodes only those chunks. Side records are not samples and are never returned here.
     */
    public List<SeriesSamples> select(Map<String, String> labels, Predicate<byte[]> keyFilter, long minTimestamp, long maxTimestamp) {
        BitSet wanted = wanted(labels, keyFilter);
        if (wanted.isEmpty()) {
            return List.of();
        }
        List<byte[]> keys = dictionary();
        Map<Integer, List<Columns>> parts = new java.util.TreeMap<>(); // series -> its columns per row group
        for (int i = 0; i < rowGroups.size(); i++) {
            RowGroup g = rowGroups.get(i);
            if (g.maxTimestamp() < minTimestamp || g.minTimestamp() > maxTimestamp) {
                continue;
            }
            if (version == 1) {
                selectV1(g, wanted, parts);
            } else {
                selectV2(i, wanted, parts);
            }
        }
        List<SeriesSamples> out = new ArrayList<>();
        parts.forEach((series, chunks) -> {
            int n = 0;
            for (Columns c : chunks) {
                for (long t : c.timestamps()) {
                    n += t >= minTimestamp && t <= maxTimestamp ? 1 : 0;
                }
            }
            if (n == 0) {
                return;
            }
            SeriesSamples selected = new SeriesSamples(keys.get(series).clone(), new long[n], new double[n], new byte[n]);
            int k = 0;
            for (Columns c : chunks) {
                long[] ts = c.timestamps();
                double[] vs = c.values();
                byte[] ty = c.types();
                for (int j = 0; j < ts.length; j++) {
                    if (ts[j] >= minTimestamp && ts[j] <= maxTimestamp) {
                        selected.timestamps()[k] = ts[j];
                        selected.values()[k] = vs[j];
                        selected.types()[k] = ty[j];
                        k++;
                    }
                }
            }
            out.add(selected);
        });
        return out;
    }

    /** The ids of the series carrying every label in {@code labels} whose key passes {@code keyFilter}. */
    private BitSet wanted(Map<String, String> labels, Predicate<byte[]> keyFilter) {
        BitSet wanted = new BitSet(seriesCount);
        wanted.set(0, seriesCount);
        if (!labels.isEmpty()) {
            Map<String, Map<String, int[]>> index = postings();
            for (Map.Entry<String, String> label : labels.entrySet()) {
                BitSet having = new BitSet(seriesCount);
                for (int id : index.getOrDefault(label.getKey(), Map.of()).getOrDefault(label.getValue(), new int[0])) {
                    having.set(id);
                }
                wanted.and(having);
            }
        }
        if (wanted.isEmpty()) {
            return wanted;
        }
        List<byte[]> keys = dictionary();
        for (int id = wanted.nextSetBit(0); id >= 0; id = wanted.nextSetBit(id + 1)) {
            if (!keyFilter.test(keys.get(id))) {
                wanted.clear(id);
            }
        }
        return wanted;
    }

    /** The rollup resolutions (milliseconds, ascending) this block holds; none before version 3. */
    public long[] rollupResolutions() {
        return rollupSections.keySet().stream().mapToLong(Long::longValue).toArray();
    }

    /**
     * One series' rollups at one resolution ({@code RollupSection} states the bucket semantics): parallel arrays by
     * ascending bucket end, buckets with samples only. {@code clean} false means the series' timestamps did not
     * strictly increase in this block, and the arrays are empty: its samples must be read instead.
     */
    public record SeriesRollups(byte[] key, boolean clean, long resolutionMs, long[] bucketEnds, long[] counts,
                                double[] sums, double[] mins, double[] maxs, long[] firstTimestamps,
                                long[] lastTimestamps, double[] lasts) {
    }

    /**
     * The rollups at {@code resolutionMs} of the series selected as {@link #select} selects them, keeping the buckets
     * whose end lies in [{@code minEnd}, {@code maxEnd}]; series without such a bucket are left out unless not clean.
     * Costs the tail read and one ranged GET of the rollup section (none when the {@link RollupCache} holds it).
     *
     * @throws IllegalArgumentException when the block has no rollups at that resolution (see {@link #rollupResolutions})
     */
    public List<SeriesRollups> rollups(Map<String, String> labels, Predicate<byte[]> keyFilter, long resolutionMs,
                                       long minEnd, long maxEnd) {
        Section section = rollupSections.get(resolutionMs);
        if (section == null) {
            throw new IllegalArgumentException("this series block has no rollups at " + resolutionMs + " ms");
        }
        BitSet wanted = wanted(labels, keyFilter);
        if (wanted.isEmpty()) {
            return List.of();
        }
        byte[] raw = rollupCache.get(resolutionMs, () -> sectionBytes(section, "rollups"));
        List<byte[]> keys = dictionary();
        BlockBytes.Source in = new BlockBytes.Source(raw);
        int present = in.count(seriesCount, "rollup series");
        List<SeriesRollups> out = new ArrayList<>();
        long id = 0;
        for (int s = 0; s < present; s++) {
            id += in.bounded(seriesCount, "rollup series id delta");
            if (id >= seriesCount || (s > 0 && id == 0)) {
                throw new SeriesFormatException("rollups name series " + id + " of " + seriesCount);
            }
            boolean clean = switch (in.raw(1)[0]) {
                case 0 -> false;
                case 1 -> true;
                default -> throw new SeriesFormatException("rollup clean flag is neither 0 nor 1");
            };
            int buckets = clean ? (int) in.bounded(recordCount, "rollup bucket count") : 0;
            boolean want = wanted.get((int) id);
            if (buckets == 0) {
                if (want && !clean) {
                    out.add(new SeriesRollups(keys.get((int) id).clone(), false, resolutionMs, new long[0], new long[0],
                            new double[0], new double[0], new double[0], new long[0], new long[0], new double[0]));
                }
                continue;
            }
            if (!want) {
                for (int c = 0; c < 8; c++) {
                    in.skipBytes();
                }
                continue;
            }
            SeriesRollups r = decodeRollups(in, keys.get((int) id), resolutionMs, buckets, minEnd, maxEnd);
            if (r.bucketEnds().length > 0) {
                out.add(r);
            }
        }
        if (in.remaining() != 0) {
            throw new SeriesFormatException("rollup section has " + in.remaining() + " bytes after its last series");
        }
        return out;
    }

    private static SeriesRollups decodeRollups(BlockBytes.Source in, byte[] key, long resolution, int buckets,
                                               long minEnd, long maxEnd) {
        long[] index = PackedLongs.decode(in.bytes(), buckets, true);
        long[] counts = PackedLongs.decode(in.bytes(), buckets, false);
        long[] firstOffsets = PackedLongs.decode(in.bytes(), buckets, false);
        long[] lastOffsets = PackedLongs.decode(in.bytes(), buckets, false);
        double[] sums = ValueColumn.decode(in.bytes(), buckets);
        double[] mins = ValueColumn.decode(in.bytes(), buckets);
        double[] maxs = ValueColumn.decode(in.bytes(), buckets);
        double[] lasts = ValueColumn.decode(in.bytes(), buckets);
        if (index.length != buckets || counts.length != buckets || firstOffsets.length != buckets
                || lastOffsets.length != buckets || sums.length != buckets || mins.length != buckets
                || maxs.length != buckets || lasts.length != buckets) {
            throw new SeriesFormatException("rollup columns disagree on the bucket count " + buckets);
        }
        int from = 0;
        int to = 0;
        long[] ends = new long[buckets];
        for (int i = 0; i < buckets; i++) {
            long end;
            try {
                end = Math.multiplyExact(index[i], resolution);
            } catch (ArithmeticException e) {
                throw new SeriesFormatException("rollup bucket " + i + " ends beyond the time line");
            }
            if ((i > 0 && end <= ends[i - 1]) || counts[i] < 1 || firstOffsets[i] < 0 || firstOffsets[i] >= resolution
                    || lastOffsets[i] < 0 || lastOffsets[i] > firstOffsets[i]
                    || (counts[i] == 1 && lastOffsets[i] != firstOffsets[i])) {
                throw new SeriesFormatException("rollup bucket " + i + " is impossible");
            }
            ends[i] = end;
            if (end < minEnd) {
                from = i + 1;
            }
            if (end <= maxEnd) {
                to = i + 1;
            }
        }
        to = Math.max(from, to);
        long[] firstTs = new long[to - from];
        long[] lastTs = new long[to - from];
        for (int i = from; i < to; i++) {
            firstTs[i - from] = ends[i] - firstOffsets[i];
            lastTs[i - from] = ends[i] - lastOffsets[i];
        }
        return new SeriesRollups(key.clone(), true, resolution, Arrays.copyOfRange(ends, from, to),
                Arrays.copyOfRange(counts, from, to), Arrays.copyOfRange(sums, from, to),
                Arrays.copyOfRange(mins, from, to), Arrays.copyOfRange(maxs, from, to), firstTs, lastTs,
                Arrays.copyOfRange(lasts, from, to));
    }

    /** Equality labels only: {@link #select(Map, Predicate, long, long)} with every key accepted. */
    public List<SeriesSamples> select(Map<String, String> labels, long minTimestamp, long maxTimestamp) {
        return select(labels, key -> true, minTimestamp, maxTimestamp);
    }

    private void selectV2(int index, BitSet wanted, Map<Integer, List<Columns>> parts) {
        RowGroup g = rowGroups.get(index);
        List<ChunkEntry> matching = g.chunks().stream().filter(c -> wanted.get(c.series())).toList();
        if (matching.isEmpty()) {
            return;
        }
        long from = matching.getFirst().position();
        ChunkEntry lastChunk = matching.getLast();
        byte[] span = fetch(source, from, (int) (lastChunk.position() + lastChunk.length() - from));
        List<long[]> columns = timestampColumns().get(index);
        for (ChunkEntry c : matching) {
            int at = (int) (c.position() - from);
            byte[] body = Arrays.copyOfRange(span, at, at + c.length());
            parts.computeIfAbsent(c.series(), k -> new ArrayList<>()).add(decodeChunk(g, c, body, columns));
        }
    }

    private void selectV1(RowGroup g, BitSet wanted, Map<Integer, List<Columns>> parts) {
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
            parts.computeIfAbsent(series, k -> new ArrayList<>()).add(new Columns(ts, vs, ty));
        }
    }

    /** One series' decoded columns within one row group, in offset order. */
    private record Columns(long[] timestamps, double[] values, byte[] types) {
    }

    /** A version-2 chunk's columns, its CRC and lengths checked. */
    private static Columns decodeChunk(RowGroup g, ChunkEntry c, byte[] body, List<long[]> columns) {
        checked(body, c.crc(), "chunk of series " + c.series() + " in the row group at offset " + g.firstOffset());
        if (c.timestampColumn() >= columns.size()) {
            throw new SeriesFormatException("chunk of series " + c.series() + " names timestamp column " + c.timestampColumn()
                    + " of " + columns.size());
        }
        long[] ts = columns.get(c.timestampColumn());
        BlockBytes.Source in = new BlockBytes.Source(body);
        byte[] types = TypeColumn.decode(in.bytes(), c.samples());
        double[] values = ValueColumn.decode(in.raw(in.remaining()), c.samples());
        if (ts.length != c.samples() || values.length != c.samples()) {
            throw new SeriesFormatException("chunk of series " + c.series() + " has columns of unequal length");
        }
        return new Columns(ts, values, types);
    }

    /** Per row group, its distinct timestamp columns (version 2; decoded once from the tail). */
    private List<List<long[]>> timestampColumns() {
        List<List<long[]>> cached = timestampColumns;
        if (cached != null) {
            return cached;
        }
        BlockBytes.Source in = new BlockBytes.Source(sectionBytes(timestampsSection, "timestamps"));
        List<List<long[]>> all = new ArrayList<>(rowGroups.size());
        for (RowGroup g : rowGroups) {
            int n = in.count(g.chunks().size(), "timestamp column");
            List<long[]> columns = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                columns.add(PackedLongs.decode(in.bytes(), g.recordCount(), true));
            }
            all.add(columns);
        }
        if (in.remaining() != 0) {
            throw new SeriesFormatException("timestamps section has " + in.remaining() + " bytes after its last column");
        }
        timestampColumns = all;
        return all;
    }

    private List<Record> readGroup(int index) {
        if (version == 1) {
            return readGroupV1(rowGroups.get(index));
        }
        List<Record> out = new ArrayList<>();
        records(groupCache.get(index, () -> decodeGroup(index)), Long.MIN_VALUE, Integer.MAX_VALUE, out);
        return out;
    }

    /** Decodes row group {@code index} of a version-2 block into columns, checking that every part adds up. */
    public DecodedGroup decodeGroup(int index) {
        if (version == 1) {
            throw new IllegalStateException("version-1 row groups are read as records");
        }
        RowGroup g = rowGroups.get(index);
        List<byte[]> keys = dictionary();
        List<long[]> columns = timestampColumns().get(index);
        byte[] body = fetch(source, g.position(), g.length());
        int chunksLength = g.length() - g.orderLength();
        BlockBytes.Source order = new BlockBytes.Source(orderSection(g, checked(Arrays.copyOfRange(body, chunksLength, g.length()),
                g.crc(), "order section of the row group at offset " + g.firstOffset())));
        // which series (or side record) each record is
        int[] slots = new int[g.recordCount()];
        int runs = order.count(g.recordCount(), "order run");
        int filled = 0;
        long next = 0;
        for (int r = 0; r < runs; r++) {
            // stored slots: 0 a side record, id + 1 a sample of series id; held here as id, seriesCount for a side record
            long start = next + order.zigzag();
            long length = order.bounded(g.recordCount() - filled - 1L, "order run length") + 1;
            if (start < 0 || (start == SeriesBlockWriter.SIDE_SLOT && length != 1) || start + length - 1 > seriesCount) {
                throw new SeriesFormatException("order run names slots " + start + ".." + (start + length - 1) + " of " + seriesCount);
            }
            for (long s = start; s < start + length; s++) {
                slots[filled++] = s == SeriesBlockWriter.SIDE_SLOT ? seriesCount : (int) s - 1;
            }
            next = start + length;
        }
        if (filled != g.recordCount()) {
            throw new SeriesFormatException("order section of the row group at offset " + g.firstOffset() + " covers "
                    + filled + " of " + g.recordCount() + " records");
        }
        long[] offsets = new long[g.recordCount()];
        int gaps = order.count(g.recordCount(), "offset gap");
        int gapIndex = gaps == 0 ? Integer.MAX_VALUE : 0;
        long gapStep = 1;
        int remainingGaps = gaps;
        if (remainingGaps > 0) {
            gapIndex = (int) order.bounded(g.recordCount() - 1L, "offset gap index");
            gapStep = order.bounded(Long.MAX_VALUE - 2, "offset gap") + 2;
            remainingGaps--;
        }
        offsets[0] = g.firstOffset();
        for (int i = 1; i < offsets.length; i++) {
            long step = 1;
            if (i == gapIndex) {
                step = gapStep;
                if (remainingGaps > 0) {
                    gapIndex = (int) Math.min(Integer.MAX_VALUE, i + order.bounded(g.recordCount(), "offset gap index"));
                    gapStep = order.bounded(Long.MAX_VALUE - 2, "offset gap") + 2;
                    remainingGaps--;
                }
            }
            offsets[i] = offsets[i - 1] + step;
        }
        if (offsets[offsets.length - 1] != g.lastOffset()) {
            throw new SeriesFormatException("row group at offset " + g.firstOffset() + " ends at offset "
                    + offsets[offsets.length - 1] + ", its index entry says " + g.lastOffset());
        }
        // the chunks, decoded, and checked against the order: each series has as many samples as slots
        long[][] timestamps = new long[seriesCount][];
        double[][] values = new double[seriesCount][];
        byte[][] types = new byte[seriesCount][];
        for (ChunkEntry c : g.chunks()) {
            int at = (int) (c.position() - g.position());
            Columns chunk = decodeChunk(g, c, Arrays.copyOfRange(body, at, at + c.length()), columns);
            timestamps[c.series()] = chunk.timestamps();
            values[c.series()] = chunk.values();
            types[c.series()] = chunk.types();
        }
        int[] placed = new int[seriesCount + 1];
        for (int slot : slots) {
            placed[slot]++;
        }
        for (int series = 0; series < seriesCount; series++) {
            int have = timestamps[series] == null ? 0 : timestamps[series].length;
            if (placed[series] != have) {
                throw new SeriesFormatException("row group at offset " + g.firstOffset() + ": series " + series + " has "
                        + have + " samples, its order places " + placed[series]);
            }
        }
        int sideCount = order.count(g.recordCount(), "side record");
        if (sideCount != placed[seriesCount]) {
            throw new SeriesFormatException("row group at offset " + g.firstOffset() + " has " + sideCount
                    + " side records, its order places " + placed[seriesCount]);
        }
        List<Record> side = new ArrayList<>(sideCount);
        for (int i = 0, k = 0; i < slots.length; i++) {
            if (slots[i] == seriesCount) {
                side.add(sideRecord(order, offsets[i]));
                k++;
            }
        }
        if (order.remaining() != 0) {
            throw new SeriesFormatException("row group at offset " + g.firstOffset() + ": its order section does not add up");
        }
        return new DecodedGroup(offsets, slots, timestamps, values, types, side);
    }

    /**
     * A row group's order section, decompressed: {@code uvarint rawLength} then a zstd frame, bounded by what the
     * group's records can need (a few bytes per record plus its side records, which cannot exceed the object).
     */
    private static byte[] orderSection(RowGroup g, byte[] stored) {
        BlockBytes.Source in = new BlockBytes.Source(stored);
        long rawLength = in.bounded(MAX_SECTION_BYTES, "order section raw length");
        byte[] raw;
        try {
            raw = Zstd.decompress(in.raw(in.remaining()), (int) rawLength);
        } catch (RuntimeException e) {
            throw new SeriesFormatException("order section of the row group at offset " + g.firstOffset()
                    + " does not decompress: " + e.getMessage());
        }
        if (raw.length != rawLength) {
            throw new SeriesFormatException("order section of the row group at offset " + g.firstOffset()
                    + " decompresses to " + raw.length + " bytes, not " + rawLength);
        }
        return raw;
    }

    private static Record sideRecord(BlockBytes.Source in, long offset) {
        long timestamp = in.zigzag();
        byte[] key = in.nullableBytes();
        byte[] value = in.nullableBytes();
        int headerCount = in.count(Integer.MAX_VALUE, "header");
        List<Header> headers = new ArrayList<>(headerCount);
        for (int h = 0; h < headerCount; h++) {
            headers.add(new Header(new String(in.bytes(), StandardCharsets.UTF_8), in.nullableBytes()));
        }
        return new Record(offset, timestamp, key, value, headers);
    }

    private List<Record> readGroupV1(RowGroup g) {
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
            records.add(sideRecord(in, offset));
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

    /** A section's bytes, CRC-checked and (version 2 dictionary and postings) decompressed with its length bounded. */
    private byte[] sectionBytes(Section s, String what) {
        byte[] stored;
        if (tail != null && s.position() >= tailStart && s.position() + s.length() <= tailStart + tail.length) {
            int at = (int) (s.position() - tailStart);
            stored = Arrays.copyOfRange(tail, at, at + s.length());
        } else {
            stored = fetch(source, s.position(), s.length());
        }
        checked(stored, s.crc(), what);
        if (version == 1 || s == timestampsSection) {
            return stored;
        }
        byte[] raw;
        try {
            raw = Zstd.decompress(stored, s.rawLength());
        } catch (RuntimeException e) {
            throw new SeriesFormatException("series block " + what + " does not decompress: " + e.getMessage());
        }
        if (raw.length != s.rawLength()) {
            throw new SeriesFormatException("series block " + what + " decompresses to " + raw.length + " bytes, not "
                    + s.rawLength());
        }
        return raw;
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
