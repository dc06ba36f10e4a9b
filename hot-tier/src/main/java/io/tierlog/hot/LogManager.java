package io.tierlog.hot;

import io.tierlog.core.InvalidInputException;
import io.tierlog.core.TopicPartition;
import io.tierlog.core.Validation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Collections;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.LongSupplier;

/**
 * The hot tier's entry point: owns the data directory ({@code <dataDir>/topics/<topic>/<partition>/}) and
 * the open {@link PartitionLog}s in it. Topic names become directory names, so every path is checked here to
 * stay inside the data directory. Thread-safe.
 */
public final class LogManager implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(LogManager.class);
    private static final String TOPICS = "topics";
    private static final String TRASH = "deleting";

    private final Path dataDir;
    private final Path topicsRoot;
    private final LongSupplier clock;
    private final ConcurrentMap<TopicPartition, LocalPartitionLog> logs = new ConcurrentHashMap<>();
    private volatile boolean closed;

    public LogManager(Path dataDir) {
        this(dataDir, System::currentTimeMillis);
    }

    /** With an injectable clock for roll and flush timing (tests). */
    LogManager(Path dataDir, LongSupplier clock) {
        this.dataDir = dataDir.toAbsolutePath().normalize();
        this.topicsRoot = this.dataDir.resolve(TOPICS);
        this.clock = clock;
        try {
            Files.createDirectories(topicsRoot);
            Path trash = this.dataDir.resolve(TRASH);
            if (Files.isDirectory(trash)) {
                deleteRecursively(trash);
            }
        } catch (IOException e) {
            throw new LogIOException("cannot prepare data directory " + this.dataDir, e);
        }
    }

    /** Opens (creating or recovering) the log of {@code tp}; returns the already open instance if there is one. */
    public PartitionLog open(TopicPartition tp, LogConfig config) {
        ensureOpen();
        Path dir = partitionDir(tp);
        return logs.computeIfAbsent(tp, k -> LocalPartitionLog.open(dir, k, config, clock));
    }

    public Optional<PartitionLog> get(TopicPartition tp) {
        return Optional.ofNullable(logs.get(tp));
    }

    /** Topics and partitions found on disk (open or not), for the server to reopen at start. */
    public SortedMap<String, SortedSet<Integer>> partitionsOnDisk() {
        SortedMap<String, SortedSet<Integer>> out = new TreeMap<>();
        try (DirectoryStream<Path> topics = Files.newDirectoryStream(topicsRoot, Files::isDirectory)) {
            for (Path t : topics) {
                String topic = t.getFileName().toString();
                try {
                    Validation.topicName(topic);
                } catch (InvalidInputException e) {
                    LOG.warn("ignoring directory {} with an invalid topic name", t);
                    continue;
                }
                SortedSet<Integer> parts = new TreeSet<>();
                try (DirectoryStream<Path> ps = Files.newDirectoryStream(t, Files::isDirectory)) {
                    for (Path p : ps) {
                        String name = p.getFileName().toString();
                        if (name.matches("(0|[1-9]\\d{0,8})")) {
                            parts.add(Integer.parseInt(name));
                        }
                    }
                }
                out.put(topic, Collections.unmodifiableSortedSet(parts));
            }
        } catch (IOException e) {
            throw new LogIOException("cannot list " + topicsRoot, e);
        }
        return Collections.unmodifiableSortedMap(out);
    }

    /**
     * Closes the topic's open logs and removes its directory. The directory is first moved out of
     * {@code topics/} atomically, so a crash midway never leaves a half-deleted topic behind.
     */
    public void deleteTopic(String topic) {
        ensureOpen();
        Path dir = topicDir(topic);
        logs.entrySet().removeIf(e -> {
            if (e.getKey().topic().equals(topic)) {
                e.getValue().close();
                return true;
            }
            return false;
        });
        if (!Files.exists(dir)) {
            return;
        }
        try {
            Path trash = dataDir.resolve(TRASH);
            Files.createDirectories(trash);
            Path target = trash.resolve(topic + "-" + System.nanoTime());
            Files.move(dir, target, StandardCopyOption.ATOMIC_MOVE);
            deleteRecursively(target);
            LOG.info("deleted topic {}", topic);
        } catch (IOException e) {
            throw new LogIOException("cannot delete topic directory " + dir, e);
        }
    }

    /** {@code <dataDir>/topics/<topic>}, refusing any name that is invalid or would resolve outside it. */
    public Path topicDir(String topic) {
        Validation.topicName(topic);
        Path p = topicsRoot.resolve(topic).normalize();
        if (!p.startsWith(topicsRoot) || p.equals(topicsRoot) || !p.getParent().equals(topicsRoot)) {
            throw new InvalidInputException("topic name '" + topic + "' does not name a directory inside " + topicsRoot);
        }
        return p;
    }

    private Path partitionDir(TopicPartition tp) {
        return topicDir(tp.topic()).resolve(Integer.toString(tp.partition()));
    }

    @Override
    public void close() {
        closed = true;
        RuntimeException first = null;
        for (LocalPartitionLog log : logs.values()) {
            try {
                log.close();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        logs.clear();
        if (first != null) {
            throw first;
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("log manager of " + dataDir + " is closed");
        }
    }

    private static void deleteRecursively(Path root) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                Files.deleteIfExists(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
