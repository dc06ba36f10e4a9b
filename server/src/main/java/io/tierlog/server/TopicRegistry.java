package io.tierlog.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tierlog.core.Validation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The topics that exist, persisted as {@code <data>/topics/<topic>/topic.json} (name, id, partitions, config) and
 * loaded on start. A topic exists exactly when its topic.json does: it is written atomically (temp file,
 * fsync, rename) after the directory is made, and removed first on delete, so a crash never leaves a
 * half-described topic visible.
 */
final class TopicRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(TopicRegistry.class);
    static final String FILE = "topic.json";

    /**
     * One topic: its name, partition count, settings, and its id (Kafka's topic id: stable for the topic's life, so
     * that a topic deleted and created again under the same name is a different topic to Kafka clients).
     */
    record Topic(String name, int partitions, TopicConfig config, long createdAtMs, UUID id) {
    }

    private final Path topicsDir;
    private final ObjectMapper json;
    private final ConcurrentSkipListMap<String, Topic> topics = new ConcurrentSkipListMap<>();

    TopicRegistry(Path topicsDir, ObjectMapper json) {
        this.topicsDir = topicsDir;
        this.json = json;
    }

    /** Reads every topic.json under the topics directory; directories without one are reported in the result. */
    List<Path> load() {
        List<Path> orphans = new ArrayList<>();
        try {
            Files.createDirectories(topicsDir);
            try (DirectoryStream<Path> dirs = Files.newDirectoryStream(topicsDir)) {
                for (Path dir : dirs) {
                    if (!Files.isDirectory(dir)) {
                        continue;
                    }
                    Path f = dir.resolve(FILE);
                    if (!Files.exists(f)) {
                        orphans.add(dir);
                        continue;
                    }
                    JsonNode n = json.readTree(f.toFile());
                    String name = Validation.topicName(n.path("name").asText());
                    int partitions = n.path("partitions").asInt();
                    TopicConfig config = TopicConfig.parse(n.get("config"));
                    long createdAt = n.path("createdAtMs").asLong();
                    UUID id = n.hasNonNull("id") ? UUID.fromString(n.get("id").asText())
                            : UUID.nameUUIDFromBytes((name + "@" + createdAt).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    topics.put(name, new Topic(name, partitions, config, createdAt, id));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load topics from " + topicsDir, e);
        }
        LOG.info("loaded {} topic(s) from {}", topics.size(), topicsDir);
        return orphans;
    }

    Optional<Topic> get(String name) {
        return Optional.ofNullable(topics.get(name));
    }

    Optional<Topic> get(UUID id) {
        for (Topic t : topics.values()) {
            if (t.id().equals(id)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    List<Topic> all() {
        return List.copyOf(topics.values());
    }

    Path dir(String name) {
        return topicsDir.resolve(name);
    }

    /** Creates and persists a topic; throws 409 when it exists. */
    synchronized Topic create(String name, int partitions, TopicConfig config) {
        if (topics.containsKey(name)) {
            throw ApiException.conflict("topic '" + name + "' already exists");
        }
        Topic t = new Topic(name, partitions, config, System.currentTimeMillis(), UUID.randomUUID());
        ObjectNode n = json.createObjectNode();
        n.put("name", name);
        n.put("id", t.id().toString());
        n.put("partitions", partitions);
        config.writeTo(n.putObject("config"));
        n.put("createdAtMs", t.createdAtMs());
        Path dir = dir(name);
        try {
            Files.createDirectories(dir);
            Path tmp = dir.resolve(FILE + ".tmp");
            Files.write(tmp, json.writerWithDefaultPrettyPrinter().writeValueAsBytes(n));
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            try {
                Files.move(tmp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, dir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot persist topic '" + name + "' in " + dir, e);
        }
        topics.put(name, t);
        return t;
    }

    /** Forgets a topic and removes its topic.json (its data is removed by the caller); false when unknown. */
    synchronized boolean remove(String name) {
        if (topics.remove(name) == null) {
            return false;
        }
        try {
            Files.deleteIfExists(dir(name).resolve(FILE));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir(name).resolve(FILE), e);
        }
        return true;
    }
}
