package io.tierlog.core;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import org.xerial.snappy.SnappyOutputStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * The codec of a batch's record section, with Kafka's ids and stream formats (attributes bits 0-2), so that a
 * batch compressed by any Kafka client is stored and served as it came: gzip (RFC 1952), snappy (the xerial
 * framing Kafka uses), lz4 (the LZ4 frame format, 64 KiB independent blocks) and zstd (a zstd frame).
 * Compressing per batch (not per record) is what makes metric batches small: series keys repeat across records.
 */
public enum Compression {
    NONE(0),
    GZIP(1),
    SNAPPY(2),
    LZ4(3),
    ZSTD(4);

    /**
     * Largest record section a batch may decompress to. A client batch is bounded by the request size, but a
     * compression bomb is not: decoding stops with a {@link CorruptBatchException} past this many bytes.
     */
    public static final int MAX_DECOMPRESSED_BYTES = 128 * 1024 * 1024;

    private final int id;

    Compression(int id) {
        this.id = id;
    }

    /** The value stored in the low three bits of the batch attributes (Kafka's compression type id). */
    public int id() {
        return id;
    }

    public static Compression fromId(int id) {
        return switch (id) {
            case 0 -> NONE;
            case 1 -> GZIP;
            case 2 -> SNAPPY;
            case 3 -> LZ4;
            case 4 -> ZSTD;
            default -> throw new CorruptBatchException("unknown compression id " + id);
        };
    }

    /** Parses a user-facing name (none, gzip, snappy, lz4, zstd), case-insensitively. */
    public static Compression parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("unknown compression '" + name + "' (expected none, gzip, snappy, lz4 or zstd)");
        }
    }

    /** Compresses {@code len} bytes of {@code src} from {@code off} into this codec's stream format. */
    byte[] compress(byte[] src, int off, int len) {
        if (this == NONE) {
            return Arrays.copyOfRange(src, off, off + len);
        }
        if (this == LZ4) {
            return Lz4Frame.encode(src, off, len);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(Math.max(64, len / 2));
        try (OutputStream out = compressing(bytes)) {
            out.write(src, off, len);
        } catch (IOException e) {
            throw new UncheckedIOException(name().toLowerCase(Locale.ROOT) + " compression failed", e);
        }
        return bytes.toByteArray();
    }

    private OutputStream compressing(OutputStream out) throws IOException {
        return switch (this) {
            case NONE -> out;
            case GZIP -> new GZIPOutputStream(out, 8 * 1024);
            case SNAPPY -> new SnappyOutputStream(out, 32 * 1024);
            case LZ4 -> throw new IllegalStateException("lz4 is encoded by Lz4Frame");
            case ZSTD -> new ZstdOutputStreamNoFinalizer(out, ZstdContexts.LEVEL);
        };
    }

    /**
     * Decompresses {@code src} (position to limit; the buffer is not moved) into a new array holding exactly the
     * record section. Input may come from a client, so only bounds-checked decoders are used, the output is
     * capped at {@link #MAX_DECOMPRESSED_BYTES} and any decoder failure is reported as corruption.
     *
     * @param sizeHint expected size of the output (e.g. a multiple of the input), to size the first buffer
     */
    byte[] decompress(ByteBuffer src, int sizeHint) {
        if (this == NONE) {
            byte[] out = new byte[src.remaining()];
            src.duplicate().get(out);
            return out;
        }
        if (this == LZ4) {
            return Lz4Frame.decode(src, sizeHint, MAX_DECOMPRESSED_BYTES);
        }
        if (this == SNAPPY) {
            ByteBuffer out = SnappyFrames.decodeInto(src, new byte[Math.clamp(sizeHint, 256, 4 * 1024 * 1024)],
                    MAX_DECOMPRESSED_BYTES);
            return out.limit() == out.array().length ? out.array() : Arrays.copyOf(out.array(), out.limit());
        }
        try (InputStream in = decompressing(new BufferInput(src.duplicate()))) {
            return readCapped(in, sizeHint);
        } catch (CorruptBatchException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new CorruptBatchException(name().toLowerCase(Locale.ROOT) + " record section is corrupt: " + e.getMessage(), e);
        }
    }

    /**
     * Like {@link #decompress} but into {@code initial} (replaced by a larger array when needed), returning a buffer
     * over the array that holds the bytes (position 0, limit = length): no exact-size copy, and the caller may
     * hand in a reused array. Not for {@link #NONE}.
     */
    ByteBuffer decompressInto(ByteBuffer src, byte[] initial) {
        if (this == LZ4) {
            return Lz4Frame.decodeInto(src, initial, MAX_DECOMPRESSED_BYTES);
        }
        if (this == SNAPPY) { // not SnappyInputStream: it allocates whatever a block declares, before checking it
            return SnappyFrames.decodeInto(src, initial, MAX_DECOMPRESSED_BYTES);
        }
        try (InputStream in = decompressing(new BufferInput(src.duplicate()))) {
            return readInto(in, initial);
        } catch (CorruptBatchException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new CorruptBatchException(name().toLowerCase(Locale.ROOT) + " record section is corrupt: " + e.getMessage(), e);
        }
    }

    private static ByteBuffer readInto(InputStream in, byte[] initial) throws IOException {
        byte[] out = initial;
        int n = 0;
        while (true) {
            if (n == out.length) {
                if (out.length >= MAX_DECOMPRESSED_BYTES) {
                    if (in.read() < 0) {
                        return ByteBuffer.wrap(out, 0, n);
                    }
                    throw new CorruptBatchException("record section decompresses to more than "
                            + MAX_DECOMPRESSED_BYTES + " bytes");
                }
                out = Arrays.copyOf(out, (int) Math.min(Math.max(256L, (long) out.length * 2), MAX_DECOMPRESSED_BYTES));
            }
            int r = in.read(out, n, out.length - n);
            if (r < 0) {
                return ByteBuffer.wrap(out, 0, n);
            }
            n += r;
        }
    }

    private InputStream decompressing(InputStream in) throws IOException {
        return switch (this) {
            case NONE -> in;
            case GZIP -> new GZIPInputStream(in, 8 * 1024);
            case SNAPPY -> throw new IllegalStateException("snappy is decoded by SnappyFrames");
            case LZ4 -> throw new IllegalStateException("lz4 is decoded by Lz4Frame");
            case ZSTD -> new ZstdInputStreamNoFinalizer(in);
        };
    }

    private static byte[] readCapped(InputStream in, int sizeHint) throws IOException {
        byte[] out = new byte[Math.clamp(sizeHint, 256, 4 * 1024 * 1024)];
        int n = 0;
        while (true) {
            if (n == out.length) {
                if (out.length >= MAX_DECOMPRESSED_BYTES) {
                    if (in.read() < 0) {
                        return out;
                    }
                    throw new CorruptBatchException("record section decompresses to more than "
                            + MAX_DECOMPRESSED_BYTES + " bytes");
                }
                out = Arrays.copyOf(out, (int) Math.min((long) out.length * 2, MAX_DECOMPRESSED_BYTES));
            }
            int r = in.read(out, n, out.length - n);
            if (r < 0) {
                return n == out.length ? out : Arrays.copyOf(out, n);
            }
            n += r;
        }
    }

    /** An InputStream over a buffer's remaining bytes (no copy). */
    private static final class BufferInput extends InputStream {
        private final ByteBuffer buf;

        BufferInput(ByteBuffer buf) {
            this.buf = buf;
        }

        @Override
        public int read() {
            return buf.hasRemaining() ? buf.get() & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (len == 0) {
                return 0;
            }
            if (!buf.hasRemaining()) {
                return -1;
            }
            int n = Math.min(len, buf.remaining());
            buf.get(b, off, n);
            return n;
        }

        @Override
        public int available() {
            return buf.remaining();
        }
    }
}
