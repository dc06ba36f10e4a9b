package io.tierlog.sdk;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP proxy in front of a real server that answers the first N produce requests with 503 and
 * {@code Retry-After}, then forwards everything: how retries are tested against the real server.
 */
final class FlakyProxy implements AutoCloseable {
    private static final Set<String> HOP = Set.of("connection", "content-length", "host", "transfer-encoding", "upgrade",
            "keep-alive", "expect", "te", "trailer");
    private final HttpServer server;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final URI target;
    final AtomicInteger failuresLeft = new AtomicInteger();
    final AtomicInteger produceRequests = new AtomicInteger();

    FlakyProxy(URI target) throws IOException {
        this.target = target;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", this::handle);
        server.start();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] body = ex.getRequestBody().readAllBytes();
            boolean produce = ex.getRequestMethod().equals("POST") && ex.getRequestURI().getPath().endsWith("/records");
            if (produce) {
                produceRequests.incrementAndGet();
                if (failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    byte[] err = "{\"error\":\"overloaded\",\"message\":\"proxy says wait\"}".getBytes();
                    ex.getResponseHeaders().add("Retry-After", "0");
                    ex.getResponseHeaders().add("Content-Type", "application/json");
                    ex.sendResponseHeaders(503, err.length);
                    ex.getResponseBody().write(err);
                    return;
                }
            }
            HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(target + ex.getRequestURI().toString()))
                    .method(ex.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofByteArray(body));
            ex.getRequestHeaders().forEach((k, vs) -> {
                if (!HOP.contains(k.toLowerCase())) {
                    vs.forEach(v -> rb.header(k, v));
                }
            });
            HttpResponse<byte[]> r = client.send(rb.build(), HttpResponse.BodyHandlers.ofByteArray());
            r.headers().map().forEach((k, vs) -> {
                if (!HOP.contains(k.toLowerCase()) && !k.startsWith(":")) {
                    vs.forEach(v -> ex.getResponseHeaders().add(k, v));
                }
            });
            ex.sendResponseHeaders(r.statusCode(), r.body().length == 0 ? -1 : r.body().length);
            if (r.body().length > 0) {
                ex.getResponseBody().write(r.body());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
        client.close();
    }
}
