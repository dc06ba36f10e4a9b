package io.tierlog.promql;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real Prometheus for tests: Debian's {@code prometheus} package (server and promtool), installed with apt when
 * it is missing, so that the oracle never silently turns into a skip.
 */
public final class Prometheus {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private Prometheus() {
    }

    public static synchronized void ensureInstalled() throws IOException, InterruptedException {
        if (onPath("prometheus") && onPath("promtool")) {
            return;
        }
        String sudo = "root".equals(System.getProperty("user.name")) ? "" : "sudo ";
        run(List.of("sh", "-c", sudo + "apt-get update -qq && DEBIAN_FRONTEND=noninteractive " + sudo
                + "apt-get install -y -qq prometheus"));
        if (!onPath("prometheus") || !onPath("promtool")) {
            throw new IllegalStateException("Debian's prometheus package did not install prometheus and promtool");
        }
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    /** Runs a command to completion; its output goes into the failure message when it fails. */
    public static void run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed:\n" + out);
        }
    }

    /** Waits for {@code /-/ready}; fails with the server's log when it exits or is not ready within a minute. */
    public static void awaitReady(URI base, Process server, Path log) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (System.nanoTime() < deadline) {
            if (!server.isAlive()) {
                throw new IllegalStateException("prometheus exited:\n" + Files.readString(log));
            }
            try {
                HttpResponse<Void> r = HTTP.send(HttpRequest.newBuilder(base.resolve("/-/ready"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYetListening) {
                // the port opens a moment after the process starts: ask again below
            }
            server.waitFor(100, TimeUnit.MILLISECONDS);
        }
        throw new IllegalStateException("prometheus not ready within a minute:\n" + Files.readString(log));
    }

    /** A Prometheus server over a backfilled data directory; {@link #close()} stops it. */
    public static final class Server implements AutoCloseable {
        private final Process process;
        public final URI api;

        private Server(Process process, URI api) {
            this.process = process;
            this.api = api;
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            process.waitFor();
        }
    }

    /**
     * Backfills {@code openMetrics} into a TSDB under {@code dir} with promtool, starts Prometheus on it (no
     * scraping) on a free port, and waits until it is ready.
     */
    public static Server serve(Path dir, String openMetrics) throws IOException, InterruptedException {
        ensureInstalled();
        Files.createDirectories(dir);
        Path om = dir.resolve("samples.om");
        Files.writeString(om, openMetrics);
        Path tsdb = dir.resolve("tsdb");
        run(List.of("promtool", "tsdb", "create-blocks-from", "openmetrics", om.toString(), tsdb.toString()));
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path config = dir.resolve("prometheus.yml");
        Files.writeString(config, "global:\n  scrape_interval: 1h\n");
        Path log = dir.resolve("prometheus.log");
        Process p = new ProcessBuilder("prometheus", "--config.file=" + config, "--storage.tsdb.path=" + tsdb,
                "--web.listen-address=127.0.0.1:" + port, "--storage.tsdb.retention.time=30d")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        URI api = URI.create("http://127.0.0.1:" + port);
        try {
            awaitReady(api, p, log);
        } catch (RuntimeException | IOException e) {
            p.destroy();
            throw e;
        }
        return new Server(p, api);
    }
}
