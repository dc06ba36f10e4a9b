package io.tierlog.core;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The canonical identity of a metric series: its name and its tags sorted by key, rendered as
 * {@code name{k1=v1,k2=v2}} with {@code \}, {@code ,}, {@code =} and braces escaped by a backslash.
 * It is the record key of a metric event and what partitioning hashes, so one series stays in one
 * partition and in order. The text form is stable: it is part of the stored format.
 */
public record SeriesKey(String name, SortedMap<String, String> tags) {

    public SeriesKey {
        tags = FrozenTags.of(tags);
    }

    public static SeriesKey of(String name, Map<String, String> tags) {
        return new SeriesKey(name, FrozenTags.of(tags));
    }

    /** The canonical text form. */
    public String canonical() {
        return canonical(name, tags);
    }

    /** The canonical form of a name and tags already sorted by key, without building a {@code SeriesKey}. */
    static String canonical(String name, SortedMap<String, String> tags) {
        StringBuilder sb = new StringBuilder(name.length() + 16 * tags.size());
        sb.append(name).append('{');
        boolean first = true;
        for (Map.Entry<String, String> e : tags.entrySet()) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            escape(e.getKey(), sb);
            sb.append('=');
            escape(e.getValue(), sb);
        }
        return sb.append('}').toString();
    }

    public byte[] toBytes() {
        return canonical().getBytes(StandardCharsets.UTF_8);
    }

    /** Parses the canonical form written by {@link #canonical()}. */
    public static SeriesKey parse(String text) {
        int brace = text.indexOf('{');
        if (brace <= 0 || !text.endsWith("}")) {
            throw new CorruptBatchException("malformed series key '" + abbreviate(text) + "'");
        }
        String name = text.substring(0, brace);
        TreeMap<String, String> tags = new TreeMap<>();
        StringBuilder cur = new StringBuilder();
        String key = null;
        int end = text.length() - 1;
        for (int i = brace + 1; i < end; i++) {
            char c = text.charAt(i);
            if (c == '\\') {
                if (i + 1 >= end) {
                    throw new CorruptBatchException("dangling escape in series key '" + abbreviate(text) + "'");
                }
                cur.append(text.charAt(++i));
            } else if (c == '=' && key == null) {
                key = cur.toString();
                cur.setLength(0);
            } else if (c == ',') {
                if (key == null) {
                    throw new CorruptBatchException("tag without value in series key '" + abbreviate(text) + "'");
                }
                tags.put(key, cur.toString());
                key = null;
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        if (key != null) {
            tags.put(key, cur.toString());
        } else if (!cur.isEmpty()) {
            throw new CorruptBatchException("tag without value in series key '" + abbreviate(text) + "'");
        }
        return new SeriesKey(name, tags);
    }

    /**
     * Parses key bytes, through a bounded cache: a metrics topic holds few distinct series and many samples
     * of each, so most stored keys have been parsed before. Returned keys are immutable and shared.
     */
    public static SeriesKey parse(byte[] bytes) {
        SeriesKey cached = PARSED.get(bytes);
        if (cached != null) {
            return cached;
        }
        SeriesKey parsed = parse(new String(bytes, StandardCharsets.UTF_8));
        PARSED.put(bytes, parsed);
        return parsed;
    }

    private static final BytesKeyedCache<SeriesKey> PARSED = new BytesKeyedCache<>(16_384);

    /** Stable, well-spread 32-bit hash (FNV-1a of the canonical UTF-8 bytes), used for partitioning. */
    public static int hash(byte[] keyBytes) {
        int h = 0x811c9dc5;
        for (byte b : keyBytes) {
            h ^= b & 0xff;
            h *= 0x01000193;
        }
        return h;
    }

    /** The partition this key maps to among {@code partitions}. */
    public static int partitionFor(byte[] keyBytes, int partitions) {
        return (hash(keyBytes) & 0x7fffffff) % partitions;
    }

    private static void escape(String s, StringBuilder sb) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' || c == ',' || c == '=' || c == '{' || c == '}') {
                sb.append('\\');
            }
            sb.append(c);
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "...";
    }

    @Override
    public String toString() {
        return canonical();
    }
}
