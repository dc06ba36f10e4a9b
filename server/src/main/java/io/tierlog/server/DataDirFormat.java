package io.tierlog.server;

import io.tierlog.core.TierlogException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;

/**
 * The storage format version of a data directory, kept in {@code <data>/tierlog-format}, so that a server never
 * reads or appends to files written in a format it does not know. Format 2 is Kafka's record batch v2 everywhere;
 * format 1 (Tierlog's own batch) had no marker file, so a directory with topics but no marker is format 1 and is
 * refused with a message that names it.
 */
final class DataDirFormat {
    static final String FILE = "tierlog-format";
    static final int CURRENT = 2;

    private DataDirFormat() {
    }

    /** Checks (and on a fresh directory writes) the marker; throws when the directory holds another format. */
    static void checkOrInitialise(Path dataDir) {
        Path marker = dataDir.resolve(FILE);
        try {
            if (Files.exists(marker)) {
                String v = Files.readString(marker, StandardCharsets.UTF_8).trim();
                if (!v.equals(Integer.toString(CURRENT))) {
                    throw refuse(dataDir, "storage format " + v);
                }
                return;
            }
            if (holdsTopics(dataDir.resolve("topics"))) {
                throw refuse(dataDir, "storage format 1 (Tierlog's batch format before Kafka's record batch v2)");
            }
            Path tmp = dataDir.resolve(FILE + ".tmp");
            Files.writeString(tmp, CURRENT + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, marker, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot check the storage format of " + dataDir, e);
        }
    }

    private static boolean holdsTopics(Path topics) throws IOException {
        if (!Files.isDirectory(topics)) {
            return false;
        }
        try (Stream<Path> s = Files.list(topics)) {
            return s.findAny().isPresent();
        }
    }

    private static TierlogException refuse(Path dataDir, String what) {
        return new TierlogException("the data directory " + dataDir.toAbsolutePath() + " holds data in " + what
                + "; this version reads and writes storage format " + CURRENT + " (Kafka's record batch v2) only. "
                + "Start with another --data-dir, or move this one away (its S3 objects are in the old format too).");
    }
}
