package io.tierlog.server;

import io.tierlog.kafka.GroupConsumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.tierlog.kafka.GroupConsumer.assertEachPartitionOwnedOnce;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Kafka consumer groups against a whole server: the classic protocol's rebalances over six partitions with the
 * Java client's default assignors, committed offsets that survive a restart (while the group's members rejoin),
 * and one offsets store seen from both doors.
 */
class KafkaGroupsTest {
    private static final String TOPIC = "orders";
    private static final int PARTITIONS = 6;
    /** Kafka 4's default partition.assignment.strategy. */
    private static final String DEFAULT_ASSIGNORS = RangeAssignor.class.getName() + "," + CooperativeStickyAssignor.class.getName();
    /** The members' session timeout (GroupConsumer.member) is below Kafka's default minimum. */
    private static final Map<String, String> FLAGS = Map.of("kafka.group.min.session.timeout.ms", "1000");

    @TempDir
    Path dir;
    private ServerHarness s;
    private final List<GroupConsumer> running = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (GroupConsumer c : running) {
            c.close();
        }
        if (s != null) {
            s.close();
        }
    }

    private String bootstrap() {
        return "127.0.0.1:" + s.server.kafkaPort();
    }

    private Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "20000", AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000"));
    }

    private void produce(int from, int to) throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "20000");
        List<java.util.concurrent.Future<?>> acks = new ArrayList<>();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            for (int i = from; i < to; i++) {
                acks.add(producer.send(new ProducerRecord<>(TOPIC, "k" + i, "record-" + i)));
            }
        }
        for (var ack : acks) {
            ack.get(20, TimeUnit.SECONDS);
        }
    }

    private GroupConsumer member(String name, Properties props, GroupConsumer.Ownership ownership,
                                 java.util.function.Consumer<ConsumerRecord<String, String>> process, boolean commit) {
        GroupConsumer c = new GroupConsumer(name, props, TOPIC, ownership, process, commit);
        running.add(c);
        return c;
    }

    private static void awaitOwnership(List<GroupConsumer> members) {
        await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(50))
                .untilAsserted(() -> assertEachPartitionOwnedOnce(TOPIC, PARTITIONS, members));
    }

    @Test
    void threeConsumersOverSixPartitionsOwnEachPartitionOnceAfterEveryJoinLeaveAndKill() throws Exception {
        s = new ServerHarness(dir, FLAGS); // with Kafka's 3 s initial rebalance delay
        s.createTopic(TOPIC, PARTITIONS, "{\"schema\":\"bytes\"}");
        produce(0, 600);
        Map<String, AtomicInteger> processed = new ConcurrentHashMap<>();
        GroupConsumer.Ownership ownership = new GroupConsumer.Ownership();
        Properties props = GroupConsumer.member(bootstrap(), "console-consumer-12345", DEFAULT_ASSIGNORS);
        java.util.function.Consumer<ConsumerRecord<String, String>> count =
                r -> processed.computeIfAbsent(r.value(), v -> new AtomicInteger()).incrementAndGet();

        GroupConsumer a = member("a", props, ownership, count, true);
        awaitOwnership(List.of(a));
        GroupConsumer b = member("b", props, ownership, count, true);
        awaitOwnership(List.of(a, b));
        GroupConsumer c = member("c", props, ownership, count, true);
        awaitOwnership(List.of(a, b, c));
        assertThat(List.of(a, b, c)).allSatisfy(m -> assertThat(m.owned()).hasSize(2));
        produce(600, 900);

        running.remove(b);
        b.close();
        awaitOwnership(List.of(a, c));
        produce(900, 1200);

        running.remove(c);
        c.kill();
        awaitOwnership(List.of(a));
        produce(1200, 1500);
        await().atMost(Duration.ofSeconds(30)).until(() -> processed.size() == 1500);
        assertThat(ownership.violations()).as("no partition ever had two owners").isEmpty();
        // c was killed between batches, after committing: nothing it processed is processed again
        assertThat(processed.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
    }

    @Test
    void committedOffsetsSurviveARestartAndTheGroupsMembersRejoinAndResumeFromThem() throws Exception {
        s = new ServerHarness(dir, FLAGS);
        int kafkaPort = s.server.kafkaPort();
        s.createTopic(TOPIC, PARTITIONS, "{\"schema\":\"bytes\"}");
        produce(0, 300);
        Map<String, AtomicInteger> processed = new ConcurrentHashMap<>();
        Properties props = GroupConsumer.member(bootstrap(), "wordcount-app", DEFAULT_ASSIGNORS);
        props.put(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "200");
        GroupConsumer a = member("a", props, new GroupConsumer.Ownership(),
                r -> processed.computeIfAbsent(r.value(), v -> new AtomicInteger()).incrementAndGet(), true)
                .tolerateCommitFailures();
        await().atMost(Duration.ofSeconds(30)).until(() -> processed.size() == 300);
        Map<TopicPartition, OffsetAndMetadata> before;
        try (Admin admin = admin()) {
            before = admin.listConsumerGroupOffsets("wordcount-app").partitionsToOffsetAndMetadata().get(20, TimeUnit.SECONDS);
        }
        assertThat(before.values().stream().mapToLong(OffsetAndMetadata::offset).sum()).isEqualTo(300);

        s.close();
        s = new ServerHarness(dir, Map.of("kafka.group.min.session.timeout.ms", "1000", "kafka.port", Integer.toString(kafkaPort)));
        try (Admin admin = admin()) {
            assertThat(admin.listConsumerGroupOffsets("wordcount-app").partitionsToOffsetAndMetadata().get(20, TimeUnit.SECONDS))
                    .as("the committed offsets after the restart").isEqualTo(before);
        }
        // the member that ran through the restart rejoins (its group was in memory only) and goes on from its commits
        produce(300, 400);
        await().atMost(Duration.ofSeconds(60)).until(() -> processed.size() == 400);
        // the member may fetch with its old assignment before its heartbeat learns that the group is gone (the fetch
        // path does not check membership, as in Kafka): it loses and gets back its partitions on its own schedule
        await().atMost(Duration.ofSeconds(60)).until(() -> a.owned().size() == PARTITIONS);
        // the group's membership is in memory only: after the restart the member is unknown, and a commit made before
        // its rejoin fails client-side (CommitFailedException), as after any rebalance; those records may come again,
        // nothing else does, and nothing is lost
        long again = processed.values().stream().mapToInt(n -> n.get() - 1).sum();
        assertThat(again).isLessThanOrEqualTo(a.uncommittedRecords());
    }

    @Test
    void commitMetadataSurvivesARestartAndAnHttpCommitClearsIt() throws Exception {
        s = new ServerHarness(dir, FLAGS);
        int kafkaPort = s.server.kafkaPort();
        s.createTopic(TOPIC, 2, "{\"schema\":\"bytes\"}");
        // what Kafka Streams commits: its partition time, base64, in the metadata (and anything else a client wants)
        Map<TopicPartition, OffsetAndMetadata> committed = Map.of(
                new TopicPartition(TOPIC, 0), new OffsetAndMetadata(0, "AQAAAZc3ahQ9"),
                new TopicPartition(TOPIC, 1), new OffsetAndMetadata(0, "line\nbreak\ttab \\ \u00e9"));
        try (Admin admin = admin()) {
            admin.alterConsumerGroupOffsets("streams-app", committed).all().get(20, TimeUnit.SECONDS);
        }
        s.close();
        s = new ServerHarness(dir, Map.of("kafka.port", Integer.toString(kafkaPort)));
        try (Admin admin = admin()) {
            assertThat(admin.listConsumerGroupOffsets("streams-app").partitionsToOffsetAndMetadata().get(20, TimeUnit.SECONDS))
                    .as("offsets and metadata after a restart").isEqualTo(committed);
            assertThat(s.put("/v1/groups/streams-app/offsets", "{\"topic\":\"" + TOPIC + "\",\"offsets\":[{\"partition\":0,\"offset\":7}]}")
                    .status()).isEqualTo(204);
            assertThat(admin.listConsumerGroupOffsets("streams-app").partitionsToOffsetAndMetadata().get(20, TimeUnit.SECONDS))
                    .as("an HTTP commit carries no metadata").isEqualTo(Map.of(
                            new TopicPartition(TOPIC, 0), new OffsetAndMetadata(7, java.util.Optional.empty(), ""),
                            new TopicPartition(TOPIC, 1), committed.get(new TopicPartition(TOPIC, 1))));
        }
    }

    @Test
    void bothDoorsSeeOneOffsetsStore() throws Exception {
        s = new ServerHarness(dir, FLAGS);
        s.createTopic(TOPIC, PARTITIONS, "{\"schema\":\"bytes\"}");
        produce(0, 60);
        String group = "connect-my connector"; // a Kafka group id outside the old [a-zA-Z0-9._-] rule
        String path = "/v1/groups/" + URLEncoder.encode(group, StandardCharsets.UTF_8).replace("+", "%20") + "/offsets";
        AtomicInteger seen = new AtomicInteger();
        GroupConsumer a = member("a", GroupConsumer.member(bootstrap(), group, DEFAULT_ASSIGNORS), new GroupConsumer.Ownership(),
                r -> seen.incrementAndGet(), true);
        await().atMost(Duration.ofSeconds(30)).until(() -> seen.get() == 60);
        running.remove(a);
        a.close();

        // Kafka's commits through HTTP
        ServerHarness.Resp r = s.get(path + "?topic=" + TOPIC);
        assertThat(r.status()).isEqualTo(200);
        long sum = 0;
        for (var o : r.json().get("offsets")) {
            sum += o.get("offset").asLong();
        }
        assertThat(sum).isEqualTo(60);

        // an HTTP commit through Kafka
        assertThat(s.put(path, "{\"topic\":\"" + TOPIC + "\",\"offsets\":[{\"partition\":4,\"offset\":1234}]}").status())
                .isEqualTo(204);
        try (Admin admin = admin()) {
            assertThat(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(20, TimeUnit.SECONDS))
                    .containsEntry(new TopicPartition(TOPIC, 4), new OffsetAndMetadata(1234, java.util.Optional.empty(), ""));
            assertThat(admin.listGroups().all().get(20, TimeUnit.SECONDS)).extracting(g -> g.groupId()).contains(group);

            // a deleted topic's offsets go with it: the topic created again starts without them
            admin.deleteTopics(List.of(TOPIC)).all().get(20, TimeUnit.SECONDS);
            admin.createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 1))).all().get(20, TimeUnit.SECONDS);
            assertThat(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(20, TimeUnit.SECONDS)).isEmpty();
            assertThat(s.get(path + "?topic=" + TOPIC).json().get("offsets")).isEmpty();
        }
    }
}
