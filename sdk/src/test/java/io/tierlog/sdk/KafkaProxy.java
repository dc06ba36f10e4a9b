package io.tierlog.sdk;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy in front of a Kafka listener that reads Kafka's length-prefixed frames, so that tests can make the
 * network fail in the ways a producer must survive: a produce answer lost after the server appended the batch (the
 * connection drops instead of delivering it), or requests held back (the server seems stalled). Start the server with
 * {@code kafka.advertised.port} = {@link #port()}, or clients go around the proxy after their first metadata answer.
 */
final class KafkaProxy implements AutoCloseable {
    private static final short PRODUCE = 0;

    private final ServerSocket listener;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private volatile int targetPort;
    private volatile CompletableFuture<Void> gate = CompletableFuture.completedFuture(null);
    /** Produce answers still to be lost; each one lost drops its connection. */
    final AtomicInteger answersToLose = new AtomicInteger();
    final AtomicInteger answersLost = new AtomicInteger();
    final AtomicInteger produceRequests = new AtomicInteger();

    KafkaProxy() throws IOException {
        listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("kafka-proxy-accept").start(this::accept);
    }

    int port() {
        return listener.getLocalPort();
    }

    /** Where connections go from now on. */
    void target(int kafkaPort) {
        targetPort = kafkaPort;
    }

    /** Holds every request frame from now on (the connections stay open) until {@link #resume()}. */
    void pause() {
        if (gate.isDone()) {
            gate = new CompletableFuture<>();
        }
    }

    void resume() {
        gate.complete(null);
    }

    private void accept() {
        while (!listener.isClosed()) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return;
            }
            try {
                Socket server = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                client.setTcpNoDelay(true);
                server.setTcpNoDelay(true);
                sockets.add(client);
                sockets.add(server);
                Set<Integer> produceIds = ConcurrentHashMap.newKeySet();
                Thread.ofVirtual().start(() -> requests(client, server, produceIds));
                Thread.ofVirtual().start(() -> answers(server, client, produceIds));
            } catch (IOException e) {
                closeQuietly(client);
            }
        }
    }

    private void requests(Socket from, Socket to, Set<Integer> produceIds) {
        try (DataInputStream in = new DataInputStream(from.getInputStream());
             DataOutputStream out = new DataOutputStream(to.getOutputStream())) {
            while (true) {
                byte[] frame = new byte[in.readInt()];
                in.readFully(frame);
                short apiKey = (short) (((frame[0] & 0xff) << 8) | (frame[1] & 0xff));
                if (apiKey == PRODUCE) {
                    produceIds.add(intAt(frame, 4)); // request header: api key, version, correlation id
                    produceRequests.incrementAndGet();
                }
                gate.join();
                out.writeInt(frame.length);
                out.write(frame);
                out.flush();
            }
        } catch (IOException e) {
            // either side closed: close both
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private void answers(Socket from, Socket to, Set<Integer> produceIds) {
        try (DataInputStream in = new DataInputStream(from.getInputStream());
             DataOutputStream out = new DataOutputStream(to.getOutputStream())) {
            while (true) {
                byte[] frame = new byte[in.readInt()];
                in.readFully(frame);
                if (produceIds.remove(intAt(frame, 0)) && answersToLose.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    answersLost.incrementAndGet();
                    return; // the batch is stored; the client never hears of it
                }
                out.writeInt(frame.length);
                out.write(frame);
                out.flush();
            }
        } catch (IOException e) {
            // either side closed: close both
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static int intAt(byte[] b, int i) {
        return ((b[i] & 0xff) << 24) | ((b[i + 1] & 0xff) << 16) | ((b[i + 2] & 0xff) << 8) | (b[i + 3] & 0xff);
    }

    private void closeQuietly(Socket s) {
        sockets.remove(s);
        try {
            s.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public void close() {
        resume();
        try {
            listener.close();
        } catch (IOException e) {
            // already closed
        }
        sockets.forEach(this::closeQuietly);
    }
}
