package io.tierlog.loadtest.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A Tierlog server in a child JVM, started as {@code ./tierlog server} starts it ({@code io.tierlog.server.Main
 * server}) with the HTTP port and the Kafka port picked by the server itself ({@code 0}), the Kafka one read from
 * its start-up line.
 */
public final class TierlogBroker implements Broker {
    private static final Pattern KAFKA_LISTENING = Pattern.compile("tierlog listening for Kafka clients on (\\S+):(\\d+)");

    private final ChildProcess process;
    private final String bootstrap;

    private TierlogBroker(ChildProcess process, String bootstrap) {
        this.process = process;
        this.bootstrap = bootstrap;
    }

    /** Starts the server with {@code classPath} (see {@link #serverClassPath}) and waits until it serves Kafka. */
    static TierlogBroker start(String classPath, BrokerSettings settings, Path dataDir, Path log) throws IOException,
            InterruptedException {
        List<String> cmd = Jvm.command(settings.jvmOptions(), classPath, "io.tierlog.server.Main",
                List.of("server", "--host", "127.0.0.1", "--port", "0", "--kafka-port", "0", "--data-dir", dataDir.toString(),
                        // as the Kafka peer is configured (KafkaBroker): a group's first rebalance does not wait
                        "--kafka-group-initial-rebalance-delay-ms", "0"));
        ChildProcess p = ChildProcess.start("tierlog-broker", cmd, log);
        try {
            Matcher m = p.awaitLine(KAFKA_LISTENING, settings.startTimeout());
            return new TierlogBroker(p, m.group(1) + ":" + m.group(2));
        } catch (RuntimeException | InterruptedException e) {
            p.close();
            throw e;
        }
    }

    /**
     * The class path of the built server under the repository root {@code home}: {@code server/target}'s jar and
     * {@code server/target/lib/*} (what {@code ./tierlog server} runs).
     */
    public static String serverClassPath(Path home) {
        Path target = home.resolve("server").resolve("target");
        try (Stream<Path> s = Files.list(target)) {
            Path jar = s.filter(p -> p.getFileName().toString().matches("tierlog-server-.*\\.jar")
                            && !p.getFileName().toString().matches(".*-(tests|sources|javadoc)\\.jar"))
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException("no tierlog-server jar in " + target
                            + " (build it: ./mvnw -q -DskipTests -pl server -am package)"));
            if (!Files.isDirectory(target.resolve("lib"))) {
                throw new IllegalStateException("no " + target.resolve("lib") + " (build the server with package)");
            }
            return jar + java.io.File.pathSeparator + target.resolve("lib") + java.io.File.separator + "*";
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + target + " (is --tierlog-home the repository root?)", e);
        }
    }

    @Override
    public String name() {
        return "tierlog";
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
        Map<String, String> c = settings.commonTopicConfigs();
        c.put("remote.storage.enable", Boolean.toString(settings.tiering()));
        return c;
    }

    @Override
    public void close() {
        process.close();
    }
}
