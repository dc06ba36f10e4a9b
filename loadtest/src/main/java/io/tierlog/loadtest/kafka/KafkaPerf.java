package io.tierlog.loadtest.kafka;

import io.tierlog.loadtest.cli.LoadTest;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The same Kafka clients against Tierlog and Apache Kafka: Kafka's own ProducerPerformance (acks=1 and acks=all),
 * fetch throughput (Kafka's ConsumerPerformance, in a consumer group, and {@link FetchPerformance}, without one), a
 * group of several consumers draining the topic ({@link GroupDrain}) and end-to-end latency at a fixed rate
 * ({@link FixedRateLatency}). Every broker and every tool runs in its own JVM;
 * a broker is charged the CPU time its process used during each tool run. The order of the brokers alternates
 * between repeats; medians and ratios are printed as a table, raw figures and logs go to the results directory.
 */
@Command(name = "kafka-perf", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Kafka's ProducerPerformance, fetch throughput and fixed-rate end-to-end latency against a Tierlog "
                + "server and an Apache Kafka broker, each in its own JVM.")
public final class KafkaPerf implements Callable<Integer> {
    static final String TIERLOG = "tierlog";
    static final String KAFKA = "kafka";

    @Spec
    CommandSpec spec;

    @Option(names = "--records", description = "records per produce run, read back by the fetch run (default: ${DEFAULT-VALUE})")
    long records = 5_000_000;

    @Option(names = "--warmup-records",
            description = "records produced (acks=1) and fetched, unmeasured, on each fresh broker before the measured runs,"
                    + " so that neither broker is measured while its JIT compiles (default: ${DEFAULT-VALUE})")
    long warmupRecords = 1_000_000;

    @Option(names = "--record-size", description = "bytes per record (default: ${DEFAULT-VALUE})")
    int recordSize = 100;

    @Option(names = "--partitions", description = "partitions of each topic (default: ${DEFAULT-VALUE})")
    int partitions = 4;

    @Option(names = "--acks", split = ",", description = "producer acks settings, each its own run (default: 1,all)")
    List<String> acks = List.of("1", "all");

    @Option(names = "--compression", description = "producer compression.type (default: ${DEFAULT-VALUE})")
    String compression = "lz4";

    @Option(names = "--repeats", description = "repeats; the broker order alternates (default: ${DEFAULT-VALUE})")
    int repeats = 3;

    @Option(names = "--brokers", split = ",", description = "brokers to compare (default: tierlog,kafka)")
    List<String> brokers = List.of(TIERLOG, KAFKA);

    @Option(names = "--heap", description = "heap of each broker JVM, -Xms and -Xmx (default: ${DEFAULT-VALUE})")
    String heap = "1g";

    @Option(names = "--broker-jvm-arg",
            description = "an extra option for both broker JVMs, e.g. -XX:StartFlightRecording=filename=/tmp/%%p.jfr (repeatable)")
    List<String> brokerJvmArgs = new ArrayList<>();

    @Option(names = "--client-heap", description = "heap of each tool JVM (default: ${DEFAULT-VALUE})")
    String clientHeap = "512m";

    @Option(names = "--segment-bytes", description = "segment.bytes of the topics, both brokers (default: ${DEFAULT-VALUE})")
    long segmentBytes = 128L * 1024 * 1024;

    @Option(names = "--retention-ms", description = "retention.ms of the topics, both brokers (default: ${DEFAULT-VALUE})")
    long retentionMs = 7L * 24 * 3600 * 1000;

    @Option(names = "--tierlog-tiering", negatable = false,
            description = "let Tierlog offload closed segments to its embedded S3 store (default: off, like Kafka here)")
    boolean tiering;

    @Option(names = "--consumer-performance",
            description = "brokers to run Kafka's ConsumerPerformance against (it needs a group coordinator): all, kafka"
                    + " or none (default: ${DEFAULT-VALUE})")
    String consumerPerformance = "all";

    @Option(names = "--group-consumers",
            description = "members of a consumer group that drains the produced topic (GroupDrain); 0 = no such run"
                    + " (default: ${DEFAULT-VALUE})")
    int groupConsumers = 3;

    @Option(names = "--no-throughput", negatable = false, description = "skip the produce and fetch runs")
    boolean noThroughput;

    @Option(names = "--e2e-fraction",
            description = "end-to-end runs at this fraction of Kafka's median produce rate; 0 = none (default: ${DEFAULT-VALUE})")
    double e2eFraction = 0.5;

    @Option(names = "--e2e-rate", description = "end-to-end runs at this rate (records/s) instead of the fraction")
    long e2eRate;

    @Option(names = "--e2e-duration", converter = LoadTest.DurationConverter.class, description = "measured (default: 20s)")
    Duration e2eDuration = Duration.ofSeconds(20);

    @Option(names = "--e2e-warmup", converter = LoadTest.DurationConverter.class, description = "warm-up (default: 5s)")
    Duration e2eWarmup = Duration.ofSeconds(5);

    @Option(names = "--run-timeout", converter = LoadTest.DurationConverter.class,
            description = "longest one tool run may take before it is killed (default: 10m)")
    Duration runTimeout = Duration.ofMinutes(10);

    @Option(names = "--tierlog-home", description = "repository root with the built server (default: -Dtierlog.home or .)")
    Path home = Path.of(System.getProperty("tierlog.home", "."));

    @Option(names = "--tierlog-classpath", hidden = true, description = "class path for the Tierlog server JVM (tests)")
    String tierlogClassPath;

    @Option(names = "--data-root", description = "where broker data directories go, deleted after each broker "
            + "(default: java.io.tmpdir)")
    Path dataRoot = Path.of(System.getProperty("java.io.tmpdir"));

    @Option(names = "--out", description = "results directory (default: <tierlog-home>/loadtest/target/kafka-perf/<time>)")
    Path outDir;

    /** Every run of the last {@link #call()}, in order (for tests and embedding). */
    final List<RunRow> rows = new ArrayList<>();

    private PrintWriter out;
    private BrokerSettings settings;

    public static void main(String[] args) {
        System.exit(new CommandLine(new KafkaPerf()).execute(args));
    }

    /** One tool run against one broker: its figures, or why it failed. */
    record RunRow(String test, int repeat, int position, String broker, Map<String, Double> metrics, String load,
                  String error) {
        boolean ok() {
            return error == null;
        }
    }

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        for (String b : brokers) {
            if (!b.equals(TIERLOG) && !b.equals(KAFKA)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "unknown broker '" + b + "' (tierlog, kafka)");
            }
        }
        if (!List.of(KAFKA, "all", "none").contains(consumerPerformance)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--consumer-performance must be kafka, all or none");
        }
        if (outDir == null) {
            outDir = home.resolve("loadtest/target/kafka-perf")
                    .resolve(LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        }
        Files.createDirectories(outDir);
        List<String> jvm = new ArrayList<>(BrokerSettings.jvmOptions(heap));
        jvm.addAll(brokerJvmArgs);
        settings = new BrokerSettings(jvm, segmentBytes, retentionMs, tiering, Duration.ofSeconds(90));
        String tierlogCp = brokers.contains(TIERLOG)
                ? (tierlogClassPath != null ? tierlogClassPath : TierlogBroker.serverClassPath(home)) : null;
        rows.clear();
        out.printf(Locale.ROOT, "kafka-perf: %,d records of %d B, %d partitions, %s, acks %s, %d repeats, brokers %s "
                        + "(JVM %s), %d cores, load %s, results in %s%n", records, recordSize, partitions, compression,
                String.join("/", acks), repeats, String.join(" and ", brokers), String.join(" ", settings.jvmOptions()),
                Runtime.getRuntime().availableProcessors(), ProcCpu.loadAverage(), outDir.toAbsolutePath());
        out.flush();

        if (!noThroughput) {
            for (int r = 0; r < repeats; r++) {
                List<String> order = order(r);
                for (int pos = 0; pos < order.size(); pos++) {
                    throughput(r, pos, order.get(pos), tierlogCp);
                }
            }
        }
        Map<String, Long> e2eRates = e2eRates();
        if (!e2eRates.isEmpty()) {
            for (int r = 0; r < repeats; r++) {
                List<String> order = order(r);
                for (int pos = 0; pos < order.size(); pos++) {
                    endToEnd(r, pos, order.get(pos), tierlogCp, e2eRates);
                }
            }
        }
        String summary = Summary.format(rows, brokers, repeats);
        out.println();
        out.print(summary);
        out.flush();
        Files.writeString(outDir.resolve("summary.txt"), "command: kafka-perf "
                + String.join(" ", spec.commandLine().getParseResult().originalArgs()) + System.lineSeparator() + summary,
                StandardCharsets.UTF_8);
        writeCsv();
        return rows.stream().allMatch(RunRow::ok) ? 0 : 1;
    }

    /** Repeat 0 in the given order, repeat 1 reversed, and so on. */
    private List<String> order(int repeat) {
        return repeat % 2 == 0 ? brokers : brokers.reversed();
    }

    private Broker startBroker(String name, Path data, Path logs, String tierlogCp) throws IOException, InterruptedException {
        Files.createDirectories(logs);
        return name.equals(TIERLOG)
                ? TierlogBroker.start(tierlogCp, settings, data, logs.resolve("tierlog-broker.log"))
                : KafkaBroker.start(Jvm.ownClassPath(), settings, data, logs);
    }

    private void throughput(int repeat, int position, String name, String tierlogCp) throws InterruptedException {
        Path data = dataRoot.resolve("kafka-perf-" + ProcessHandle.current().pid() + "-" + name + "-" + repeat);
        Path logs = outDir.resolve(String.format(Locale.ROOT, "run%d-%s", repeat + 1, name));
        List<String> tests = new ArrayList<>();
        acks.forEach(a -> tests.add(produceTest(a)));
        tests.add("fetch");
        if (consumerPerformance.equals("all") || consumerPerformance.equals(name)) {
            tests.add("fetch (ConsumerPerformance)");
        }
        if (groupConsumers > 0) {
            tests.add(groupDrainTest());
        }
        out.printf("== repeat %d/%d, %s (position %d)%n", repeat + 1, repeats, name, position + 1);
        try (Broker broker = startBroker(name, data, logs, tierlogCp)) {
            warmUp(broker, logs);
            String firstTopic = null;
            for (String a : acks) {
                String topic = "perf-acks-" + a;
                firstTopic = firstTopic == null ? topic : firstTopic;
                Topics.create(broker.bootstrap(), topic, partitions, broker.topicConfigs(settings), Duration.ofSeconds(60));
                measure(repeat, position, broker, produceTest(a), logs.resolve("produce-acks-" + a + ".log"),
                        producerPerformance(broker, topic, records, a),
                        lines -> PerfOutput.produced(lines).map(p -> {
                            Map<String, Double> m = new LinkedHashMap<>();
                            m.put(Summary.RECORDS_PER_SEC, p.recordsPerSec());
                            m.put(Summary.MB_PER_SEC, p.mbPerSec());
                            m.put("producer p50 ms", (double) p.p50Ms());
                            m.put("producer p99 ms", (double) p.p99Ms());
                            m.put(Summary.RECORDS, (double) p.records());
                            return m;
                        }));
            }
            List<String> fetchArgs = fetchArgs(broker, firstTopic, records);
            measure(repeat, position, broker, "fetch", logs.resolve("fetch.log"),
                    Jvm.command(clientJvm(), Jvm.ownClassPath(), FetchPerformance.class.getName(), fetchArgs),
                    KafkaPerf::consumedMetrics);
            if (tests.contains("fetch (ConsumerPerformance)")) {
                measure(repeat, position, broker, "fetch (ConsumerPerformance)", logs.resolve("consumer-performance.log"),
                        Jvm.command(clientJvm(), Jvm.ownClassPath(), "org.apache.kafka.tools.ConsumerPerformance", fetchArgs),
                        KafkaPerf::consumedMetrics);
            }
            if (groupConsumers > 0) {
                List<String> drainArgs = new ArrayList<>(fetchArgs);
                drainArgs.addAll(List.of("--consumers", Integer.toString(groupConsumers), "--group", "drain-" + (repeat + 1)));
                measure(repeat, position, broker, groupDrainTest(), logs.resolve("group-drain.log"),
                        Jvm.command(clientJvm(), Jvm.ownClassPath(), GroupDrain.class.getName(), drainArgs),
                        KafkaPerf::consumedMetrics);
            }
        } catch (IOException | RuntimeException e) {
            brokerFailed(repeat, position, name, tests, e);
        } finally {
            ChildProcess.deleteTree(data);
        }
    }

    private static List<String> fetchArgs(Broker broker, String topic, long n) {
        return List.of("--bootstrap-server", broker.bootstrap(), "--topic", topic, "--messages", Long.toString(n),
                "--timeout", "10000");
    }

    private List<String> producerPerformance(Broker broker, String topic, long n, String acks) {
        return Jvm.command(clientJvm(), Jvm.ownClassPath(), "org.apache.kafka.tools.ProducerPerformance",
                List.of("--topic", topic, "--num-records", Long.toString(n), "--record-size", Integer.toString(recordSize),
                        "--throughput", "-1", "--producer-props", "bootstrap.servers=" + broker.bootstrap(), "acks=" + acks,
                        "compression.type=" + compression, "client.id=perf-producer"));
    }

    /** The same produce and fetch paths as the measured runs, unmeasured, on a topic of their own. */
    private void warmUp(Broker broker, Path logs) throws InterruptedException {
        if (warmupRecords <= 0) {
            return;
        }
        Topics.create(broker.bootstrap(), "warmup", partitions, broker.topicConfigs(settings), Duration.ofSeconds(60));
        for (var step : List.of(
                Map.entry("warmup-produce", producerPerformance(broker, "warmup", warmupRecords, "1")),
                Map.entry("warmup-fetch", Jvm.command(clientJvm(), Jvm.ownClassPath(), FetchPerformance.class.getName(),
                        fetchArgs(broker, "warmup", warmupRecords))))) {
            try (ChildProcess tool = ChildProcess.start(step.getKey(), step.getValue(), logs.resolve(step.getKey() + ".log"))) {
                int rc = tool.awaitExit(runTimeout);
                if (rc != 0) {
                    out.printf("   %s exited with %d (see %s); measuring anyway%n", step.getKey(), rc, tool.log());
                }
            } catch (IOException | RuntimeException e) {
                out.printf("   %s failed: %s; measuring anyway%n", step.getKey(), e.getMessage());
            }
        }
    }

    private static Optional<Map<String, Double>> consumedMetrics(List<String> lines) {
        return PerfOutput.consumed(lines).map(c -> {
            Map<String, Double> m = new LinkedHashMap<>();
            m.put(Summary.RECORDS_PER_SEC, c.fetchRecordsPerSec());
            m.put(Summary.MB_PER_SEC, c.fetchMbPerSec());
            m.put(Summary.RECORDS, (double) c.records());
            return m;
        });
    }

    private String groupDrainTest() {
        return "fetch (group of " + groupConsumers + ")";
    }

    static String produceTest(String acks) {
        return "produce acks=" + acks;
    }

    static String e2eTest(String acks) {
        return "e2e acks=" + acks;
    }

    /** Per acks setting: the fixed rate of the end-to-end runs (empty when there are none). */
    private Map<String, Long> e2eRates() {
        Map<String, Long> rates = new LinkedHashMap<>();
        if (e2eRate <= 0 && e2eFraction <= 0) {
            return rates;
        }
        for (String a : acks) {
            if (e2eRate > 0) {
                rates.put(a, e2eRate);
                continue;
            }
            List<Double> kafka = rows.stream().filter(r -> r.ok() && r.broker().equals(KAFKA) && r.test().equals(produceTest(a)))
                    .map(r -> r.metrics().get(Summary.RECORDS_PER_SEC)).toList();
            if (kafka.isEmpty()) {
                out.printf("no Kafka produce rate for acks=%s to take %.0f %% of: skipping its end-to-end runs (give --e2e-rate)%n",
                        a, e2eFraction * 100);
                continue;
            }
            rates.put(a, Math.max(1, Math.round(Summary.median(kafka) * e2eFraction)));
        }
        out.printf(Locale.ROOT, "end-to-end rates: %s%n", rates);
        return rates;
    }

    private void endToEnd(int repeat, int position, String name, String tierlogCp, Map<String, Long> rates)
            throws InterruptedException {
        Path data = dataRoot.resolve("kafka-perf-" + ProcessHandle.current().pid() + "-e2e-" + name + "-" + repeat);
        Path logs = outDir.resolve(String.format(Locale.ROOT, "e2e%d-%s", repeat + 1, name));
        List<String> tests = rates.keySet().stream().map(KafkaPerf::e2eTest).toList();
        out.printf("== end to end, repeat %d/%d, %s (position %d)%n", repeat + 1, repeats, name, position + 1);
        try (Broker broker = startBroker(name, data, logs, tierlogCp)) {
            for (Map.Entry<String, Long> e : rates.entrySet()) {
                String topic = "e2e-acks-" + e.getKey();
                Topics.create(broker.bootstrap(), topic, partitions, broker.topicConfigs(settings), Duration.ofSeconds(60));
                Path hlog = logs.resolve("e2e-acks-" + e.getKey() + ".hlog");
                measure(repeat, position, broker, e2eTest(e.getKey()), logs.resolve("e2e-acks-" + e.getKey() + ".log"),
                        Jvm.command(clientJvm(), Jvm.ownClassPath(), FixedRateLatency.class.getName(),
                                List.of("--bootstrap-server", broker.bootstrap(), "--topic", topic, "--rate",
                                        Long.toString(e.getValue()), "--acks", e.getKey(), "--record-size",
                                        Integer.toString(recordSize), "--compression", compression, "--duration",
                                        e2eDuration.toMillis() + "ms", "--warmup", e2eWarmup.toMillis() + "ms",
                                        "--histogram", hlog.toString())),
                        lines -> PerfOutput.endToEnd(lines).map(x -> {
                            Map<String, Double> m = new LinkedHashMap<>();
                            m.put("rate", (double) x.rate());
                            m.put("e2e p50 ms", x.p50Us() / 1000.0);
                            m.put("e2e p99 ms", x.p99Us() / 1000.0);
                            m.put("e2e p99.9 ms", x.p999Us() / 1000.0);
                            m.put("e2e max ms", x.maxUs() / 1000.0);
                            m.put("undelivered", (double) x.undelivered());
                            // the broker's CPU covers the warm-up too
                            m.put(Summary.RECORDS, x.rate() * (e2eWarmup.toMillis() + e2eDuration.toMillis()) / 1000.0);
                            return m;
                        }));
            }
        } catch (IOException | RuntimeException e) {
            brokerFailed(repeat, position, name, tests, e);
        } finally {
            ChildProcess.deleteTree(data);
        }
    }

    private List<String> clientJvm() {
        return List.of("-Xms" + clientHeap, "-Xmx" + clientHeap);
    }

    /**
     * Runs one tool to completion and charges the broker the CPU its process used meanwhile. A tool that fails or
     * prints no summary becomes a failed row with the tail of its output; the benchmark goes on.
     */
    private void measure(int repeat, int position, Broker broker, String test, Path log, List<String> command,
                         Function<List<String>, Optional<Map<String, Double>>> parse) throws InterruptedException {
        String load = ProcCpu.loadAverage();
        RunRow row;
        try {
            ProcCpu.Times cpu0 = ProcCpu.times(broker.pid());
            int rc;
            List<String> lines;
            try (ChildProcess tool = ChildProcess.start(test, command, log)) {
                rc = tool.awaitExit(runTimeout);
                lines = tool.output();
            }
            ProcCpu.Times cpu = ProcCpu.times(broker.pid()).minus(cpu0);
            Optional<Map<String, Double>> parsed = parse.apply(lines);
            if (parsed.isEmpty()) {
                row = new RunRow(test, repeat, position, broker.name(), Map.of(), load,
                        "no summary line (exit " + rc + "), see " + log);
            } else {
                Map<String, Double> m = new LinkedHashMap<>(parsed.get());
                double n = m.remove(Summary.RECORDS);
                m.put(Summary.CPU_SECONDS, cpu.total());
                m.put(Summary.CPU_US_PER_RECORD, n <= 0 ? Double.NaN : cpu.total() * 1e6 / n);
                m.put(Summary.CPU_KERNEL_PERCENT, cpu.total() <= 0 ? Double.NaN : 100 * cpu.system() / cpu.total());
                row = new RunRow(test, repeat, position, broker.name(), m, load,
                        rc == 0 ? null : "exit " + rc + ", see " + log);
            }
        } catch (IOException | RuntimeException e) {
            row = new RunRow(test, repeat, position, broker.name(), Map.of(), load, e.getMessage());
        }
        rows.add(row);
        out.printf(Locale.ROOT, "   %-30s %s (load %s)%n", test, row.ok() ? Summary.brief(row.metrics()) : "FAILED: "
                + row.error(), load);
        out.flush();
    }

    private void brokerFailed(int repeat, int position, String name, List<String> tests, Exception e) {
        out.printf("   %s failed: %s%n", name, e.getMessage());
        for (String t : tests) {
            if (rows.stream().noneMatch(r -> r.repeat() == repeat && r.broker().equals(name) && r.test().equals(t))) {
                rows.add(new RunRow(t, repeat, position, name, Map.of(), ProcCpu.loadAverage(), String.valueOf(e.getMessage())));
            }
        }
        out.flush();
    }

    /** runs.csv: one line per figure (test, repeat, position, broker, metric, value, load average). */
    private void writeCsv() throws IOException {
        StringBuilder sb = new StringBuilder("test,repeat,position,broker,metric,value,load1,load5,load15,error\n");
        for (RunRow r : rows) {
            String load = r.load().replace(' ', ',');
            if (!r.ok()) {
                sb.append(String.format(Locale.ROOT, "%s,%d,%d,%s,,,%s,\"%s\"%n", r.test(), r.repeat() + 1, r.position() + 1,
                        r.broker(), load, r.error().replace('"', '\'')));
            }
            r.metrics().forEach((k, v) -> sb.append(String.format(Locale.ROOT, "%s,%d,%d,%s,%s,%.6g,%s,%n", r.test(),
                    r.repeat() + 1, r.position() + 1, r.broker(), k, v, load)));
        }
        Files.writeString(outDir.resolve("runs.csv"), sb, StandardCharsets.UTF_8);
    }
}
