package io.tierlog.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An older Java client (kafka-clients 3.9.x, copied into target/ by the kafka pom) produces and consumes against
 * the listener from a child JVM. It negotiates older versions (seen: Produce v11 by name, Fetch v17, Metadata v12,
 * ListOffsets v9), so this covers the pre-topic-id Produce path a 4.x client never takes.
 */
class OldKafkaClientTest {

    private ListenerFixture fixture;

    @BeforeEach
    void start() throws Exception {
        fixture = new ListenerFixture();
    }

    @AfterEach
    void stop() throws Exception {
        fixture.close();
    }

    @Test
    void kafka_clients_3_9_produces_and_consumes() throws Exception {
        String oldVersion = System.getProperty("kafka.old.version");
        Path jars = Path.of(System.getProperty("kafka.old.client.dir"));
        List<String> classpath = new ArrayList<>();
        try (var files = Files.list(jars)) {
            files.filter(f -> f.toString().endsWith(".jar")).map(Path::toString).sorted().forEach(classpath::add);
        }
        assertThat(classpath).anySatisfy(j -> assertThat(j).endsWith("kafka-clients-" + oldVersion + ".jar"));
        classpath.add(Path.of(OldClientProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        fixture.backend.createTopic("old", 1);

        String java = ProcessHandle.current().info().command().orElseThrow();
        Process child = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED",
                "-cp", String.join(File.pathSeparator, classpath),
                OldClientProbe.class.getName(), fixture.bootstrap(), "old", "200")
                .redirectErrorStream(true).start();
        boolean exited = child.waitFor(90, TimeUnit.SECONDS);
        if (!exited) {
            child.destroyForcibly();
        }
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(exited).as("probe finished; output:%n%s", output).isTrue();
        assertThat(child.exitValue()).as("probe exit code; output:%n%s", output).isZero();
        assertThat(output).contains("produced=200 consumed=200 version=" + oldVersion);
        assertThat(fixture.backend.storedBatches("old", 0)).isNotEmpty();
    }
}
