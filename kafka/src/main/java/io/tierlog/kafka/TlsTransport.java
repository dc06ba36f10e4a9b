package io.tierlog.kafka;

import java.io.IOException;
import java.nio.channels.FileChannel;


import tlschannel.TlsChannel;

/**
 * Kafka's {@link TransferableChannel} over a TLS connection. File regions cannot go out with {@code sendfile}: the
 * bytes must be encrypted, so each region is copied through a bounded heap buffer (as Kafka's SslTransportLayer
 * does) and counted as copied, not zero-copy, bytes.
 */
final class TlsTransport extends ChannelTransport {
    TlsTransport(TlsChannel tls, ListenerMetrics metrics) {
        super(tls, metrics);
    }

    @Override
    public long transferFrom(FileChannel fileChannel, long position, long count) throws IOException {
        return copyThroughHeap(fileChannel, position, count);
    }
}
