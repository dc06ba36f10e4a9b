package io.tierlog.kafka;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

import org.apache.kafka.common.network.TransferableChannel;
import org.apache.kafka.common.record.BaseRecords;
import org.apache.kafka.common.record.RecordsSend;

/**
 * A partition's fetched chunks as Kafka {@link BaseRecords}, so the generated FetchResponse writer hands them to
 * the socket unchanged: {@link FetchChunk.FileRegion}s through {@link TransferableChannel#transferFrom}
 * (sendfile), {@link FetchChunk.Heap} buffers with a plain write. It does not own the chunks: the connection
 * releases them once the response was written or abandoned.
 */
final class ChunkRecords implements BaseRecords {

    private final List<FetchChunk> chunks;
    private final int size;

    ChunkRecords(List<FetchChunk> chunks) {
        this.chunks = List.copyOf(chunks);
        long total = 0;
        for (FetchChunk c : chunks) {
            total += c.size();
        }
        if (total > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("fetched chunks exceed 2 GiB: " + total);
        }
        this.size = (int) total;
    }

    @Override
    public int sizeInBytes() {
        return size;
    }

    @Override
    public RecordsSend<ChunkRecords> toSend() {
        return new RecordsSend<>(this, size) {
            @Override
            protected int writeTo(TransferableChannel channel, int previouslyWritten, int remaining) throws IOException {
                return records().writeFrom(channel, previouslyWritten);
            }
        };
    }

    /** Writes part of the chunk holding byte {@code from} (relative to the first chunk); returns bytes written. */
    private int writeFrom(TransferableChannel channel, int from) throws IOException {
        int skip = from;
        for (FetchChunk chunk : chunks) {
            if (skip >= chunk.size()) {
                skip -= chunk.size();
                continue;
            }
            return switch (chunk) {
                case FetchChunk.Heap heap -> {
                    ByteBuffer b = heap.batches().duplicate();
                    b.position(b.position() + skip);
                    yield channel.write(b);
                }
                case FetchChunk.FileRegion region ->
                        (int) channel.transferFrom(region.channel(), region.position() + skip, region.size() - skip);
            };
        }
        return 0;
    }

    @Override
    public String toString() {
        return "ChunkRecords(" + chunks.size() + " chunks, " + size + " bytes)";
    }
}
