package io.tierlog.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The server run as a child JVM through {@link Main}, so that tests can SIGKILL or SIGTERM it. */
final class ChildServer implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on http://([0-9.]+):(\\d+)");
    private static final Pattern KAFKA = Pattern.compile("listening for Kafka clients on ([0-9.]+):(\\d+)");

    final Process process;
    final String base;
    /** host:port of the Kafka listener (bootstrap.servers). */
    final String kafka;
    final ConcurrentLinkedQueue<String> output = new ConcurrentLinkedQueue<>();

    ChildServer(Path dataDir, String... extraArgs) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "server", "--port", "0", "--data-dir", dataDir.toString(),
                "--retention-check-interval-ms", "200"));
        if (!List.of(extraArgs).contains("--kafka-port")) {
            cmd.addAll(List.of("--kafka-port", "0"));
        }
        cmd.addAll(List.of(extraArgs));
        process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        CompletableFuture<String> url = new CompletableFuture<>();
        CompletableFuture<String> kafkaAddress = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    output.add(line);
                    Matcher k = KAFKA.matcher(line);
                    if (k.find()) {
                        kafkaAddress.complete(k.group(1) + ":" + k.group(2));
                    }
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        url.complete("http://" + m.group(1) + ":" + m.group(2));
                    }
                }
            } catch (IOException e) {
                url.completeExceptionally(e);
            }
            url.completeExceptionally(new IllegalStateException("server exited before listening: " + output));
            kafkaAddress.completeExceptionally(new IllegalStateException("server exited before listening: " + output));
        }, "child-server-output");
        reader.setDaemon(true);
        reader.start();
        try {
            base = url.get(90, TimeUnit.SECONDS);
            kafka = kafkaAddress.get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            process.destroyForcibly();
            throw new IllegalStateException("child server did not start: " + output, e);
        }
    }

    /** SIGKILL and wait for the process to be gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM (through the handle, which, unlike Process.destroy, keeps its output readable); returns the exit code. */
    int terminate() throws InterruptedException {
        process.toHandle().destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("server did not stop within 60 s after SIGTERM");
        }
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
