package io.tierlog.server;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs one of Kafka's command-line tools, as published on Maven Central, through its main class in a child JVM with
 * the test class path (the tools end with {@code Exit.exit}): stdin fed and closed, stdout and stderr collected, the
 * exit code returned. A child still running after its time limit is killed and the run fails; a child is never left
 * behind.
 */
final class KafkaTool {
    static final String TOPICS = "org.apache.kafka.tools.TopicCommand";
    static final String CONSOLE_PRODUCER = "org.apache.kafka.tools.ConsoleProducer";
    static final String CONSOLE_CONSUMER = "org.apache.kafka.tools.consumer.ConsoleConsumer";
    static final String CONSUMER_GROUPS = "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand";
    /** kafka-configs.sh: still the Scala kafka_2.13 jar in 4.1. */
    static final String CONFIGS = "kafka.admin.ConfigCommand";

    private static final Duration LIMIT = Duration.ofSeconds(90);

    record Run(String tool, List<String> args, int exit, String stdout, String stderr) {
        List<String> lines() {
            return stdout.lines().toList();
        }

        /** For assertion messages: what ran and everything it printed. */
        String describe() {
            return tool + " " + String.join(" ", args) + " -> exit " + exit + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }

    private final Path workDir;

    KafkaTool(Path workDir) {
        this.workDir = workDir;
    }

    Run run(String mainClass, String... args) {
        return runWithInput(null, mainClass, args);
    }

    /** {@code stdin} is written to the tool's standard input, which is then closed (null: closed at once). */
    Run runWithInput(String stdin, String mainClass, String... args) {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto", "--enable-native-access=ALL-UNNAMED",
                "-Dlogback.configurationFile=" + resource("/tools-logback.xml"),
                "-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(List.of(args));
        Process p = null;
        try {
            Path out = Files.createTempFile(workDir, "tool", ".out");
            Path err = Files.createTempFile(workDir, "tool", ".err");
            p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            try (OutputStream in = p.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            if (!p.waitFor(LIMIT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(mainClass + " " + String.join(" ", args) + " still ran after " + LIMIT
                        + "\n--- stdout\n" + Files.readString(out) + "--- stderr\n" + Files.readString(err));
            }
            return new Run(mainClass.substring(mainClass.lastIndexOf('.') + 1), List.of(args), p.exitValue(),
                    Files.readString(out), Files.readString(err));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            if (p != null) {
                p.destroyForcibly();
            }
        }
    }

    private static String resource(String name) {
        try {
            return Path.of(KafkaTool.class.getResource(name).toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
