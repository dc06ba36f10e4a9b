package io.tierlog.hot;

import io.tierlog.core.TopicPartition;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * The file {@code log-start-offset} in a partition's directory: the offset below which records were deleted on
 * request (Kafka's DeleteRecords), {@code # tierlog log start offset v1} then the offset, one line each. Written
 * whole into {@code log-start-offset.tmp}, forced, renamed over the old file, then the directory forced, so a crash
 * leaves the old or the new offset. A missing file means 0 (nothing deleted).
 */
final class LogStartOffsetFile {
    static final String NAME = "log-start-offset";
    static final String HEADER = "# tierlog log start offset v1";

    private LogStartOffsetFile() {
    }

    static long read(Path dir, TopicPartition tp) {
        Path f = dir.resolve(NAME);
        List<String> lines;
        try {
            lines = Files.readAllLines(f, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException e) {
            throw new LogIOException("cannot read " + f + " of " + tp, e);
        }
        if (lines.size() != 2 || !lines.get(0).equals(HEADER)) {
            throw new LogIOException("malformed " + f + " of " + tp + ": expected '" + HEADER + "' and an offset",
                    new IOException("malformed"));
        }
        try {
            long offset = Long.parseLong(lines.get(1).trim());
            if (offset < 0) {
                throw new NumberFormatException("negative");
            }
            return offset;
        } catch (NumberFormatException e) {
            throw new LogIOException("malformed offset in " + f + " of " + tp + ": '" + lines.get(1) + "'",
                    new IOException(e));
        }
    }

    static void write(Path dir, TopicPartition tp, long offset) {
        Path f = dir.resolve(NAME);
        Path tmp = dir.resolve(NAME + Segment.TMP_SUFFIX);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer b = ByteBuffer.wrap((HEADER + "\n" + offset + "\n").getBytes(StandardCharsets.UTF_8));
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            } catch (IOException e) {
                // some platforms cannot open a directory for fsync; the rename is still atomic
            }
        } catch (IOException e) {
            throw new LogIOException("cannot write " + f + " of " + tp, e);
        }
    }
}
