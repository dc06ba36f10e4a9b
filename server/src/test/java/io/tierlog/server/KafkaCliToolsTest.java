package io.tierlog.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static io.tierlog.server.KafkaTool.CONFIGS;
import static io.tierlog.server.KafkaTool.CONSOLE_CONSUMER;
import static io.tierlog.server.KafkaTool.CONSOLE_PRODUCER;
import static io.tierlog.server.KafkaTool.CONSUMER_GROUPS;
import static io.tierlog.server.KafkaTool.TOPICS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Kafka's own command-line tools (kafka-tools and kafka_2.13 4.1.2 from Maven Central, through their main classes in
 * child JVMs) against a whole Tierlog server: kafka-topics, kafka-console-producer, kafka-console-consumer,
 * kafka-consumer-groups and kafka-configs, as an operator would type them.
 */
class KafkaCliToolsTest {
    @TempDir
    static Path dir;
    private static ServerHarness s;
    private static KafkaTool tool;
    private static String bootstrap;

    @BeforeAll
    static void start() {
        s = new ServerHarness(dir.resolve("data"), Map.of("kafka.group.initial.rebalance.delay.ms", "0"));
        bootstrap = "127.0.0.1:" + s.server.kafkaPort();
        tool = new KafkaTool(dir);
    }

    @AfterAll
    static void stop() {
        s.close();
    }

    @Test
    void kafkaTopicsCreatesListsDescribesAndDeletes() {
        KafkaTool.Run created = tool.run(TOPICS, "--bootstrap-server", bootstrap, "--create", "--topic", "orders",
                "--partitions", "3", "--config", "retention.ms=3600000", "--config", "segment.bytes=1048576");
        assertThat(created.exit()).as(created.describe()).isZero();
        assertThat(created.stdout()).contains("Created topic orders.");

        KafkaTool.Run refused = tool.run(TOPICS, "--bootstrap-server", bootstrap, "--create", "--topic", "big",
                "--config", "max.message.bytes=2000000");
        assertThat(refused.exit()).as(refused.describe()).isNotZero();
        assertThat(refused.stdout() + refused.stderr()).contains("unsupported topic config 'max.message.bytes'");

        KafkaTool.Run list = tool.run(TOPICS, "--bootstrap-server", bootstrap, "--list");
        assertThat(list.exit()).as(list.describe()).isZero();
        assertThat(list.lines()).contains("orders").doesNotContain("big");

        KafkaTool.Run described = tool.run(TOPICS, "--bootstrap-server", bootstrap, "--describe", "--topic", "orders");
        assertThat(described.exit()).as(described.describe()).isZero();
        List<String> lines = described.lines().stream().map(String::strip).filter(l -> !l.isEmpty()).toList();
        assertThat(lines).as(described.describe()).hasSize(4);
        assertThat(lines.getFirst()).startsWith("Topic: orders\tTopicId: ")
                .contains("\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: ")
                .contains("retention.ms=3600000").contains("segment.bytes=1048576");
        for (int p = 0; p < 3; p++) {
            assertThat(lines.get(p + 1)).isEqualTo("Topic: orders\tPartition: " + p + "\tLeader: 0\tReplicas: 0\tIsr: 0"
                    + "\tElr: N/A\tLastKnownElr: N/A"); // N/A: described through Metadata, not DescribeTopicPartitions
        }

        KafkaTool.Run deleted = tool.run(TOPICS, "--bootstrap-server", bootstrap, "--delete", "--topic", "orders");
        assertThat(deleted.exit()).as(deleted.describe()).isZero();
        assertThat(s.get("/v1/topics/orders").status()).isEqualTo(404);
        assertThat(tool.run(TOPICS, "--bootstrap-server", bootstrap, "--list").lines()).doesNotContain("orders");
    }

    @Test
    void consoleProducerAndConsumerReadFromTheBeginningAcrossBothTiers() {
        // small segments, local copies dropped once offloaded: the first records end up only in S3
        s.createTopic("lines", 1, "{\"schema\":\"bytes\",\"segmentBytes\":1024,\"localRetentionMs\":0}");
        List<String> sent = IntStream.range(0, 300).mapToObj(i -> String.format("line-%03d", i)).toList();
        KafkaTool.Run produced = tool.runWithInput(String.join("\n", sent) + "\n", CONSOLE_PRODUCER, "--bootstrap-server", bootstrap,
                "--topic", "lines", "--producer-property", "batch.size=256", "--producer-property", "linger.ms=0");
        assertThat(produced.exit()).as(produced.describe()).isZero();
        await().atMost(Duration.ofSeconds(30)).until(() -> partition("lines", 0).get("localLogStartOffset").asLong() > 0);
        assertThat(partition("lines", 0).get("logStartOffset").asLong()).isZero();

        KafkaTool.Run all = tool.run(CONSOLE_CONSUMER, "--bootstrap-server", bootstrap, "--topic", "lines",
                "--from-beginning", "--max-messages", "300", "--timeout-ms", "30000");
        assertThat(all.exit()).as(all.describe()).isZero();
        assertThat(all.lines()).as(all.describe()).containsExactlyElementsOf(sent);
        assertThat(all.stderr()).contains("Processed a total of 300 messages");

        // in a group: the group's commits are where a second run starts
        KafkaTool.Run first = tool.run(CONSOLE_CONSUMER, "--bootstrap-server", bootstrap, "--topic", "lines",
                "--group", "cli-readers", "--from-beginning", "--max-messages", "100", "--timeout-ms", "30000");
        assertThat(first.exit()).as(first.describe()).isZero();
        assertThat(first.lines()).containsExactlyElementsOf(sent.subList(0, 100));
        long committed = s.get("/v1/groups/cli-readers/offsets?topic=lines").json().get("offsets").get(0).get("offset").asLong();
        assertThat(committed).as("committed on close").isGreaterThanOrEqualTo(100);
        KafkaTool.Run rest = tool.run(CONSOLE_CONSUMER, "--bootstrap-server", bootstrap, "--topic", "lines",
                "--group", "cli-readers", "--max-messages", Long.toString(300 - committed), "--timeout-ms", "30000");
        assertThat(rest.exit()).as(rest.describe()).isZero();
        assertThat(rest.lines()).containsExactlyElementsOf(sent.subList((int) committed, 300));
    }

    @Test
    void consumerGroupsDescribesLagAndResetsOffsets() {
        s.createTopic("jobs", 2, "{\"schema\":\"bytes\"}");
        produceLines("jobs", 0, 10);
        produceLines("jobs", 1, 10);
        KafkaTool.Run consumed = tool.run(CONSOLE_CONSUMER, "--bootstrap-server", bootstrap, "--topic", "jobs",
                "--group", "workers", "--from-beginning", "--max-messages", "20", "--timeout-ms", "30000");
        assertThat(consumed.exit()).as(consumed.describe()).isZero();
        produceLines("jobs", 0, 5);

        KafkaTool.Run list = tool.run(CONSUMER_GROUPS, "--bootstrap-server", bootstrap, "--list");
        assertThat(list.exit()).as(list.describe()).isZero();
        assertThat(list.lines()).contains("workers");

        KafkaTool.Run described = tool.run(CONSUMER_GROUPS, "--bootstrap-server", bootstrap, "--describe", "--group", "workers");
        assertThat(described.exit()).as(described.describe()).isZero();
        assertThat(rows(described)).as(described.describe()).containsExactly(
                List.of("workers", "jobs", "0", "10", "15", "5", "-", "-", "-"),
                List.of("workers", "jobs", "1", "10", "10", "0", "-", "-", "-"));

        KafkaTool.Run plan = tool.run(CONSUMER_GROUPS, "--bootstrap-server", bootstrap, "--reset-offsets", "--group", "workers",
                "--topic", "jobs", "--to-earliest", "--dry-run");
        assertThat(plan.exit()).as(plan.describe()).isZero();
        assertThat(rows(plan)).containsExactly(List.of("workers", "jobs", "0", "0"), List.of("workers", "jobs", "1", "0"));
        assertThat(rows(tool.run(CONSUMER_GROUPS, "--bootstrap-server", bootstrap, "--describe", "--group", "workers")))
                .as("a dry run changes nothing").extracting(r -> r.get(3)).containsExactly("10", "10");

        KafkaTool.Run reset = tool.run(CONSUMER_GROUPS, "--bootstrap-server", bootstrap, "--reset-offsets", "--group", "workers",
                "--topic", "jobs:0", "--to-offset", "3", "--execute");
        assertThat(reset.exit()).as(reset.describe()).isZero();
        assertThat(rows(reset)).containsExactly(List.of("workers", "jobs", "0", "3"));
        KafkaTool.Run after = tool.run(CONSUMER_GROUPS, "--bootstrap-server", bootstrap, "--describe", "--group", "workers");
        assertThat(rows(after)).as(after.describe()).containsExactly(
                List.of("workers", "jobs", "0", "3", "15", "12", "-", "-", "-"),
                List.of("workers", "jobs", "1", "10", "10", "0", "-", "-", "-"));

        KafkaTool.Run offsetsDeleted = tool.run(CONSUMER_GROUPS, "--bootstrap-server", bootstrap, "--delete-offsets",
                "--group", "workers", "--topic", "jobs:1");
        assertThat(offsetsDeleted.exit()).as(offsetsDeleted.describe()).isZero();
        assertThat(offsetsDeleted.lines().stream().map(l -> List.of(l.strip().split("\\s+"))).toList())
                .as(offsetsDeleted.describe()).contains(List.of("jobs", "1", "Successful"));
        assertThat(rows(tool.run(CONSUMER_GROUPS, "--bootstrap-server", bootstrap, "--describe", "--group", "workers")))
                .extracting(r -> r.get(2)).containsExactly("0");

        KafkaTool.Run deleted = tool.run(CONSUMER_GROUPS, "--bootstrap-server", bootstrap, "--delete", "--group", "workers");
        assertThat(deleted.exit()).as(deleted.describe()).isZero();
        assertThat(deleted.stdout()).contains("Deletion of requested consumer groups ('workers') was successful.");
        assertThat(s.get("/v1/groups/workers/offsets?topic=jobs").json().get("offsets")).isEmpty();
    }

    @Test
    void kafkaConfigsDescribesTopicsUnderKafkasNames() {
        KafkaTool.Run created = tool.run(TOPICS, "--bootstrap-server", bootstrap, "--create", "--topic", "changelog",
                "--config", "cleanup.policy=compact", "--config", "segment.bytes=1048576");
        assertThat(created.exit()).as(created.describe()).isZero();

        KafkaTool.Run dynamic = tool.run(CONFIGS, "--bootstrap-server", bootstrap, "--describe", "--entity-type", "topics",
                "--entity-name", "changelog");
        assertThat(dynamic.exit()).as(dynamic.describe()).isZero();
        assertThat(dynamic.lines().stream().map(String::strip).toList()).as(dynamic.describe()).containsExactly(
                "Dynamic configs for topic changelog are:",
                "cleanup.policy=compact sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:cleanup.policy=compact}",
                "remote.storage.enable=false sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:remote.storage.enable=false}",
                "segment.bytes=1048576 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:segment.bytes=1048576}");

        KafkaTool.Run all = tool.run(CONFIGS, "--bootstrap-server", bootstrap, "--describe", "--all", "--entity-type", "topics",
                "--entity-name", "changelog");
        assertThat(all.exit()).as(all.describe()).isZero();
        assertThat(all.stdout()).contains("All configs for topic changelog are:", "retention.ms=604800000",
                "message.timestamp.type=CreateTime", "tierlog.schema=bytes");
    }

    /** What Tierlog does not serve fails with the tool's own clear message, nothing half-done. */
    @Test
    void toolsFailClearlyOnWhatTierlogDoesNotServe() {
        s.createTopic("fixed", 2, "{\"schema\":\"bytes\"}");
        KafkaTool.Run alterConfig = tool.run(CONFIGS, "--bootstrap-server", bootstrap, "--alter", "--entity-type", "topics",
                "--entity-name", "fixed", "--add-config", "retention.ms=1000");
        KafkaTool.Run addPartitions = tool.run(TOPICS, "--bootstrap-server", bootstrap, "--alter", "--topic", "fixed",
                "--partitions", "4");
        KafkaTool.Run newProtocol = tool.run(CONSOLE_CONSUMER, "--bootstrap-server", bootstrap, "--topic", "fixed",
                "--group", "kip-848", "--consumer-property", "group.protocol=consumer", "--timeout-ms", "10000");
        // topic configs are fixed at creation on Tierlog (IncrementalAlterConfigs and AlterConfigs are not served)
        assertThat(alterConfig.exit()).as(alterConfig.describe()).isEqualTo(1);
        assertThat(alterConfig.stderr()).contains("The INCREMENTAL_ALTER_CONFIGS API is not supported by the cluster.");
        // so is the partition count (CreatePartitions): a series' partition is a hash of its key modulo the count
        assertThat(addPartitions.exit()).as(addPartitions.describe()).isEqualTo(1);
        assertThat(addPartitions.stdout()).contains("Error while executing topic command : The node does not support CREATE_PARTITIONS");
        // KIP-848's consumer protocol; the console consumer still exits 0 after printing the error
        assertThat(newProtocol.stderr()).as(newProtocol.describe()).contains("The cluster does not support the new CONSUMER"
                + " group protocol. Set group.protocol=classic on the consumer configs", "Processed a total of 0 messages");
        assertThat(s.get("/v1/topics/fixed").json().get("partitions")).hasSize(2);
        assertThat(s.get("/v1/topics/fixed").json().get("config").get("retentionMs").asLong()).isEqualTo(604_800_000L);
    }

    // ---------------------------------------------------------------- helpers

    private static JsonNode partition(String topic, int p) {
        return s.get("/v1/topics/" + topic).json().get("partitions").get(p);
    }

    /** Lines "line-<partition>-<n>" for n in [count of the partition so far, + n), into one partition, over HTTP. */
    private static void produceLines(String topic, int partition, int n) {
        long from = partition(topic, partition).get("highWatermark").asLong();
        StringBuilder sb = new StringBuilder("{\"records\":[");
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ",").append("{\"value\":\"job-").append(partition).append('-').append(from + i)
                    .append("\",\"partition\":").append(partition).append('}');
        }
        assertThat(s.post("/v1/topics/" + topic + "/records", sb.append("]}").toString()).status()).isEqualTo(200);
    }

    /** The data rows of kafka-consumer-groups' tables: whitespace-separated fields, header and notes dropped. */
    private static List<List<String>> rows(KafkaTool.Run run) {
        List<List<String>> out = new ArrayList<>();
        for (String line : run.lines()) {
            List<String> fields = List.of(line.strip().split("\\s+"));
            if (fields.size() >= 4 && !fields.getFirst().equals("GROUP") && fields.get(2).matches("\\d+")) {
                out.add(fields);
            }
        }
        return out;
    }
}
