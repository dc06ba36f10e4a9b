package io.tierlog.core;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;

import java.nio.ByteBuffer;
import java.util.Locale;

/**
 * Codec applied to the whole record section of a batch. Compressing per batch (not per record) is what makes
 * metric batches small: series keys repeat across records.
 */
public enum Compression {
    NONE(0),
    LZ4(1),
    ZSTD(2);

    private final int id;

    Compression(int id) {
        this.id = id;
    }

    /** The value stored in the low three bits of the batch attributes. */
    public int id() {
        return id;
    }

    public static Compression fromId(int id) {
        return switch (id) {
            case 0 -> NONE;
            case 1 -> LZ4;
            case 2 -> ZSTD;
            default -> throw new CorruptBatchException("unknown compression id " + id);
        };
    }

    /** Parses a user-facing name (none, lz4, zstd), case-insensitively. */
    public static Compression parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("unknown compression '" + name + "' (expected none, lz4 or zstd)");
        }
    }

    byte[] compress(byte[] src, int off, int len) {
        return switch (this) {
            case NONE -> java.util.Arrays.copyOfRange(src, off, off + len);
            case LZ4 -> {
                LZ4Compressor c = Lz4Holder.FACTORY.fastCompressor();
                byte[] out = new byte[c.maxCompressedLength(len)];
                int n = c.compress(src, off, len, out, 0, out.length);
                yield java.util.Arrays.copyOf(out, n);
            }
            case ZSTD -> {
                byte[] out = new byte[(int) Zstd.compressBound(len)];
                ZstdCompressCtx ctx = ZstdContexts.compressor();
                try {
                    int n = ctx.compressByteArray(out, 0, out.length, src, off, len);
                    yield java.util.Arrays.copyOf(out, n);
                } catch (RuntimeException e) {
                    throw new TierlogException("zstd compression failed: " + e.getMessage(), e);
                } finally {
                    ZstdContexts.release(ctx);
                }
            }
        };
    }

    /**
     * Decompresses {@code src} (position to limit) into a new array of exactly {@code uncompressedLength}
     * bytes. Input may come from a client, so only bounds-checked decoders are used and a length mismatch is
     * reported as corruption.
     */
    byte[] decompress(ByteBuffer src, int uncompressedLength) {
        int len = src.remaining();
        try {
            return switch (this) {
                case NONE -> {
                    byte[] out = new byte[len];
                    src.duplicate().get(out);
                    yield out;
                }
                case LZ4 -> {
                    byte[] out = new byte[uncompressedLength];
                    int n = Lz4Holder.FACTORY.safeDecompressor()
                            .decompress(src, src.position(), len, ByteBuffer.wrap(out), 0, uncompressedLength);
                    if (n != uncompressedLength) {
                        throw new CorruptBatchException("lz4 payload decompresses to " + n + " bytes, header says "
                                + uncompressedLength);
                    }
                    yield out;
                }
                case ZSTD -> {
                    byte[] out = new byte[uncompressedLength];
                    ZstdDecompressCtx ctx = ZstdContexts.decompressor();
                    try {
                        int n = src.hasArray()
                                ? ctx.decompressByteArray(out, 0, uncompressedLength, src.array(),
                                        src.arrayOffset() + src.position(), len)
                                : src.isDirect()
                                ? ctx.decompressDirectByteBufferToByteArray(out, 0, uncompressedLength, src, src.position(), len)
                                : ctx.decompressByteArray(out, 0, uncompressedLength, copy(src), 0, len);
                        if (n != uncompressedLength) {
                            throw new CorruptBatchException("zstd payload decompresses to " + n + " bytes, header says "
                                    + uncompressedLength);
                        }
                    } finally {
                        ZstdContexts.release(ctx);
                    }
                    yield out;
                }
            };
        } catch (CorruptBatchException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CorruptBatchException(name().toLowerCase(Locale.ROOT) + " payload is corrupt: " + e.getMessage(), e);
        }
    }

    private static byte[] copy(ByteBuffer src) {
        byte[] b = new byte[src.remaining()];
        src.duplicate().get(b);
        return b;
    }

    /**
     * The native (JNI) lz4 where the platform has it, else the pure-Java one. Decoding always goes through the
     * bounds-checked "safe" decompressor, because batches can come from clients.
     */
    private static final class Lz4Holder {
        static final LZ4Factory FACTORY = LZ4Factory.fastestInstance();
    }
}
