package io.tierlog.query;

import io.tierlog.core.GroupNames;
import io.tierlog.core.InvalidInputException;
import io.tierlog.core.StorageException;
import io.tierlog.core.Validation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Committed consumer-group offsets that survive restarts, shared by both doors (HTTP's group-offsets endpoints and
 * Kafka's OffsetCommit/OffsetFetch). Consumers resume from them, so a commit must be either fully visible after a
 * crash or not at all: each group is one small text file, rewritten as a whole into a temporary file, fsynced and
 * atomically renamed over the old one (then the directory is fsynced). Deleting a group unlinks its file and
 * fsyncs the directory.
 *
 * <p>File format ({@code <escaped group>.offsets}, UTF-8): a first line {@code # tierlog consumer offsets v2}, then
 * one line per partition: {@code topic<TAB>partition<TAB>offset<TAB>metadata}, the commit metadata
 * {@linkplain #escapeMetadata escaped} so that it holds no tab, line break or other control character. A group none
 * of whose partitions carries metadata is written as v1 (the same lines without the metadata field), which the
 * previous release reads; both versions are read. The file is named by the group's
 * {@linkplain GroupNames#escape escaped} name (the name itself for {@code [a-zA-Z0-9._-]} names); topic names cannot
 * contain tabs or line breaks (see {@link Validation}). Changes to one group are serialised; different groups
 * proceed in parallel. Thread-safe.
 */
public final class ConsumerOffsets {
    private static final Logger LOG = LoggerFactory.getLogger(ConsumerOffsets.class);
    /** The header of files without commit metadata, which the previous release also reads. */
    static final String HEADER = "# tierlog consumer offsets v1";
    /** The header of files with a fourth field per line: the escaped commit metadata. */
    static final String HEADER_V2 = "# tierlog consumer offsets v2";
    static final String SUFFIX = ".offsets";
    private static final String TMP_SUFFIX = ".tmp";

    private final Path dir;
    /**
     * group -> topic -> partition -> committed offset; an entry is loaded from disk on first use of a group and never removed
     * (a deleted group's entry is emptied), so two threads never hold different copies of one group.
     */
    private final ConcurrentHashMap<String, GroupOffsets> groups = new ConcurrentHashMap<>();

    private static final class GroupOffsets {
        final Map<String, TreeMap<Integer, CommittedOffset>> byTopic = new TreeMap<>();
    }

    ConsumerOffsets(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
            try (DirectoryStream<Path> tmp = Files.newDirectoryStream(dir, "*" + TMP_SUFFIX)) {
                for (Path p : tmp) {
                    Files.deleteIfExists(p); // a commit interrupted by a crash: never visible, drop it
                }
            }
        } catch (IOException e) {
            throw new StorageException("cannot open consumer offsets directory " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Stores the given offsets of one topic for a group (other partitions and topics keep theirs) and returns
     * once they are durable. Offsets are the next offset the group will read, as in Kafka.
     */
    public void commit(String group, String topic, Map<Integer, Long> offsets) {
        commit(group, Map.of(Validation.topicName(topic), offsets == null ? Map.of() : offsets));
    }

    /**
     * Stores the given offsets of several topics for a group at once (all durable or none; partitions and topics
     * not named keep theirs) and returns once they are durable.
     */
    public void commit(String group, Map<String, ? extends Map<Integer, Long>> offsetsByTopic) {
        Validation.groupName(group);
        if (offsetsByTopic == null || offsetsByTopic.isEmpty()) {
            throw new InvalidInputException("no offsets to commit for group '" + group + "'");
        }
        Map<String, Map<Integer, CommittedOffset>> entries = new TreeMap<>();
        for (Map.Entry<String, ? extends Map<Integer, Long>> t : offsetsByTopic.entrySet()) {
            Map<Integer, CommittedOffset> m = new TreeMap<>();
            if (t.getValue() != null) {
                for (Map.Entry<Integer, Long> e : t.getValue().entrySet()) {
                    if (e.getValue() == null || e.getValue() < 0) {
                        throw new InvalidInputException("offset of partition " + e.getKey() + " must be >= 0, was " + e.getValue());
                    }
                    m.put(e.getKey(), CommittedOffset.of(e.getValue()));
                }
            }
            entries.put(t.getKey(), m);
        }
        commitWithMetadata(group, entries);
    }

    /**
     * Stores committed offsets with their metadata (Kafka's OffsetCommit) for several topics at once, all durable
     * or none; partitions and topics not named keep theirs. A commit replaces a partition's offset and metadata.
     */
    public void commitWithMetadata(String group, Map<String, ? extends Map<Integer, CommittedOffset>> offsetsByTopic) {
        Validation.groupName(group);
        if (offsetsByTopic == null || offsetsByTopic.isEmpty()) {
            throw new InvalidInputException("no offsets to commit for group '" + group + "'");
        }
        for (Map.Entry<String, ? extends Map<Integer, CommittedOffset>> t : offsetsByTopic.entrySet()) {
            Validation.topicName(t.getKey());
            if (t.getValue() == null || t.getValue().isEmpty()) {
                throw new InvalidInputException("no offsets to commit for group '" + group + "' and topic '" + t.getKey() + "'");
            }
            for (Map.Entry<Integer, CommittedOffset> e : t.getValue().entrySet()) {
                if (e.getKey() == null || e.getKey() < 0) {
                    throw new InvalidInputException("partition must be >= 0, was " + e.getKey());
                }
                if (e.getValue() == null) {
                    throw new InvalidInputException("no offset for partition " + e.getKey());
                }
            }
        }
        GroupOffsets g = load(group);
        synchronized (g) {
            Map<String, TreeMap<Integer, CommittedOffset>> next = copy(g);
            offsetsByTopic.forEach((topic, m) -> next.computeIfAbsent(topic, t -> new TreeMap<>()).putAll(m));
            write(group, next); // memory changes only once the file is durable
            g.byTopic.clear();
            g.byTopic.putAll(next);
        }
    }

    /** The committed offsets of a group for one topic, by partition (empty when none). */
    public SortedMap<Integer, Long> fetch(String group, String topic) {
        Validation.groupName(group);
        Validation.topicName(topic);
        GroupOffsets g = loadExisting(group);
        if (g == null) {
            return Collections.emptySortedMap();
        }
        synchronized (g) {
            TreeMap<Integer, CommittedOffset> m = g.byTopic.get(topic);
            return m == null ? Collections.emptySortedMap() : Collections.unmodifiableSortedMap(offsetsOnly(m));
        }
    }

    /** Every committed offset of a group: topic -> partition -> offset, in name order (empty when none). */
    public SortedMap<String, SortedMap<Integer, Long>> fetchAll(String group) {
        Validation.groupName(group);
        GroupOffsets g = loadExisting(group);
        if (g == null) {
            return Collections.emptySortedMap();
        }
        synchronized (g) {
            TreeMap<String, SortedMap<Integer, Long>> out = new TreeMap<>();
            g.byTopic.forEach((t, m) -> out.put(t, Collections.unmodifiableSortedMap(offsetsOnly(m))));
            return Collections.unmodifiableSortedMap(out);
        }
    }

    /** Every committed offset of a group with its metadata: topic -> partition -> entry, in name order. */
    public SortedMap<String, SortedMap<Integer, CommittedOffset>> fetchAllWithMetadata(String group) {
        Validation.groupName(group);
        GroupOffsets g = loadExisting(group);
        if (g == null) {
            return Collections.emptySortedMap();
        }
        synchronized (g) {
            TreeMap<String, SortedMap<Integer, CommittedOffset>> out = new TreeMap<>();
            g.byTopic.forEach((t, m) -> out.put(t, Collections.unmodifiableSortedMap(new TreeMap<>(m))));
            return Collections.unmodifiableSortedMap(out);
        }
    }

    private static TreeMap<Integer, Long> offsetsOnly(Map<Integer, CommittedOffset> m) {
        TreeMap<Integer, Long> out = new TreeMap<>();
        m.forEach((p, c) -> out.put(p, c.offset()));
        return out;
    }

    /** The groups that have committed offsets, in name order. */
    public List<String> groups() {
        List<String> out = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path p : files) {
                String f = p.getFileName().toString();
                String escaped = f.substring(0, f.length() - SUFFIX.length());
                try {
                    out.add(GroupNames.check(GroupNames.unescape(escaped)));
                } catch (InvalidInputException e) {
                    LOG.warn("ignoring {} in the consumer offsets directory: {}", p, e.getMessage());
                }
            }
        } catch (IOException e) {
            throw new StorageException("cannot list consumer offsets directory " + dir + ": " + e.getMessage(), e);
        }
        Collections.sort(out);
        return out;
    }

    /** Deletes every committed offset of a group, durably; false when it had none. */
    public boolean delete(String group) {
        Validation.groupName(group);
        GroupOffsets g = loadExisting(group);
        if (g == null) {
            return false;
        }
        synchronized (g) {
            if (g.byTopic.isEmpty()) {
                return false;
            }
            remove(group);
            g.byTopic.clear();
            return true;
        }
    }

    /**
     * Deletes some partitions' committed offsets of a group, durably (Kafka's OffsetDelete); partitions without one
     * are ignored. A group left without offsets is deleted. Returns whether anything was deleted.
     */
    public boolean deletePartitions(String group, Map<String, ? extends java.util.Collection<Integer>> partitionsByTopic) {
        Validation.groupName(group);
        GroupOffsets g = loadExisting(group);
        if (g == null) {
            return false;
        }
        synchronized (g) {
            Map<String, TreeMap<Integer, CommittedOffset>> next = copy(g);
            boolean changed = false;
            for (Map.Entry<String, ? extends java.util.Collection<Integer>> t : partitionsByTopic.entrySet()) {
                TreeMap<Integer, CommittedOffset> m = next.get(t.getKey());
                if (m != null && m.keySet().removeAll(t.getValue())) {
                    changed = true;
                    if (m.isEmpty()) {
                        next.remove(t.getKey());
                    }
                }
            }
            if (!changed) {
                return false;
            }
            if (next.isEmpty()) {
                remove(group);
            } else {
                write(group, next);
            }
            g.byTopic.clear();
            g.byTopic.putAll(next);
            return true;
        }
    }

    /**
     * Deletes a topic's offsets from every group (as Kafka does when a topic is deleted, so a topic created again
     * under the name starts without them); a group left without offsets is deleted.
     */
    public void deleteTopic(String topic) {
        Validation.topicName(topic);
        for (String group : groups()) {
            GroupOffsets g = load(group);
            synchronized (g) {
                if (!g.byTopic.containsKey(topic)) {
                    continue;
                }
                Map<String, TreeMap<Integer, CommittedOffset>> next = copy(g);
                next.remove(topic);
                if (next.isEmpty()) {
                    remove(group);
                } else {
                    write(group, next);
                }
                g.byTopic.remove(topic);
            }
        }
    }

    private static Map<String, TreeMap<Integer, CommittedOffset>> copy(GroupOffsets g) {
        Map<String, TreeMap<Integer, CommittedOffset>> next = new TreeMap<>();
        g.byTopic.forEach((t, m) -> next.put(t, new TreeMap<>(m)));
        return next;
    }

    private GroupOffsets load(String group) {
        return groups.computeIfAbsent(group, this::read);
    }

    /** Like {@link #load}, but null (and nothing cached) for a group never loaded that has no file: lookups of
     *  made-up group names must not grow the cache. */
    private GroupOffsets loadExisting(String group) {
        GroupOffsets g = groups.get(group);
        if (g != null || !Files.exists(fileOf(group))) {
            return g;
        }
        return load(group);
    }

    private Path fileOf(String group) {
        return dir.resolve(GroupNames.escape(group) + SUFFIX);
    }
    private GroupOffsets read(String group) {
        Path file = fileOf(group);
        GroupOffsets g = new GroupOffsets();
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return g;
        } catch (IOException e) {
            throw new StorageException("cannot read consumer offsets file " + file + ": " + e.getMessage(), e);
        }
        int fields;
        if (!lines.isEmpty() && lines.get(0).equals(HEADER)) {
            fields = 3;
        } else if (!lines.isEmpty() && lines.get(0).equals(HEADER_V2)) {
            fields = 4;
        } else {
            throw new StorageException("consumer offsets file " + file + " does not start with '" + HEADER + "' or '"
                    + HEADER_V2 + "'");
        }
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split("\t", -1);
            try {
                if (f.length != fields) {
                    throw new IllegalArgumentException("expected " + fields + " tab-separated fields");
                }
                String topic = Validation.topicName(f[0]);
                int partition = Integer.parseInt(f[1]);
                long offset = Long.parseLong(f[2]);
                if (partition < 0 || offset < 0) {
                    throw new IllegalArgumentException("negative partition or offset");
                }
                String metadata = fields == 4 ? unescapeMetadata(f[3]) : "";
                g.byTopic.computeIfAbsent(topic, t -> new TreeMap<>()).put(partition, new CommittedOffset(offset, metadata));
            } catch (RuntimeException e) {
                throw new StorageException("consumer offsets file " + file + " line " + (i + 1) + " is malformed: "
                        + e.getMessage(), e);
            }
        }
        return g;
    }

    private void write(String group, Map<String, TreeMap<Integer, CommittedOffset>> content) {
        boolean withMetadata = content.values().stream()
                .anyMatch(m -> m.values().stream().anyMatch(c -> !c.metadata().isEmpty()));
        StringBuilder sb = new StringBuilder(withMetadata ? HEADER_V2 : HEADER).append('\n');
        content.forEach((topic, m) -> m.forEach((p, c) -> {
            sb.append(topic).append('\t').append(p).append('\t').append(c.offset());
            if (withMetadata) {
                sb.append('\t').append(escapeMetadata(c.metadata()));
            }
            sb.append('\n');
        }));
        Path file = fileOf(group);
        Path tmp = dir.resolve(file.getFileName() + TMP_SUFFIX);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new StorageException("the file system of " + dir + " cannot rename atomically", e);
            }
            fsyncDirectory();
        } catch (IOException e) {
            throw new StorageException("cannot write consumer offsets of group '" + group + "' to " + file + ": "
                    + e.getMessage(), e);
        }
    }

    private void remove(String group) {
        Path file = fileOf(group);
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new StorageException("cannot delete consumer offsets of group '" + group + "' (" + file + "): "
                    + e.getMessage(), e);
        }
        fsyncDirectory();
    }

    /**
     * Commit metadata as one field of a line: {@code \\} for a backslash, {@code \t}, {@code \n}, {@code \r}, and
     * {@code \}{@code uXXXX} for every other control character and for a lone surrogate (which UTF-8 cannot carry),
     * everything else as it is. {@link #unescapeMetadata} is its inverse.
     */
    static String escapeMetadata(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                default -> {
                    boolean pairedHigh = Character.isHighSurrogate(c) && i + 1 < s.length()
                            && Character.isLowSurrogate(s.charAt(i + 1));
                    if (pairedHigh) {
                        out.append(c).append(s.charAt(++i));
                    } else if (Character.isISOControl(c) || Character.isSurrogate(c)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }

    static String unescapeMetadata(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\') {
                out.append(c);
                continue;
            }
            if (i + 1 >= s.length()) {
                throw new IllegalArgumentException("metadata ends in a lone backslash");
            }
            char e = s.charAt(++i);
            switch (e) {
                case '\\' -> out.append('\\');
                case 't' -> out.append('\t');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 'u' -> {
                    String hex = i + 5 <= s.length() ? s.substring(i + 1, i + 5) : "";
                    if (!hex.matches("[0-9a-fA-F]{4}")) {
                        throw new IllegalArgumentException("metadata has a malformed \\u escape");
                    }
                    out.append((char) Integer.parseInt(hex, 16));
                    i += 4;
                }
                default -> throw new IllegalArgumentException("metadata has an unknown escape \\" + e);
            }
        }
        return out.toString();
    }

    private void fsyncDirectory() {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some platforms cannot open a directory for fsync; the rename itself is still atomic.
            LOG.debug("cannot fsync directory {}: {}", dir, e.getMessage());
        }
    }
}
