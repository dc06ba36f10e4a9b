package io.tierlog.cold.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny TCP proxy in front of an S3 endpoint that makes the real AWS SDK client meet real network and HTTP
 * faults: the next N connections get an HTTP error (500, or 503 SlowDown) instead of being forwarded, every
 * forwarded connection is delayed, or the port stops listening altogether (connection refused, as when the
 * store is down). Bytes are piped untouched otherwise, so SigV4 signatures (which cover the Host header the
 * client sent) still verify at the backend.
 */
public final class FaultProxy implements AutoCloseable {
    private final int port;
    private volatile ServerSocket server;
    private final URI backend;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    private final AtomicInteger pendingFaults = new AtomicInteger();
    private volatile int faultStatus = 503;
    public volatile long delayMs;
    public final AtomicInteger faultsServed = new AtomicInteger();
    public final AtomicInteger forwarded = new AtomicInteger();

    public FaultProxy(URI backend) throws IOException {
        this.backend = backend;
        this.port = listen(0);
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    private int listen(int onPort) throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), onPort), 50);
        server = s;
        Thread acceptor = new Thread(() -> acceptLoop(s), "fault-proxy");
        acceptor.setDaemon(true);
        acceptor.start();
        return s.getLocalPort();
    }

    /**
     * Stops listening and cuts every open connection: from now on the client's connections are refused, as
     * when the store's host is down.
     */
    public synchronized void refuseConnections() throws IOException {
        server.close();
        for (Socket s : open) {
            closeQuietly(s);
        }
    }

    /** Listens again on the same port after {@link #refuseConnections()}. */
    public synchronized void acceptConnections() throws IOException {
        if (server.isClosed()) {
            listen(port);
        }
    }

    /** Every connection from now on gets {@code status}, until {@link #heal()}. */
    public void failAll(int status) {
        failNext(Integer.MAX_VALUE, status);
    }

    /** Forwards every connection again (pending injected errors are dropped). */
    public void heal() {
        pendingFaults.set(0);
    }

    /**
     * The next {@code n} connections are answered with {@code status} (503 = S3 SlowDown, 500 = InternalError).
     * Open keep-alive connections are cut so that the client's next request opens a new one.
     */
    public void failNext(int n, int status) {
        faultStatus = status;
        pendingFaults.set(n);
        for (Socket s : open) {
            closeQuietly(s);
        }
    }

    private void acceptLoop(ServerSocket listening) {
        while (!closed && !listening.isClosed()) {
            try {
                Socket client = listening.accept();
                Thread t = new Thread(() -> handle(client), "fault-proxy-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                if (!closed && !listening.isClosed()) {
                    throw new IllegalStateException("fault proxy accept failed", e);
                }
            }
        }
    }

    private void handle(Socket client) {
        open.add(client);
        try {
            if (pendingFaults.getAndUpdate(v -> v > 0 && v < Integer.MAX_VALUE ? v - 1 : v) > 0) {
                answerWithFault(client);
                return;
            }
            if (delayMs > 0) {
                Thread.sleep(delayMs); // simulates a slow server, not test synchronisation
            }
            forwarded.incrementAndGet();
            try (Socket upstream = new Socket(backend.getHost(), backend.getPort())) {
                open.add(upstream);
                Thread up = new Thread(() -> pipe(client, upstream), "fault-proxy-up");
                up.setDaemon(true);
                up.start();
                pipe(upstream, client);
                up.join();
            } finally {
                open.removeIf(s -> s.isClosed());
            }
        } catch (IOException | InterruptedException e) {
            // connection cut by the test or a peer: nothing to do
        } finally {
            open.remove(client);
            closeQuietly(client);
        }
    }

    private void answerWithFault(Socket client) throws IOException {
        InputStream in = client.getInputStream();
        // consume the request head so the client sees a response, not a reset, before its body
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                return;
            }
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        String code = faultStatus == 503 ? "SlowDown" : "InternalError";
        String body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code
                + "</Code><Message>injected by FaultProxy</Message></Error>";
        String head = "HTTP/1.1 " + faultStatus + (faultStatus == 503 ? " Slow Down" : " Internal Server Error") + "\r\n"
                + "Content-Type: application/xml\r\nContent-Length: " + body.length() + "\r\nConnection: close\r\n\r\n";
        faultsServed.incrementAndGet(); // before the client can see the response (tests read it right after)
        OutputStream out = client.getOutputStream();
        out.write((head + body).getBytes(StandardCharsets.US_ASCII));
        out.flush();
        client.shutdownOutput();
    }

    private static void pipe(Socket from, Socket to) {
        byte[] buf = new byte[64 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // one side went away
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (Socket s : open) {
            closeQuietly(s);
        }
    }
}
