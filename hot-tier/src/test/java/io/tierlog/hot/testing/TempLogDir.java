package io.tierlog.hot.testing;

import io.tierlog.core.TopicPartition;
import io.tierlog.hot.LogConfig;
import io.tierlog.hot.LogManager;
import io.tierlog.hot.PartitionLog;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A temporary data directory with a {@link LogManager} over it, for tests that need a real log. {@link #reopen()}
 * closes and reopens the manager (a clean restart); close deletes the directory.
 */
public final class TempLogDir implements AutoCloseable {
    private final Path dir;
    private LogManager manager;

    public TempLogDir() {
        try {
            dir = Files.createTempDirectory("tierlog-hot-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        manager = new LogManager(dir);
    }

    public Path dir() {
        return dir;
    }

    public LogManager manager() {
        return manager;
    }

    public PartitionLog open(TopicPartition tp, LogConfig config) {
        return manager.open(tp, config);
    }

    /** The partition directory that holds a log's segment files. */
    public Path partitionDir(TopicPartition tp) {
        return manager.topicDir(tp.topic()).resolve(Integer.toString(tp.partition()));
    }

    public LogManager reopen() {
        manager.close();
        manager = new LogManager(dir);
        return manager;
    }

    /** Small segments and indexes so that rolls and index lookups happen in small tests. */
    public static LogConfig smallConfig() {
        return LogConfig.DEFAULTS.withSegmentBytes(4096).withSegmentMs(Long.MAX_VALUE / 4).withIndexIntervalBytes(256);
    }

    @Override
    public void close() {
        manager.close();
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
