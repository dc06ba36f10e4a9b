package io.tierlog.cold;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * The cold tier's storage SPI: the handful of object-store operations Tierlog needs, so that the offloader
 * and the remote reader can be tested against fault-injecting wrappers and run against any S3-compatible
 * server. Keys are plain strings ({@code /}-separated). Failures throw {@link ObjectStoreException} naming the
 * operation and key; implementations retry transient errors themselves before throwing.
 */
public interface ObjectStore extends AutoCloseable {

    /** Stores {@code bytes} as the whole object at {@code key} (atomic replace of any earlier object). */
    void put(String key, byte[] bytes);

    /**
     * Stores the first {@code length} bytes of {@code file} followed by {@code trailer} as one object. Lets a
     * segment and its index travel in one PUT (or one multipart upload) without a temporary copy.
     */
    void putFile(String key, Path file, long length, byte[] trailer);

    /** Stores the whole file as the object at {@code key}. */
    default void putFile(String key, Path file) {
        try {
            putFile(key, file, java.nio.file.Files.size(file), new byte[0]);
        } catch (java.io.IOException e) {
            throw new ObjectStoreException("cannot read size of " + file + " for " + key, e);
        }
    }

    /**
     * Bytes {@code [offset, offset + length)} of the object (fewer when the object ends first).
     * Throws {@link ObjectNotFoundException} when there is no such object.
     */
    byte[] getRange(String key, long offset, int length);

    /** The whole object; throws {@link ObjectNotFoundException} when it does not exist. */
    byte[] get(String key);

    /** Size and key of the object, or empty when it does not exist. */
    Optional<ObjectMeta> head(String key);

    /** Every object whose key starts with {@code prefix}, in key order. */
    List<ObjectMeta> list(String prefix);

    /** Deletes the object; deleting a missing object is not an error. */
    void delete(String key);

    /** Deletes all the given objects (in as few requests as the store allows). */
    void deleteAll(Collection<String> keys);

    /** Deletes every object whose key starts with {@code prefix}; returns how many. */
    default int deletePrefix(String prefix) {
        List<String> keys = new ArrayList<>();
        for (ObjectMeta m : list(prefix)) {
            keys.add(m.key());
        }
        deleteAll(keys);
        return keys.size();
    }

    @Override
    void close();
}
