package io.tierlog.kafka;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.GatheringByteChannel;
import org.apache.kafka.common.network.TransferableChannel;

/**
 * What the plain and the TLS transports share: writes go straight to one blocking channel, and a file region that
 * cannot (or can no longer) go out with {@code sendfile} is copied through a bounded heap buffer and counted as
 * copied bytes. Subclasses decide how {@link #transferFrom} sends a file region.
 */
abstract class ChannelTransport implements TransferableChannel {
    private static final int COPY_BYTES = 64 * 1024;

    private final GatheringByteChannel out;
    final ListenerMetrics metrics;

    ChannelTransport(GatheringByteChannel out, ListenerMetrics metrics) {
        this.out = out;
        this.metrics = metrics;
    }

    /** Copies up to 64 KiB of the region at {@code position} through the heap, blocking until it is written. */
    final long copyThroughHeap(FileChannel fileChannel, long position, long count) throws IOException {
        ByteBuffer copy = ByteBuffer.allocate((int) Math.min(count, COPY_BYTES));
        int read = fileChannel.read(copy, position);
        if (read <= 0) {
            throw new EOFException("file region unreadable at " + position + " (file size " + fileChannel.size() + ")");
        }
        copy.flip();
        while (copy.hasRemaining()) {
            out.write(copy);
        }
        metrics.sendfileFallbackBytes(read);
        return read;
    }

    @Override
    public boolean hasPendingWrites() {
        return false;
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        return out.write(srcs, offset, length);
    }

    @Override
    public long write(ByteBuffer[] srcs) throws IOException {
        return out.write(srcs);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        return out.write(src);
    }

    @Override
    public boolean isOpen() {
        return out.isOpen();
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
