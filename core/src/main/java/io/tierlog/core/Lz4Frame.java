package io.tierlog.core;

import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;
import net.jpountz.xxhash.XXHash32;
import net.jpountz.xxhash.XXHashFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The LZ4 frame format (lz4's {@code lz4_Frame_format.md}), as Kafka's lz4 codec writes and reads it, on whole
 * buffers: a batch's record section is decoded straight into one output array (the stream classes allocate two
 * block buffers per batch and copy twice), and encoded in 64 KiB independent blocks without content checksum,
 * which is what Kafka's {@code Lz4BlockOutputStream} writes. Block compression itself is lz4-java's (native where
 * available); decoding uses its bounds-checked decompressor because the input may come from a client.
 */
final class Lz4Frame {
    static final int MAGIC = 0x184D2204;
    private static final int FLG_VERSION_MASK = 0xC0;
    private static final int FLG_VERSION = 0x40;
    private static final int FLG_BLOCK_INDEPENDENCE = 0x20;
    private static final int FLG_BLOCK_CHECKSUM = 0x10;
    private static final int FLG_CONTENT_SIZE = 0x08;
    private static final int FLG_CONTENT_CHECKSUM = 0x04;
    private static final int FLG_DICT_ID = 0x01;
    private static final int BD_64KB = 4 << 4;
    private static final int BLOCK_SIZE = 64 * 1024;
    private static final int UNCOMPRESSED_BIT = 0x80000000;

    private static final LZ4Factory LZ4 = LZ4Factory.fastestInstance();
    private static final XXHash32 XXHASH = XXHashFactory.fastestInstance().hash32();

    private Lz4Frame() {
    }

    /** Encodes {@code len} bytes of {@code src} from {@code off} as one frame. */
    static byte[] encode(byte[] src, int off, int len) {
        LZ4Compressor c = LZ4.fastCompressor();
        int blocks = Math.max(1, (len + BLOCK_SIZE - 1) / BLOCK_SIZE);
        byte[] out = new byte[7 + blocks * (4 + c.maxCompressedLength(BLOCK_SIZE)) + 4];
        ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC);
        b.put((byte) (FLG_VERSION | FLG_BLOCK_INDEPENDENCE));
        b.put((byte) BD_64KB);
        b.put((byte) ((XXHASH.hash(out, 4, 2, 0) >> 8) & 0xFF));
        int pos = b.position();
        for (int at = off; at < off + len; at += BLOCK_SIZE) {
            int n = Math.min(BLOCK_SIZE, off + len - at);
            int written = c.compress(src, at, n, out, pos + 4, out.length - pos - 4);
            if (written >= n) { // incompressible: stored as is, as the format allows
                System.arraycopy(src, at, out, pos + 4, n);
                b.putInt(pos, n | UNCOMPRESSED_BIT);
                pos += 4 + n;
            } else {
                b.putInt(pos, written);
                pos += 4 + written;
            }
        }
        b.putInt(pos, 0); // end mark
        return Arrays.copyOf(out, pos + 4);
    }

    /**
     * Decodes one frame (position to limit of {@code src}; the buffer is not moved) into a new array, at most
     * {@code maxOutput} bytes. Block and content checksums are skipped (the batch CRC covers the bytes); a
     * malformed frame throws {@link CorruptBatchException}.
     */
    static byte[] decode(ByteBuffer src, int sizeHint, int maxOutput) {
        ByteBuffer out = decodeInto(src, new byte[Math.clamp(sizeHint, 256, maxOutput)], maxOutput);
        return out.limit() == out.array().length ? out.array() : Arrays.copyOf(out.array(), out.limit());
    }

    /**
     * Decodes one frame into {@code initial} (replaced by a larger array when it fills up, up to {@code maxOutput}
     * bytes) and returns the decoded bytes as a buffer over that array (position 0, limit = length): no final copy,
     * and a caller can reuse its arrays.
     */
    static ByteBuffer decodeInto(ByteBuffer src, byte[] initial, int maxOutput) {
        ByteBuffer in = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        try {
            if (in.getInt() != MAGIC) {
                throw new CorruptBatchException("lz4 frame has a wrong magic number");
            }
            int flg = in.get() & 0xFF;
            int bd = in.get() & 0xFF;
            if ((flg & FLG_VERSION_MASK) != FLG_VERSION) {
                throw new CorruptBatchException("lz4 frame version " + (flg >>> 6) + " is not 1");
            }
            int maxBlock = switch ((bd >>> 4) & 7) {
                case 4 -> 64 * 1024;
                case 5 -> 256 * 1024;
                case 6 -> 1024 * 1024;
                case 7 -> 4 * 1024 * 1024;
                default -> throw new CorruptBatchException("lz4 frame has an invalid block size code " + ((bd >>> 4) & 7));
            };
            if ((flg & FLG_CONTENT_SIZE) != 0) {
                in.position(in.position() + 8);
            }
            if ((flg & FLG_DICT_ID) != 0) {
                in.position(in.position() + 4);
            }
            in.get(); // header checksum
            boolean blockChecksum = (flg & FLG_BLOCK_CHECKSUM) != 0;
            LZ4SafeDecompressor d = LZ4.safeDecompressor();
            byte[] out = initial;
            int n = 0;
            while (true) {
                int size = in.getInt();
                if (size == 0) {
                    break;
                }
                boolean stored = (size & UNCOMPRESSED_BIT) != 0;
                int len = size & ~UNCOMPRESSED_BIT;
                if (len > maxBlock || len > in.remaining()) {
                    throw new CorruptBatchException("lz4 block of " + len + " bytes does not fit the frame");
                }
                if (out.length - n < maxBlock && out.length < maxOutput) {
                    out = Arrays.copyOf(out, (int) Math.min(maxOutput, Math.max((long) out.length * 2, (long) n + maxBlock)));
                }
                if (stored) {
                    if (len > out.length - n) {
                        throw tooLarge(maxOutput);
                    }
                    in.get(out, n, len);
                    n += len;
                } else {
                    int room = Math.min(maxBlock, out.length - n);
                    int got;
                    try {
                        got = d.decompress(in, in.position(), len, ByteBuffer.wrap(out), n, room);
                    } catch (LZ4Exception e) {
                        if (room < maxBlock && out.length >= maxOutput) {
                            throw tooLarge(maxOutput);
                        }
                        throw new CorruptBatchException("lz4 block is corrupt: " + e.getMessage(), e);
                    }
                    in.position(in.position() + len);
                    n += got;
                }
                if (blockChecksum) {
                    in.position(in.position() + 4);
                }
            }
            // a content checksum may follow; the batch CRC already covers these bytes
            return ByteBuffer.wrap(out, 0, n);
        } catch (java.nio.BufferUnderflowException | IllegalArgumentException | IndexOutOfBoundsException e) {
            throw new CorruptBatchException("lz4 frame is truncated or malformed", e);
        }
    }

    private static CorruptBatchException tooLarge(int maxOutput) {
        return new CorruptBatchException("record section decompresses to more than " + maxOutput + " bytes");
    }
}
