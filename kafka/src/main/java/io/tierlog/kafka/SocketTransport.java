package io.tierlog.kafka;

import java.io.EOFException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;


/**
 * Kafka's {@link TransferableChannel} over one blocking {@link SocketChannel}, so a response {@code Send} (with
 * file regions) can be written by the connection's own thread. File regions go out with
 * {@link FileChannel#transferTo} ({@code sendfile}). On a virtual thread the JDK keeps the socket non-blocking
 * underneath and {@code transferTo} does not park: when the socket buffer is full it returns 0. Then one bounded
 * chunk is copied through the heap with a blocking write, which parks until the client drains; the next call
 * goes back to {@code sendfile}.
 */
final class SocketTransport extends ChannelTransport {
    private final SocketChannel socket;

    SocketTransport(SocketChannel socket, ListenerMetrics metrics) {
        super(socket, metrics);
        this.socket = socket;
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
        return copyThroughHeap(fileChannel, position, count);
    }
}
