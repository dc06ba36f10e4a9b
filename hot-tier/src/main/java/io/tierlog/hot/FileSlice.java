package io.tierlog.hot;

import java.nio.channels.FileChannel;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Whole batches of a local segment as a region of its file, for readers that send them on without looking
 * (the Kafka listener's {@code sendfile}): no byte is copied through the heap. The segment is pinned until
 * {@link #close()}, so retention or compaction cannot close the channel under the reader; close exactly once
 * (further calls are no-ops). Read the channel only with positional calls: it is shared.
 *
 * @param fetchOffset   the offset asked for; the first batch contains it (or, in a compaction gap, follows it)
 * @param highWatermark the high watermark the slice was cut at
 */
public final class FileSlice implements AutoCloseable {
    private final FileChannel channel;
    private final long position;
    private final int size;
    private final long fetchOffset;
    private final long highWatermark;
    private final long logStartOffset;
    private final Runnable release;
    private final AtomicBoolean closed = new AtomicBoolean();

    FileSlice(FileChannel channel, long position, int size, long fetchOffset, long highWatermark, long logStartOffset,
              Runnable release) {
        this.channel = channel;
        this.position = position;
        this.size = size;
        this.fetchOffset = fetchOffset;
        this.highWatermark = highWatermark;
        this.logStartOffset = logStartOffset;
        this.release = release;
    }

    public FileChannel channel() {
        return channel;
    }

    /** File position of the first byte. */
    public long position() {
        return position;
    }

    /** Bytes in the slice: whole batches; 0 when {@code fetchOffset} is the high watermark. */
    public int size() {
        return size;
    }

    public long fetchOffset() {
        return fetchOffset;
    }

    public long highWatermark() {
        return highWatermark;
    }

    public long logStartOffset() {
        return logStartOffset;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            release.run();
        }
    }
}
