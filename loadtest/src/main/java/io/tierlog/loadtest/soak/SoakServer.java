package io.tierlog.loadtest.soak;

import com.sun.tools.attach.VirtualMachine;
import io.tierlog.loadtest.kafka.ChildProcess;
import io.tierlog.loadtest.kafka.Jvm;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Tierlog server under soak, in its own JVM (as {@code ./tierlog server} runs it, with its embedded S3 store so
 * that offload and cold reads happen), and the probes that watch its resources from outside: RSS, open file
 * descriptors and OS threads from {@code /proc/<pid>}, the server's own meters from {@code /metrics}, and the live
 * heap: through the attach API and JMX (what {@code jcmd GC.run} does) the soak asks the server for a full GC
 * before reading its heap, so a growing live set shows as growth and G1's sawtooth of garbage does not. Closing it
 * stops the server (SIGTERM, then SIGKILL). Not thread-safe: one sampler thread uses the probes.
 */
final class SoakServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SoakServer.class);
    private static final Pattern HTTP_LISTENING = Pattern.compile("tierlog listening on http://(\\S+):(\\d+)");

    private final ChildProcess process;
    private final URI base;
    private final HttpClient http;
    private JMXConnector jmx;
    private MemoryMXBean memory;
    private boolean jmxFailed;

    private SoakServer(ChildProcess process, URI base, HttpClient http) {
        this.process = process;
        this.base = base;
        this.http = http;
    }

    /**
     * Starts the server with {@code heap} (fixed: -Xms = -Xmx, pre-touched, so RSS does not grow merely because the
     * heap expands) and waits until it serves HTTP. {@code gcLog} receives the JVM's GC log for later reading.
     */
    static SoakServer start(String classPath, String heap, List<String> extraJvmArgs, Path dataDir, Path log, Path gcLog,
                            long retentionCheckMs, HttpClient http) throws IOException, InterruptedException {
        List<String> jvm = new ArrayList<>(List.of("-Xms" + heap, "-Xmx" + heap, "-XX:+UseG1GC", "-XX:+AlwaysPreTouch",
                "-Xlog:gc:file=" + gcLog + ":uptime"));
        jvm.addAll(extraJvmArgs);
        List<String> cmd = Jvm.command(jvm, classPath, "io.tierlog.server.Main", List.of("server", "--host", "127.0.0.1",
                "--port", "0", "--kafka-port", "0", "--data-dir", dataDir.toString(),
                "--retention-check-interval-ms", Long.toString(retentionCheckMs)));
        ChildProcess p = ChildProcess.start("tierlog-soak-server", cmd, log);
        try {
            Matcher m = p.awaitLine(HTTP_LISTENING, Duration.ofSeconds(120));
            return new SoakServer(p, URI.create("http://" + m.group(1) + ":" + m.group(2)), http);
        } catch (RuntimeException | InterruptedException e) {
            p.close();
            throw e;
        }
    }

    URI base() {
        return base;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    Path log() {
        return process.log();
    }

    /** Resident set size in bytes ({@code VmRSS} of {@code /proc/<pid>/status}). */
    long rssBytes() throws IOException {
        return statusField("VmRSS:") * 1024;
    }

    /** OS threads of the process ({@code Threads} of {@code /proc/<pid>/status}): Java and JVM-internal threads. */
    long osThreads() throws IOException {
        return statusField("Threads:");
    }

    /** Open file descriptors: entries of {@code /proc/<pid>/fd} (files, sockets, pipes, epoll instances). */
    long openFds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc", Long.toString(pid()), "fd"))) {
            return s.count();
        }
    }

    private long statusField(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"), StandardCharsets.US_ASCII)) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
            }
        }
        throw new IOException("no " + field + " in /proc/" + pid() + "/status");
    }

    /** The server's meters, {@code GET /metrics} (Prometheus text format). */
    PromText metrics() throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/metrics")).timeout(Duration.ofSeconds(30))
                .build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("GET /metrics answered " + r.statusCode());
        }
        return PromText.parse(r.body());
    }

    /**
     * The heap in use right after a full GC of the server, i.e. its live set, or -1 when the server cannot be
     * attached to (then logged once at WARN, and the sampler falls back to the heap after the last GC from
     * {@code /metrics}).
     */
    long heapAfterForcedGc() {
        if (jmxFailed) {
            return -1;
        }
        try {
            if (memory == null) {
                VirtualMachine vm = VirtualMachine.attach(Long.toString(pid()));
                String address;
                try {
                    address = vm.startLocalManagementAgent();
                } finally {
                    vm.detach();
                }
                jmx = JMXConnectorFactory.connect(new JMXServiceURL(address));
                memory = ManagementFactory.newPlatformMXBeanProxy(jmx.getMBeanServerConnection(),
                        ManagementFactory.MEMORY_MXBEAN_NAME, MemoryMXBean.class);
            }
            memory.gc();
            return memory.getHeapMemoryUsage().getUsed();
        } catch (Exception | LinkageError e) {
            jmxFailed = true;
            LOG.warn("soak: cannot attach to the server JVM {} for a forced GC; heap after GC is taken from /metrics"
                    + " (jvm_gc_live_data_size_bytes) instead", pid(), e);
            return -1;
        }
    }

    @Override
    public void close() {
        if (jmx != null) {
            try {
                jmx.close();
            } catch (IOException e) {
                LOG.warn("soak: closing the JMX connection to the server: {}", e.toString());
            }
        }
        process.close();
    }
}
