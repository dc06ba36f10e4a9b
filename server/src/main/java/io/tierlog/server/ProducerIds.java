package io.tierlog.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * Hands out idempotent-producer ids (Kafka's InitProducerId) that are never reused, across restarts too: ids are
 * taken from blocks of {@value #BLOCK}, and a block's end is persisted (fsynced, renamed) in
 * {@code <data>/producer-ids} before any id of it is given out, so a crash can skip ids but never repeat one.
 * Also bumps an id's epoch when a producer re-initialises (KIP-360). Thread-safe.
 */
final class ProducerIds {
    static final long BLOCK = 1000;

    private final Path file;
    private long next;
    private long blockEnd;
    /** Epochs handed out by this process; an id unknown here (older process) is trusted at the epoch it names. */
    private final Map<Long, Short> epochs = new HashMap<>();

    ProducerIds(Path dataDir) {
        this.file = dataDir.resolve("producer-ids");
        try {
            next = Files.exists(file) ? Long.parseLong(Files.readString(file, StandardCharsets.UTF_8).trim()) : 0;
        } catch (IOException | NumberFormatException e) {
            throw new IllegalStateException("cannot read the producer id block in " + file + ": " + e, e);
        }
        blockEnd = next;
    }

    /** A new producer id at epoch 0. */
    synchronized long newId() {
        if (next >= blockEnd) {
            persist(next + BLOCK);
            blockEnd = next + BLOCK;
        }
        long id = next++;
        epochs.put(id, (short) 0);
        return id;
    }

    /**
     * The next epoch of {@code id}, which its producer says is at {@code epoch}; -1 when the epoch is stale (another
     * instance of the producer bumped it) and a new id is needed when the epoch would overflow.
     */
    synchronized short bumpEpoch(long id, short epoch) {
        Short current = epochs.get(id);
        if (current != null && current != epoch) {
            return -1;
        }
        if (epoch >= Short.MAX_VALUE - 1) {
            return Short.MIN_VALUE;
        }
        short bumped = (short) (epoch + 1);
        epochs.put(id, bumped);
        return bumped;
    }

    private void persist(long end) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.writeString(tmp, end + "\n", StandardCharsets.UTF_8);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot persist the producer id block in " + file, e);
        }
    }
}
