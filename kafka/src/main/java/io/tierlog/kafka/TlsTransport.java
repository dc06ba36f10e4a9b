package io.tierlog.kafka;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

import org.apache.kafka.common.network.TransferableChannel;

import tlschannel.TlsChannel;

/**
 * Kafka's {@link TransferableChannel} over a TLS connection. File regions cannot go out with {@code sendfile}: the
 * bytes must be encrypted, so each region is copied through a bounded heap buffer (as Kafka's SslTransportLayer
 * does) and counted as copied, not zero-copy, bytes.
 */
final class TlsTransport implements TransferableChannel {

    private static final int COPY_BYTES = 64 * 1024;

    private final TlsChannel tls;
    private final ListenerMetrics metrics;

    TlsTransport(TlsChannel tls, ListenerMetrics metrics) {
        this.tls = tls;
        this.metrics = metrics;
    }

    @Override
    public boolean hasPendingWrites() {
        return false;
    }

    @Override
    public long transferFrom(FileChannel fileChannel, long position, long count) throws IOException {
        ByteBuffer copy = ByteBuffer.allocate((int) Math.min(count, COPY_BYTES));
        int read = fileChannel.read(copy, position);
        if (read <= 0) {
            throw new EOFException("file region unreadable at " + position + " (file size " + fileChannel.size() + ")");
        }
        copy.flip();
        while (copy.hasRemaining()) {
            tls.write(copy);
        }
        metrics.sendfileFallbackBytes(read);
        return read;
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        return tls.write(srcs, offset, length);
    }

    @Override
    public long write(ByteBuffer[] srcs) throws IOException {
        return tls.write(srcs);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        return tls.write(src);
    }

    @Override
    public boolean isOpen() {
        return tls.isOpen();
    }

    @Override
    public void close() throws IOException {
        tls.close();
    }
}
