package io.tierlog.cold;

import io.tierlog.core.StorageException;
import io.tierlog.core.TopicPartition;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * One partition's manifest: the remote segments readers may see, in offset order, and the offset up to which
 * local data has been offloaded (kept even when retention removed every remote segment). Stored as one small
 * binary object, overwritten whole by a single PUT (atomic in S3), always after the segment objects it names.
 *
 * <p>Layout (big-endian): magic {@code TLMF}, version 2, offloadedUpTo (long), count (int), then per segment:
 * baseOffset, nextOffset, minTimestamp, maxTimestamp, logLength (longs), trailerLength (int), object format
 * ({@link ObjectFormat} id, int8), key length (unsigned short) + UTF-8 key; finally CRC32C (int) of everything
 * before it. Version 1 (written before series blocks) has no format byte: all its objects are segment copies.
 */
record Manifest(long offloadedUpTo, List<Entry> segments) {
    static final int MAGIC = 0x544C4D46; // "TLMF"
    static final int VERSION = 2;
    /** The layout before objects had formats; still decoded, never written. */
    static final int VERSION_SEGMENT_COPIES_ONLY = 1;
    /** The smallest encoded entry of version 1 (five longs, an int and an empty key's length); version 2 adds a byte. */
    private static final int MIN_ENTRY_BYTES = 5 * 8 + 4 + 2;

    static final Manifest EMPTY = new Manifest(0, List.of());

    /**
     * A remote segment plus what a reader needs to fetch its index in one ranged GET. For a series block,
     * {@code logLength} is the whole object's size and {@code trailerLength} 0 (its footer locates itself).
     */
    record Entry(RemoteSegmentInfo info, long logLength, int trailerLength, ObjectFormat format) {
        Entry(RemoteSegmentInfo info, long logLength, int trailerLength) {
            this(info, logLength, trailerLength, ObjectFormat.SEGMENT_COPY);
        }

        String key() {
            return info.objectKey();
        }

        long objectSize() {
            return logLength + trailerLength;
        }
    }

    Manifest {
        segments = List.copyOf(segments);
    }

    long remoteStart() {
        return segments.isEmpty() ? -1 : segments.get(0).info().baseOffset();
    }

    long remoteEnd() {
        return segments.isEmpty() ? 0 : segments.get(segments.size() - 1).info().nextOffset();
    }

    Manifest append(Entry e) {
        List<Entry> next = new ArrayList<>(segments);
        next.add(e);
        return new Manifest(Math.max(offloadedUpTo, e.info().nextOffset()), next);
    }

    Manifest dropOldest(int count) {
        return new Manifest(offloadedUpTo, segments.subList(count, segments.size()));
    }

    byte[] encode() {
        int size = 4 + 4 + 8 + 4 + 4;
        List<byte[]> keys = new ArrayList<>(segments.size());
        for (Entry e : segments) {
            byte[] k = e.key().getBytes(StandardCharsets.UTF_8);
            if (k.length > 0xFFFF) {
                throw new IllegalArgumentException("object key too long: " + e.key());
            }
            keys.add(k);
            size += 5 * 8 + 4 + 1 + 2 + k.length;
        }
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.BIG_ENDIAN);
        b.putInt(MAGIC).putInt(VERSION).putLong(offloadedUpTo).putInt(segments.size());
        for (int i = 0; i < segments.size(); i++) {
            RemoteSegmentInfo s = segments.get(i).info();
            b.putLong(s.baseOffset()).putLong(s.nextOffset()).putLong(s.minTimestamp()).putLong(s.maxTimestamp())
                    .putLong(segments.get(i).logLength()).putInt(segments.get(i).trailerLength())
                    .put((byte) segments.get(i).format().id())
                    .putShort((short) keys.get(i).length).put(keys.get(i));
        }
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        return b.array();
    }

    static Manifest decode(byte[] bytes, TopicPartition tp, String key) {
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.BIG_ENDIAN);
            CRC32C crc = new CRC32C();
            crc.update(bytes, 0, bytes.length - 4);
            if (b.getInt(bytes.length - 4) != (int) crc.getValue()) {
                throw new StorageException("manifest " + key + " fails its CRC");
            }
            int magic = b.getInt();
            int version = b.getInt();
            if (magic != MAGIC || (version != VERSION && version != VERSION_SEGMENT_COPIES_ONLY)) {
                throw new StorageException("manifest " + key + " has an unknown magic or version");
            }
            long upTo = b.getLong();
            int n = b.getInt();
            // bounded by the bytes present before anything is allocated: a damaged count must not cost memory
            if (n < 0 || n > (b.remaining() - 4) / MIN_ENTRY_BYTES) {
                throw new StorageException("manifest " + key + " declares " + n + " segments in " + bytes.length + " bytes");
            }
            List<Entry> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                long base = b.getLong();
                long next = b.getLong();
                long minTs = b.getLong();
                long maxTs = b.getLong();
                long logLength = b.getLong();
                int trailer = b.getInt();
                ObjectFormat format;
                try {
                    format = version == VERSION_SEGMENT_COPIES_ONLY ? ObjectFormat.SEGMENT_COPY : ObjectFormat.fromId(b.get());
                } catch (StorageException unknown) {
                    throw new StorageException("manifest " + key + " entry " + i + ": " + unknown.getMessage(), unknown);
                }
                byte[] k = new byte[Short.toUnsignedInt(b.getShort())];
                b.get(k);
                if (base < 0 || next <= base || logLength < 0 || trailer < 0) {
                    throw new StorageException("manifest " + key + " has a malformed entry " + i + ": offsets [" + base + ", "
                            + next + "), log length " + logLength + ", trailer length " + trailer);
                }
                out.add(new Entry(new RemoteSegmentInfo(tp, base, next, minTs, maxTs, logLength,
                        new String(k, StandardCharsets.UTF_8)), logLength, trailer, format));
            }
            return new Manifest(upTo, out);
        } catch (BufferUnderflowException | IndexOutOfBoundsException | NegativeArraySizeException e) {
            throw new StorageException("manifest " + key + " is truncated", e);
        }
    }
}
