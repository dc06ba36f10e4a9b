package io.tierlog.loadtest.kafka;

import java.io.IOException;
import java.io.Writer;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * An Apache Kafka broker (the kafka_2.13 artifact this module pins) in a child JVM: one KRaft node in combined
 * broker+controller mode on loopback, its storage formatted first ({@code kafka.tools.StorageTool format}), then
 * {@code kafka.Kafka server.properties} as {@code kafka-server-start.sh} runs it. Flushing is Kafka's default
 * (the OS page cache). Used by {@code kafka-perf} and as the SDK load test's peer.
 */
public final class KafkaBroker implements Broker {
    private final ChildProcess process;
    private final String bootstrap;

    private KafkaBroker(ChildProcess process, String bootstrap) {
        this.process = process;
        this.bootstrap = bootstrap;
    }

    /**
     * Formats {@code dir}, starts the broker with {@code classPath} (which must hold kafka_2.13 and its
     * dependencies) and waits until it answers; logs go to {@code logDir}.
     */
    static KafkaBroker start(String classPath, BrokerSettings settings, Path dir, Path logDir) throws IOException,
            InterruptedException {
        int brokerPort = freePort();
        int controllerPort = freePort();
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("log.dirs", dir.resolve("logs").toString());
        p.put("log.segment.bytes", Long.toString(settings.segmentBytes()));
        p.put("log.retention.ms", Long.toString(settings.retentionMs()));
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("auto.create.topics.enable", "false");
        Files.createDirectories(dir);
        Path props = dir.resolve("server.properties");
        try (Writer w = Files.newBufferedWriter(props, StandardCharsets.UTF_8)) {
            p.store(w, "Apache Kafka broker of the Tierlog benchmarks");
        }
        // Kafka's own random ids never start with '-', which the storage tool would take for an option
        try (ChildProcess format = ChildProcess.start("kafka-format", Jvm.command(List.of("-Xmx256m"), classPath,
                "kafka.tools.StorageTool", List.of("format", "--cluster-id", Uuid.randomUuid().toString(), "--config", props.toString())),
                logDir.resolve("kafka-format.log"))) {
            int rc = format.awaitExit(settings.startTimeout());
            if (rc != 0) {
                throw new IllegalStateException("formatting Kafka's storage failed (" + rc + "); see " + format.log()
                        + format.tail());
            }
        }
        ChildProcess broker = ChildProcess.start("kafka-broker", Jvm.command(settings.jvmOptions(), classPath, "kafka.Kafka",
                List.of(props.toString())), logDir.resolve("kafka-broker.log"));
        try {
            String bootstrap = "127.0.0.1:" + brokerPort;
            awaitServing(broker, bootstrap, settings.startTimeout());
            return new KafkaBroker(broker, bootstrap);
        } catch (RuntimeException | InterruptedException e) {
            broker.close();
            throw e;
        }
    }

    /** Starts a broker with the defaults of {@link BrokerSettings} but the heap given, for the SDK load test. */
    public static KafkaBroker start(List<String> jvmOptions, Path dir) throws IOException, InterruptedException {
        BrokerSettings d = BrokerSettings.defaults();
        return start(Jvm.ownClassPath(), new BrokerSettings(jvmOptions, d.segmentBytes(), d.retentionMs(), false,
                d.startTimeout()), dir, dir);
    }

    private static void awaitServing(ChildProcess broker, String bootstrap, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000", AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000"))) {
            while (true) {
                if (!broker.isAlive()) {
                    throw new IllegalStateException("the Kafka broker exited during start-up; see " + broker.log() + broker.tail());
                }
                try {
                    if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
                        return;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    // not serving yet: try again until the deadline
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("the Kafka broker did not answer within " + timeout + "; see "
                            + broker.log() + broker.tail());
                }
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public String name() {
        return "kafka";
    }

    @Override
    public String bootstrap() {
        return bootstrap;
    }

    @Override
    public long pid() {
        return process.pid();
    }

    @Override
    public Map<String, String> topicConfigs(BrokerSettings settings) {
        return settings.commonTopicConfigs();
    }

    @Override
    public void close() {
        process.close();
    }
}
