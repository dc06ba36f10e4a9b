package io.tierlog.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.RecordBatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * librdkafka (through kcat) produces lz4-compressed batches and consumes them back, alone and as a group member.
 * librdkafka uses the classic, name-based versions (Produce v7, Fetch v11, Metadata v4) and only compresses with lz4
 * when FindCoordinator is advertised. Skipped when kcat is not installed (Debian package {@code kcat}; CI installs it).
 */
class KcatTest {

    private ListenerFixture fixture;

    @BeforeEach
    void start() throws Exception {
        assumeTrue(onPath("kcat"), "kcat is not installed");
        fixture = new ListenerFixture();
    }

    @AfterEach
    void stop() throws Exception {
        if (fixture != null) {
            fixture.close();
        }
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (new File(dir, tool).canExecute()) {
                return true;
            }
        }
        return false;
    }

    private record Run(int exit, String stdout) {
    }

    private static Run kcat(String stdin, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add("kcat");
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("kcat %s finished", command).isTrue();
        return new Run(p.exitValue(), out);
    }

    @Test
    void kcat_produces_lz4_and_consumes_every_line_back() throws Exception {
        fixture.backend.createTopic("lines", 1);
        List<String> lines = IntStream.range(0, 300).mapToObj(i -> "line " + i + " " + "abc".repeat(20)).toList();
        Run produced = kcat(String.join("\n", lines) + "\n", "-P", "-b", fixture.bootstrap(), "-t", "lines", "-p", "0",
                "-z", "lz4", "-X", "enable.idempotence=true");
        assertThat(produced.exit()).isZero();

        List<CompressionType> codecs = new ArrayList<>();
        for (ByteBuffer stored : fixture.backend.storedBatches("lines", 0)) {
            for (RecordBatch b : MemoryRecords.readableRecords(stored).batches()) {
                codecs.add(b.compressionType());
            }
        }
        assertThat(codecs).as("librdkafka compressed with lz4").contains(CompressionType.LZ4);

        Run consumed = kcat("", "-C", "-b", fixture.bootstrap(), "-t", "lines", "-p", "0", "-o", "beginning", "-e",
                "-q", "-f", "%s\\n");
        assertThat(consumed.exit()).isZero();
        assertThat(consumed.stdout().lines().toList()).containsExactlyElementsOf(lines);
    }

    @Test
    void a_kcat_balanced_consumer_joins_a_group_consumes_everything_and_resumes_from_its_commits() throws Exception {
        fixture.backend.createTopic("shared", 3);
        List<String> lines = IntStream.range(0, 90).mapToObj(i -> "line " + i).toList();
        for (int p = 0; p < 3; p++) {
            List<String> part = lines.subList(p * 30, p * 30 + 30);
            assertThat(kcat(String.join("\n", part) + "\n", "-P", "-b", fixture.bootstrap(), "-t", "shared", "-p",
                    Integer.toString(p)).exit()).isZero();
        }
        // -G: librdkafka's group consumer (FindCoordinator, JoinGroup, SyncGroup, Heartbeat, OffsetFetch,
        // OffsetCommit on close, LeaveGroup); -e ends it once every assigned partition reached its end
        Run first = kcat("", "-b", fixture.bootstrap(), "-G", "rdkafka-group", "-X", "auto.offset.reset=earliest", "-e", "-q",
                "-f", "%s\\n", "shared");
        assertThat(first.exit()).isZero();
        assertThat(first.stdout().lines().toList()).containsExactlyInAnyOrderElementsOf(lines);
        assertThat(fixture.backend.committedPlainOffsets("rdkafka-group").get("shared")).containsEntry(0, 30L)
                .containsEntry(1, 30L).containsEntry(2, 30L);

        assertThat(kcat("one more\n", "-P", "-b", fixture.bootstrap(), "-t", "shared", "-p", "1").exit()).isZero();
        Run second = kcat("", "-b", fixture.bootstrap(), "-G", "rdkafka-group", "-X", "auto.offset.reset=earliest", "-e", "-q",
                "-f", "%s\\n", "shared");
        assertThat(second.exit()).isZero();
        assertThat(second.stdout().lines().toList()).as("from the committed offsets on").containsExactly("one more");
    }
}
