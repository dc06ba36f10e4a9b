package io.tierlog.core;

import com.github.luben.zstd.Zstd;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4FastDecompressor;

import java.util.Locale;

/**
 * Codec applied to the whole record section of a batch. Compressing per batch (not per record) is what makes
 * metric batches small: series keys repeat across records.
 */
public enum Compression {
    NONE(0),
    LZ4(1),
    ZSTD(2);

    private static final int ZSTD_LEVEL = 1;

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
                long n = Zstd.compressByteArray(out, 0, out.length, src, off, len, ZSTD_LEVEL);
                if (Zstd.isError(n)) {
                    throw new TierlogException("zstd compression failed: " + Zstd.getErrorName(n));
                }
                yield java.util.Arrays.copyOf(out, (int) n);
            }
        };
    }

    byte[] decompress(byte[] src, int off, int len, int uncompressedLength) {
        try {
            return switch (this) {
                case NONE -> java.util.Arrays.copyOfRange(src, off, off + len);
                case LZ4 -> {
                    byte[] out = new byte[uncompressedLength];
                    LZ4FastDecompressor d = Lz4Holder.FACTORY.fastDecompressor();
                    int read = d.decompress(src, off, out, 0, uncompressedLength);
                    if (read != len) {
                        throw new CorruptBatchException("lz4 payload length mismatch: read " + read + " of " + len);
                    }
                    yield out;
                }
                case ZSTD -> {
                    byte[] out = new byte[uncompressedLength];
                    long n = Zstd.decompressByteArray(out, 0, uncompressedLength, src, off, len);
                    if (Zstd.isError(n) || n != uncompressedLength) {
                        throw new CorruptBatchException("zstd payload does not decompress to " + uncompressedLength + " bytes");
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

    private static final class Lz4Holder {
        static final LZ4Factory FACTORY = LZ4Factory.fastestJavaInstance();
    }
}
