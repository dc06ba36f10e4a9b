package io.tierlog.loadtest.prom;

import io.tierlog.loadtest.kafka.ChildProcess;
import io.tierlog.loadtest.kafka.Jvm;
import io.tierlog.loadtest.kafka.ProcCpu;
import io.tierlog.loadtest.kafka.ServerOptions;
import io.tierlog.receivers.proto.prometheus.Remote;
import io.tierlog.receivers.proto.prometheus.Types;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.xerial.snappy.Snappy;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Prometheus remote_write ingest: the same pre-built requests (protocol 1.0, snappy, {@code --samples-per-request}
 * samples of {@code --series} series each, timestamps rising per series as a Prometheus sends them) posted as fast
 * as {@code --connections} concurrent senders of one process allow, to a Tierlog server and to a Prometheus server
 * with its remote-write receiver, each in its own process, in alternating order, {@code --repeats} times. Reports
 * samples per second acknowledged (2xx), requests refused or failed, and the server's CPU per sample. The payloads
 * are built before the clock starts, so the sender measures the receiver, not protobuf encoding.
 */
@Command(name = "remote-write-perf", mixinStandardHelpOptions = true, sortOptions = false,
        description = "remote_write ingest rate of Tierlog against Prometheus' remote-write receiver on the same requests.")
public final class RemoteWritePerf implements Callable<Integer> {
    private static final Pattern HTTP_LISTENING = Pattern.compile("tierlog listening on http://(\\S+):(\\d+)");

    @Spec
    CommandSpec spec;

    @Option(names = "--series", description = "distinct series (default: ${DEFAULT-VALUE})")
    int series = 10_000;

    @Option(names = "--samples-per-request", description = "samples per request (default: ${DEFAULT-VALUE})")
    int samplesPerRequest = 2000;

    @Option(names = "--requests", description = "requests per run (default: ${DEFAULT-VALUE})")
    int requests = 2000;

    @Option(names = "--connections", description = "concurrent senders (default: ${DEFAULT-VALUE})")
    int connections = 4;

    @Option(names = "--repeats", description = "runs per server, alternating (default: ${DEFAULT-VALUE})")
    int repeats = 3;

    @Option(names = "--servers", split = ",", description = "servers to compare (default: tierlog,prometheus)")
    List<String> servers = List.of("tierlog", "prometheus");

    @Option(names = "--heap", description = "heap of the Tierlog JVM (default: ${DEFAULT-VALUE})")
    String heap = "1g";

    @Option(names = "--tierlog-jvm-arg", description = "an extra option for the Tierlog JVM, e.g. -XX:StartFlightRecording=filename=/tmp/rw.jfr (repeatable)")
    List<String> tierlogJvmArgs = new ArrayList<>();

    @Option(names = "--tiering", negatable = false,
            description = "let Tierlog offload closed segments to its embedded S3 store during the run (default: off, as"
                    + " kafka-perf runs it: Prometheus uploads nothing either)")
    boolean tiering;

    @Option(names = "--partitions", description = "partitions of Tierlog's metrics topic (default: ${DEFAULT-VALUE})")
    int partitions = 4;

    @CommandLine.Mixin
    ServerOptions server = new ServerOptions();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private PrintWriter out;

    /** One run against one server. */
    record Result(String server, int repeat, long samples, double seconds, int refused, int failed, double cpuSeconds) {
        double samplesPerSecond() {
            return samples / seconds;
        }
    }

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "remote-write-perf: %d requests of %d samples (%d series), %d connections, %d repeats, "
                + "%d cores, load %s%n", requests, samplesPerRequest, series, connections, repeats,
                Runtime.getRuntime().availableProcessors(), ProcCpu.loadAverage());
        List<Result> results = new ArrayList<>();
        for (int r = 0; r < repeats; r++) {
            List<String> order = new ArrayList<>(servers);
            if (r % 2 == 1) {
                java.util.Collections.reverse(order);
            }
            for (String s : order) {
                // fresh timestamps per run: a Prometheus refuses samples older than its head, Tierlog takes any
                List<List<byte[]>> payloads = payloads(System.currentTimeMillis() - 3_600_000L);
                results.add(s.equals("tierlog") ? runTierlog(r, payloads) : runPrometheus(r, payloads));
                Result last = results.getLast();
                out.printf(Locale.ROOT, "  %-10s run %d: %,12.0f samples/s  (%d refused, %d failed, %.2f s, server CPU %.1f us/sample)%n",
                        s, r + 1, last.samplesPerSecond(), last.refused(), last.failed(), last.seconds(),
                        last.cpuSeconds() * 1e6 / Math.max(1, last.samples()));
                out.flush();
            }
        }
        out.printf(Locale.ROOT, "%nmedians over %d runs:%n", repeats);
        for (String s : servers) {
            List<Double> rates = results.stream().filter(x -> x.server().equals(s)).map(Result::samplesPerSecond).sorted().toList();
            List<Double> cpu = results.stream().filter(x -> x.server().equals(s))
                    .map(x -> x.cpuSeconds() * 1e6 / Math.max(1, x.samples())).sorted().toList();
            out.printf(Locale.ROOT, "  %-10s %,12.0f samples/s  %6.2f us CPU/sample%n", s, rates.get(rates.size() / 2), cpu.get(cpu.size() / 2));
        }
        out.flush();
        return results.stream().allMatch(x -> x.refused() == 0 && x.failed() == 0) ? 0 : 1;
    }

    /**
     * The requests of one run, per sender: sender {@code c} carries the series {@code s % connections == c} (as
     * Prometheus' shards do, so that each series' samples arrive in time order), each series' samples 10 s apart,
     * a few per series per request.
     */
    private List<List<byte[]>> payloads(long start) throws IOException {
        Random rnd = new Random(1);
        List<Types.Label[]> labels = new ArrayList<>(series);
        for (int s = 0; s < series; s++) {
            labels.add(new Types.Label[] {
                    Types.Label.newBuilder().setName("__name__").setValue("bench_metric_" + (s % 50)).build(),
                    Types.Label.newBuilder().setName("instance").setValue("host-" + (s / 50) + ":9100").build(),
                    Types.Label.newBuilder().setName("job").setValue("node").build()});
        }
        long[] next = new long[series];
        java.util.Arrays.fill(next, start);
        int perSeries = 4;
        List<List<byte[]>> out = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            out.add(new ArrayList<>());
            int s = c;
            for (int r = c; r < requests; r += connections) {
                Remote.WriteRequest.Builder w = Remote.WriteRequest.newBuilder();
                for (int n = 0; n < samplesPerRequest; n += perSeries) {
                    Types.TimeSeries.Builder ts = Types.TimeSeries.newBuilder();
                    for (Types.Label l : labels.get(s)) {
                        ts.addLabels(l);
                    }
                    for (int k = 0; k < perSeries; k++) {
                        ts.addSamples(Types.Sample.newBuilder().setTimestamp(next[s]).setValue(rnd.nextInt(1000) / 10.0));
                        next[s] += 10_000;
                    }
                    w.addTimeseries(ts);
                    s += connections;
                    if (s >= series) {
                        s = c;
                    }
                }
                out.get(c).add(Snappy.compress(w.build().toByteArray()));
            }
        }
        return out;
    }

    private Result runTierlog(int repeat, List<List<byte[]>> payloads) throws Exception {
        Path data = server.dataRoot().resolve("remote-write-perf-tierlog-" + ProcessHandle.current().pid() + "-" + repeat);
        String cp = server.serverClassPath();
        List<String> jvm = new ArrayList<>(List.of("-Xms" + heap, "-Xmx" + heap, "-XX:+UseG1GC"));
        jvm.addAll(tierlogJvmArgs);
        try (ChildProcess p = ChildProcess.start("tierlog", Jvm.command(jvm, cp,
                "io.tierlog.server.Main", List.of("server", "--host", "127.0.0.1", "--port", "0", "--kafka-port", "-1",
                        "--data-dir", data.toString())), server.dataRoot().resolve("remote-write-perf-tierlog.log"))) {
            Matcher m = p.awaitLine(HTTP_LISTENING, Duration.ofSeconds(90));
            URI base = URI.create("http://" + m.group(1) + ":" + m.group(2));
            HttpResponse<String> created = http.send(HttpRequest.newBuilder(base.resolve("/v1/topics"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"metrics\",\"partitions\":" + partitions
                            + ",\"config\":{\"remoteStorage\":" + tiering + "}}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (created.statusCode() != 201) {
                throw new IllegalStateException("create topic: " + created.statusCode() + " " + created.body());
            }
            return send("tierlog", repeat, base.resolve("/api/v1/write?topic=metrics"), payloads, p.pid());
        } finally {
            ChildProcess.deleteTree(data);
        }
    }

    private Result runPrometheus(int repeat, List<List<byte[]>> payloads) throws Exception {
        Path data = server.dataRoot().resolve("remote-write-perf-prometheus-" + ProcessHandle.current().pid() + "-" + repeat);
        Files.createDirectories(data);
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path config = data.resolve("prometheus.yml");
        Files.writeString(config, "global:\n  scrape_interval: 1h\n");
        Process p = new ProcessBuilder("prometheus", "--config.file=" + config, "--storage.tsdb.path=" + data.resolve("tsdb"),
                "--web.listen-address=127.0.0.1:" + port, "--web.enable-remote-write-receiver")
                .redirectErrorStream(true).redirectOutput(server.dataRoot().resolve("remote-write-perf-prometheus.log").toFile()).start();
        try {
            URI base = URI.create("http://127.0.0.1:" + port);
            long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
            while (true) {
                try {
                    if (http.send(HttpRequest.newBuilder(base.resolve("/-/ready")).build(), HttpResponse.BodyHandlers.discarding())
                            .statusCode() == 200) {
                        break;
                    }
                } catch (IOException notYet) {
                    // not listening yet
                }
                if (System.nanoTime() > deadline || !p.isAlive()) {
                    throw new IllegalStateException("prometheus did not become ready");
                }
                Thread.sleep(100); // polling an external process
            }
            return send("prometheus", repeat, base.resolve("/api/v1/write"), payloads, p.pid());
        } finally {
            p.destroy();
            p.waitFor();
            ChildProcess.deleteTree(data);
        }
    }

    /** Each sender posts its payloads in order; 2xx counts the samples, 4xx is refused, the rest failed. */
    private Result send(String server, int repeat, URI url, List<List<byte[]>> payloads, long pid) throws Exception {
        AtomicLong samples = new AtomicLong();
        AtomicInteger refused = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        ProcCpu.Times cpu0 = ProcCpu.times(pid);
        long t0 = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(connections);
        try {
            List<Future<?>> senders = new ArrayList<>();
            for (List<byte[]> mine : payloads) {
                senders.add(pool.submit(() -> {
                    for (byte[] payload : mine) {
                        HttpRequest req = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(60))
                                .header("Content-Type", "application/x-protobuf").header("Content-Encoding", "snappy")
                                .header("X-Prometheus-Remote-Write-Version", "0.1.0")
                                .POST(HttpRequest.BodyPublishers.ofByteArray(payload)).build();
                        try {
                            int status = http.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
                            if (status / 100 == 2) {
                                samples.addAndGet(samplesPerRequest);
                            } else if (status / 100 == 4) {
                                refused.incrementAndGet();
                            } else {
                                failed.incrementAndGet();
                            }
                        } catch (IOException e) {
                            failed.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : senders) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    throw new IllegalStateException("a sender failed", e.getCause());
                }
            }
        } finally {
            pool.shutdownNow();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        double cpu = ProcCpu.times(pid).minus(cpu0).total();
        return new Result(server, repeat, samples.get(), seconds, refused.get(), failed.get(), cpu);
    }
}
