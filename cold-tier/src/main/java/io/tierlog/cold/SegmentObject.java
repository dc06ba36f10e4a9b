package io.tierlog.cold;

import io.tierlog.core.CorruptBatchException;
import io.tierlog.core.RecordBatch;
import io.tierlog.core.StorageException;
import io.tierlog.hot.SegmentInfo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * Layout of a remote segment object: the segment's {@code .log} bytes (Kafka record batches) unchanged, then a sparse index
 * (one 20-byte entry per block of about {@code indexIntervalBytes}: base offset of the block's first batch,
 * its position, the largest batch max-timestamp in the block), then a 40-byte footer:
 * magic {@code TLSG}, version 2, log length, entry count, CRC32C of the entries, base offset, next offset.
 * All big-endian. The index is rebuilt from the batch headers at upload time, so the hot tier's own index
 * files are never shipped and their format can change freely.
 */
final class SegmentObject {
    static final int MAGIC = 0x544C5347; // "TLSG"
    /** 2 since the batches are Kafka's RecordBatch v2; version 1 objects held Tierlog's earlier batch format. */
    static final int VERSION = 2;
    static final int ENTRY_SIZE = 20;
    static final int FOOTER_SIZE = 40;

    private SegmentObject() {
    }

    /** What an upload needs besides the log file: the trailer to append and the bounds found by the scan. */
    record Built(byte[] trailer, long minTimestamp, long maxTimestamp, int batchCount) {
    }

    /**
     * Scans the batch headers of {@code seg}'s log file (positional reads of the fixed header only) and
     * builds the trailer. Checks that the batches are contiguous and cover exactly [baseOffset, nextOffset).
     */
    static Built build(SegmentInfo seg, int indexIntervalBytes) throws IOException {
        long logLength = seg.sizeInBytes();
        ByteBuffer header = ByteBuffer.allocate(RecordBatch.HEADER_SIZE).order(ByteOrder.BIG_ENDIAN);
        ByteBuffer entries = ByteBuffer.allocate(ENTRY_SIZE * 64).order(ByteOrder.BIG_ENDIAN);
        // Kafka's batch header has no minimum timestamp: the hot tier's (exact) segment bound is taken instead
        long minTs = seg.minTimestamp();
        long maxTs = Long.MIN_VALUE;
        long expected = seg.baseOffset();
        int batches = 0;
        long blockStart = -1;
        long blockBase = 0;
        long blockMax = Long.MIN_VALUE;
        try (FileChannel ch = FileChannel.open(seg.logFile(), StandardOpenOption.READ)) {
            if (ch.size() < logLength) {
                throw new CorruptLocalSegmentException("segment file " + seg.logFile() + " has " + ch.size()
                        + " bytes, the segment says " + logLength);
            }
            long pos = 0;
            while (pos < logLength) {
                header.clear();
                while (header.hasRemaining()) {
                    if (ch.read(header, pos + header.position()) < 0) {
                        throw new CorruptLocalSegmentException("segment file " + seg.logFile() + " ends inside a batch header at " + pos);
                    }
                }
                long base = RecordBatch.baseOffsetAt(header, 0);
                long size;
                try {
                    size = RecordBatch.declaredSizeAt(header, 0);
                } catch (CorruptBatchException e) {
                    throw new CorruptLocalSegmentException("segment " + seg.logFile() + ": " + e.getMessage() + " at position " + pos, e);
                }
                long batchMax = RecordBatch.maxTimestampAt(header, 0);
                if (pos + size > logLength) {
                    throw new CorruptLocalSegmentException("segment " + seg.logFile() + ": batch at position " + pos + " runs past the end");
                }
                if (base != expected) {
                    throw new CorruptLocalSegmentException("segment " + seg.logFile() + ": batch at position " + pos
                            + " has base offset " + base + ", expected " + expected);
                }
                if (blockStart < 0 || pos - blockStart >= indexIntervalBytes) {
                    if (blockStart >= 0) {
                        entries = putEntry(entries, blockBase, blockStart, blockMax);
                    }
                    blockStart = pos;
                    blockBase = base;
                    blockMax = Long.MIN_VALUE;
                }
                blockMax = Math.max(blockMax, batchMax);
                maxTs = Math.max(maxTs, batchMax);
                expected = RecordBatch.nextOffsetAt(header, 0);
                batches++;
                pos += size;
            }
        }
        if (batches == 0) {
            throw new CorruptLocalSegmentException("segment " + seg.logFile() + " holds no batch");
        }
        if (expected != seg.nextOffset()) {
            throw new CorruptLocalSegmentException("segment " + seg.logFile() + " ends at offset " + expected
                    + " but says nextOffset " + seg.nextOffset());
        }
        entries = putEntry(entries, blockBase, blockStart, blockMax);
        entries.flip();
        int entryBytes = entries.remaining();
        CRC32C crc = new CRC32C();
        crc.update(entries.duplicate());
        ByteBuffer out = ByteBuffer.allocate(entryBytes + FOOTER_SIZE).order(ByteOrder.BIG_ENDIAN);
        out.put(entries);
        out.putInt(MAGIC).putInt(VERSION).putLong(logLength).putInt(entryBytes / ENTRY_SIZE)
                .putInt((int) crc.getValue()).putLong(seg.baseOffset()).putLong(seg.nextOffset());
        return new Built(out.array(), minTs, maxTs, batches);
    }

    private static ByteBuffer putEntry(ByteBuffer entries, long base, long position, long blockMax) {
        if (entries.remaining() < ENTRY_SIZE) {
            ByteBuffer bigger = ByteBuffer.allocate(entries.capacity() * 2).order(ByteOrder.BIG_ENDIAN);
            entries.flip();
            bigger.put(entries);
            entries = bigger;
        }
        return entries.putLong(base).putInt((int) position).putLong(blockMax);
    }

    /** Parses a trailer fetched with one ranged GET, checking footer and CRC against what the manifest says. */
    static SegmentIndex parse(byte[] trailer, String key, long logLength, long baseOffset, long nextOffset) {
        if (trailer.length < FOOTER_SIZE || (trailer.length - FOOTER_SIZE) % ENTRY_SIZE != 0) {
            throw new StorageException("remote segment " + key + ": trailer of " + trailer.length + " bytes is malformed");
        }
        ByteBuffer b = ByteBuffer.wrap(trailer).order(ByteOrder.BIG_ENDIAN);
        int f = trailer.length - FOOTER_SIZE;
        int n = (trailer.length - FOOTER_SIZE) / ENTRY_SIZE;
        CRC32C crc = new CRC32C();
        crc.update(trailer, 0, f);
        if (b.getInt(f) == MAGIC && b.getInt(f + 4) == 1) {
            throw new StorageException("remote segment " + key + " is in object format 1 (Tierlog's batch format before "
                    + "Kafka's record batch), which this version cannot read");
        }
        if (b.getInt(f) != MAGIC || b.getInt(f + 4) != VERSION || b.getLong(f + 8) != logLength
                || b.getInt(f + 16) != n || b.getInt(f + 20) != (int) crc.getValue()
                || b.getLong(f + 24) != baseOffset || b.getLong(f + 32) != nextOffset) {
            throw new StorageException("remote segment " + key + ": footer does not match the manifest or its CRC");
        }
        long[] offsets = new long[n];
        int[] positions = new int[n];
        long[] blockMax = new long[n];
        for (int i = 0; i < n; i++) {
            offsets[i] = b.getLong(i * ENTRY_SIZE);
            positions[i] = b.getInt(i * ENTRY_SIZE + 8);
            blockMax[i] = b.getLong(i * ENTRY_SIZE + 12);
        }
        return new SegmentIndex(logLength, offsets, positions, blockMax);
    }

    /** The parsed sparse index of one remote segment (immutable; cached by object key). */
    static final class SegmentIndex {
        final long logLength;
        private final long[] offsets;
        private final int[] positions;
        private final long[] blockMax;

        SegmentIndex(long logLength, long[] offsets, int[] positions, long[] blockMax) {
            this.logLength = logLength;
            this.offsets = offsets;
            this.positions = positions;
            this.blockMax = blockMax;
        }

        int size() {
            return offsets.length;
        }

        /** Index of the last block whose first offset is <= {@code offset}. */
        int floor(long offset) {
            int lo = 0;
            int hi = offsets.length - 1;
            while (lo < hi) {
                int mid = (lo + hi + 1) >>> 1;
                if (offsets[mid] <= offset) {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            return lo;
        }

        /** First block whose largest timestamp is >= {@code ts}, or -1. */
        int firstBlockWithMaxAtLeast(long ts) {
            for (int i = 0; i < blockMax.length; i++) {
                if (blockMax[i] >= ts) {
                    return i;
                }
            }
            return -1;
        }

        long position(int i) {
            return positions[i];
        }

        long blockEnd(int i) {
            return i + 1 < positions.length ? positions[i + 1] : logLength;
        }

        int weight() {
            return 64 + offsets.length * ENTRY_SIZE;
        }
    }
}
