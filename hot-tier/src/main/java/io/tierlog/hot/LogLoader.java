package io.tierlog.hot;

import io.tierlog.core.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Opens a partition's directory (Kafka's LogLoader): removes stray files of interrupted deletes, renames and
 * compactions, loads closed segments cheaply from their indexes, fully recovers the active segment (and any closed
 * one whose files do not check out), truncating a torn or corrupt tail, and drops segments that no longer follow
 * their predecessor. Runs once, before the log serves anyone.
 */
final class LogLoader {
    private static final Logger LOG = LoggerFactory.getLogger(LogLoader.class);
    private static final Pattern SEGMENT_FILE = Pattern.compile("(\\d{20})\\.(log|index|timeindex)");

    private final TopicPartition tp;
    private final Path dir;
    private final LogConfig config;

    LogLoader(TopicPartition tp, Path dir, LogConfig config) {
        this.tp = tp;
        this.dir = dir;
        this.config = config;
    }

    /** The segments found, by base offset, and the active (newest, writable) one among them. */
    record Loaded(ConcurrentSkipListMap<Long, Segment> segments, Segment active) {
    }

    /** Lists, checks and recovers the segments; creates the first one of a new log. */
    Loaded load(long now) {
        ConcurrentSkipListMap<Long, Segment> segments = new ConcurrentSkipListMap<>();
        Segment active = null;
        TreeSet<Long> bases = new TreeSet<>();
        List<Path> indexFiles = new ArrayList<>();
        try {
            Files.createDirectories(dir);
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
                for (Path p : ds) {
                    String name = p.getFileName().toString();
                    if (name.endsWith(Segment.DELETED_SUFFIX) || name.endsWith(Segment.TMP_SUFFIX)
                            || name.endsWith(Segment.CLEANED_SUFFIX)) {
                        LOG.info("{}: removing stray file {}", tp, name);
                        Files.deleteIfExists(p);
                        continue;
                    }
                    Matcher m = SEGMENT_FILE.matcher(name);
                    if (name.equals(LogStartOffsetFile.NAME)) {
                        continue; // read by the log once its segments are loaded
                    }
                    if (!m.matches()) {
                        LOG.warn("{}: ignoring unknown file {} in {}", tp, name, dir);
                    } else if (m.group(2).equals("log")) {
                        bases.add(Long.parseLong(m.group(1)));
                    } else {
                        indexFiles.add(p);
                    }
                }
            }
            for (Path p : indexFiles) {
                long base = Long.parseLong(p.getFileName().toString().substring(0, 20));
                if (!bases.contains(base)) {
                    LOG.info("{}: removing index {} without a segment", tp, p.getFileName());
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            throw new LogIOException("cannot list log directory " + dir + " of " + tp, e);
        }

        List<Long> ordered = new ArrayList<>(bases);
        long expected = -1;
        for (int i = 0; i < ordered.size(); i++) {
            long base = ordered.get(i);
            // compaction leaves gaps between segments (a segment whose records all went is deleted), so a later
            // segment may start after the previous one's end, never before it
            if (expected >= 0 && base < expected) {
                LOG.error("{}: segment {} starts at {} but the previous one ends at {}; deleting it and all later segments",
                        tp, Segment.fileName(base), base, expected);
                deleteSegmentFiles(ordered.subList(i, ordered.size()));
                break;
            }
            boolean last = i == ordered.size() - 1;
            // a closed segment's offsets end below the next segment's base (compaction keeps offsets); the
            // newest segment is the active one, never compacted, so its offsets must stay dense
            long offsetLimit = last ? Long.MAX_VALUE : ordered.get(i + 1);
            Segment s = Segment.openExisting(tp, dir, base, config.indexIntervalBytes(), now);
            if (!last && s.loadClosed(offsetLimit)) {
                segments.put(base, s);
                expected = s.nextOffset;
                continue;
            }
            long truncated = s.recover(last, now, !last, offsetLimit);
            if (!last && truncated > 0) {
                LOG.error("{}: closed segment {} had a corrupt tail; it becomes the active segment and the {} later "
                        + "segment(s) are deleted", tp, Segment.fileName(base), ordered.size() - i - 1);
                s.closeQuietly();
                s = Segment.openExisting(tp, dir, base, config.indexIntervalBytes(), now);
                s.recover(true, now, true, offsetLimit);
                deleteSegmentFiles(ordered.subList(i + 1, ordered.size()));
                last = true;
            }
            if (!last && s.size == 0) {
                LOG.warn("{}: closed segment {} is empty; removing it", tp, Segment.fileName(base));
                s.closeQuietly();
                deleteSegmentFiles(List.of(base));
                continue;
            }
            segments.put(base, s);
            expected = s.nextOffset;
            if (last) {
                active = s;
                break;
            }
        }
        if (active == null) {
            long base = segments.isEmpty() ? 0 : segments.lastEntry().getValue().nextOffset;
            active = Segment.create(tp, dir, base, config.indexIntervalBytes(), now);
            segments.put(base, active);
        }
        return new Loaded(segments, active);
    }

    private void deleteSegmentFiles(List<Long> bases) {
        for (long b : bases) {
            String n = Segment.fileName(b);
            for (String suffix : new String[]{Segment.LOG_SUFFIX, Segment.INDEX_SUFFIX, Segment.TIME_INDEX_SUFFIX}) {
                try {
                    Files.deleteIfExists(dir.resolve(n + suffix));
                } catch (IOException e) {
                    throw new LogIOException("cannot delete " + n + suffix + " of " + tp, e);
                }
            }
        }
    }
}
