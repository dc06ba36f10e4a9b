package io.tierlog.loadtest.kafka;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A broker or a benchmark tool running in its own process. Its output (stdout and stderr merged) goes to a log
 * file and is watched line by line, so a caller can wait, with a bound, for a line such as "listening on".
 * {@link #close()} always ends the process (SIGTERM, a bounded wait, then SIGKILL), and a shutdown hook kills
 * whatever is still running if this JVM is interrupted, so a failed benchmark never leaves a broker behind.
 * Thread-safe.
 */
public final class ChildProcess implements AutoCloseable {
    private static final int KEPT_LINES = 2000;
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly), "child-reaper"));
    }

    private final String name;
    private final Process process;
    private final Path log;
    private final Thread pump;
    private final Deque<String> lines = new ArrayDeque<>(); // the last KEPT_LINES, guarded by this
    private boolean ended; // output fully read, guarded by this

    private ChildProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.pump = new Thread(this::pumpOutput, name + "-output");
        pump.setDaemon(true);
        pump.start();
    }

    /** Starts {@code command} with its output appended to {@code log}. */
    public static ChildProcess start(String name, List<String> command, Path log) throws IOException {
        Files.createDirectories(log.toAbsolutePath().getParent());
        Files.writeString(log, "$ " + String.join(" ", command) + System.lineSeparator(), StandardCharsets.UTF_8);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        LIVE.add(p);
        return new ChildProcess(name, p, log);
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public Path log() {
        return log;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    private void pumpOutput() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
             PrintWriter file = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8,
                     java.nio.file.StandardOpenOption.APPEND))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                file.println(line);
                file.flush();
                synchronized (this) {
                    lines.addLast(line);
                    if (lines.size() > KEPT_LINES) {
                        lines.removeFirst();
                    }
                    notifyAll();
                }
            }
        } catch (IOException e) {
            // the stream closes when the process is killed; what was read is in the log
        } finally {
            synchronized (this) {
                ended = true;
                notifyAll();
            }
        }
    }

    /**
     * Waits until a line matches {@code pattern} and returns the match; fails when the process ends first or
     * the wait exceeds {@code timeout}, naming the log file.
     */
    public Matcher awaitLine(Pattern pattern, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            while (true) {
                for (String line : lines) {
                    Matcher m = pattern.matcher(line);
                    if (m.find()) {
                        return m;
                    }
                }
                if (ended) {
                    throw new IllegalStateException(name + " ended before printing /" + pattern + "/; see " + log
                            + tail());
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException(name + " did not print /" + pattern + "/ within " + timeout + "; see "
                            + log + tail());
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }
    }

    /**
     * Waits for the process to exit and its output to be read, at most {@code timeout}; returns the exit code.
     * On timeout the process is killed and the wait fails.
     */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
            close();
            throw new IllegalStateException(name + " did not finish within " + timeout + " and was killed; see " + log
                    + tail());
        }
        pump.join(TimeUnit.SECONDS.toMillis(10));
        LIVE.remove(process);
        return process.exitValue();
    }

    /** The last lines of output (at most a few thousand). */
    public synchronized List<String> output() {
        return new ArrayList<>(lines);
    }

    /** The last few lines, for error messages. */
    public synchronized String tail() {
        List<String> all = new ArrayList<>(lines);
        List<String> last = all.subList(Math.max(0, all.size() - 15), all.size());
        return last.isEmpty() ? "" : System.lineSeparator() + "  | " + String.join(System.lineSeparator() + "  | ", last);
    }

    /** SIGTERM, up to 20 s for a graceful exit, then SIGKILL. Idempotent. */
    @Override
    public void close() {
        try {
            if (process.isAlive()) {
                process.destroy();
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(10, TimeUnit.SECONDS);
                }
            }
            pump.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            LIVE.remove(process);
        }
    }

    /** Deletes a directory tree (broker data between runs); missing is fine. */
    public static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }
}
