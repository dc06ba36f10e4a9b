package io.tierlog.kafka;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;

import org.apache.kafka.common.network.TransferableChannel;

/**
 * Kafka's {@link TransferableChannel} over one blocking {@link SocketChannel}, so a response {@code Send} (with
 * file regions) can be written by the connection's own thread. File regions go out with
 * {@link FileChannel#transferTo} ({@code sendfile}). On a virtual thread the JDK keeps the socket non-blocking
 * underneath and {@code transferTo} does not park: when the socket buffer is full it returns 0. Then one bounded
 * chunk is copied through the heap with a blocking write, which parks until the client drains; the next call
 * goes back to {@code sendfile}.
 */
final class SocketTransport implements TransferableChannel {

    private static final int FALLBACK_COPY_BYTES = 64 * 1024;

    private final SocketChannel socket;
    private final ListenerMetrics metrics;

    SocketTransport(SocketChannel socket, ListenerMetrics metrics) {
        this.socket = socket;
        this.metrics = metrics;
    }

    @Override
    public boolean hasPendingWrites() {
        return false;
    }

    @Override
    public long transferFrom(FileChannel fileChannel, long position, long count) throws IOException {
        long sent = fileChannel.transferTo(position, count, socket);
        if (sent > 0) {
            metrics.sendfileBytes(sent);
            return sent;
        }
        if (position >= fileChannel.size()) {
            throw new EOFException("file region ends at " + fileChannel.size() + ", before position " + position);
        }
        metrics.socketFull();
        ByteBuffer copy = ByteBuffer.allocate((int) Math.min(count, FALLBACK_COPY_BYTES));
        int read = fileChannel.read(copy, position);
        if (read <= 0) {
            throw new EOFException("file region unreadable at " + position);
        }
        copy.flip();
        while (copy.hasRemaining()) {
            socket.write(copy);
        }
        metrics.sendfileFallbackBytes(read);
        return read;
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        return socket.write(srcs, offset, length);
    }

    @Override
    public long write(ByteBuffer[] srcs) throws IOException {
        return socket.write(srcs);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        return socket.write(src);
    }

    @Override
    public boolean isOpen() {
        return socket.isOpen();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
