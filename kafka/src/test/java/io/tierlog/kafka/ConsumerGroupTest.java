package io.tierlog.kafka;

import static io.tierlog.kafka.GroupConsumer.assertEachPartitionOwnedOnce;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.consumer.RoundRobinAssignor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Consumer groups with the real kafka-clients 4.1.2 consumer ({@code subscribe}) and admin client against the
 * listener over the in-memory backend: the client-side assignors relayed by the coordinator, rebalances on join,
 * leave and death, no record lost or processed twice across a graceful rebalance, static membership, and what a
 * KIP-848 consumer is told.
 */
class ConsumerGroupTest {

    private static final String TOPIC = "events";
    private static final int PARTITIONS = 6;
    /** {@link GroupConsumer#member}'s session timeout. */
    private static final Duration SESSION = Duration.ofMillis(2_000);

    private ListenerFixture fixture;
    private final List<GroupConsumer> running = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        // Kafka's defaults but a lower minimum session timeout and no initial delay, so tests run in seconds
        fixture = new ListenerFixture(new GroupConfig(500, 1_800_000, 0, 1_000));
        fixture.backend.createTopic(TOPIC, PARTITIONS);
    }

    @AfterEach
    void stop() throws Exception {
        for (GroupConsumer c : running) {
            c.close();
        }
        fixture.close();
    }

    private GroupConsumer member(String name, Properties props, GroupConsumer.Ownership ownership) {
        GroupConsumer c = new GroupConsumer(name, props, TOPIC, ownership, r -> { }, false);
        running.add(c);
        return c;
    }

    private static void awaitOwnership(List<GroupConsumer> members) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .untilAsserted(() -> assertEachPartitionOwnedOnce(TOPIC, PARTITIONS, members));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(classes = {RangeAssignor.class, RoundRobinAssignor.class, CooperativeStickyAssignor.class})
    void three_members_over_six_partitions_each_partition_owned_once_after_every_join_leave_and_kill(Class<?> assignor)
            throws Exception {
        GroupConsumer.Ownership ownership = new GroupConsumer.Ownership();
        Properties props = GroupConsumer.member(fixture.bootstrap(), "g-" + assignor.getSimpleName(), assignor.getName());
        GroupConsumer a = member("a", props, ownership);
        awaitOwnership(List.of(a));
        GroupConsumer b = member("b", props, ownership);
        awaitOwnership(List.of(a, b));
        GroupConsumer c = member("c", props, ownership);
        awaitOwnership(List.of(a, b, c));
        assertThat(List.of(a, b, c)).allSatisfy(m -> assertThat(m.owned()).hasSize(2));

        running.remove(b);
        b.close(); // LeaveGroup
        awaitOwnership(List.of(a, c));

        running.remove(c);
        long killed = System.nanoTime();
        c.kill(); // no LeaveGroup: only its silence tells the coordinator
        awaitOwnership(List.of(a));
        assertThat(Duration.ofNanos(System.nanoTime() - killed)).as("evicted after its session timeout, then a rebalance")
                .isLessThan(SESSION.plusSeconds(3));
        assertThat(ownership.violations()).as("no partition ever had two owners").isEmpty();
    }

    @Test
    void no_record_is_lost_or_processed_twice_across_a_graceful_rebalance_with_commits() throws Exception {
        int count = 3_000;
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(fixture.producer("lz4", "all"))) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(TOPIC, "k" + i, "record-" + i));
            }
        }
        Map<String, AtomicInteger> processed = new ConcurrentHashMap<>();
        AtomicInteger byA = new AtomicInteger();
        AtomicInteger byB = new AtomicInteger();
        GroupConsumer.Ownership ownership = new GroupConsumer.Ownership();
        Properties props = GroupConsumer.member(fixture.bootstrap(), "exactly-once-ish", RangeAssignor.class.getName());
        GroupConsumer a = new GroupConsumer("a", props, TOPIC, ownership, r -> {
            process(processed, r);
            byA.incrementAndGet();
        }, true);
        running.add(a);
        await().atMost(Duration.ofSeconds(30)).until(() -> byA.get() >= 500);

        GroupConsumer b = new GroupConsumer("b", props, TOPIC, ownership, r -> {
            process(processed, r);
            byB.incrementAndGet();
        }, true);
        running.add(b);
        awaitOwnership(List.of(a, b));
        running.remove(a);
        a.close(); // graceful: its last batch is committed, then LeaveGroup; b takes over from a's commits

        await().atMost(Duration.ofSeconds(60)).until(() -> processed.size() == count);
        running.remove(b);
        b.close();
        assertThat(processed).hasSize(count);
        assertThat(processed.entrySet()).filteredOn(e -> e.getValue().get() != 1).as("processed more than once").isEmpty();
        assertThat(byA.get()).as("a processed before and during the rebalance").isGreaterThanOrEqualTo(500);
        assertThat(byB.get()).as("b took over part of the stream").isPositive();
        assertThat(byA.get() + byB.get()).isEqualTo(count);
        long committed = fixture.backend.committedPlainOffsets("exactly-once-ish").get(TOPIC).values().stream()
                .mapToLong(Long::longValue).sum();
        assertThat(committed).as("the committed offsets cover every record").isEqualTo(count);
        assertThat(ownership.violations()).isEmpty();
    }

    /** Simulated work per record (not a synchronisation): keeps the stream going while the group rebalances. */
    private static void process(Map<String, AtomicInteger> processed, ConsumerRecord<String, String> r) {
        processed.computeIfAbsent(r.value(), v -> new AtomicInteger()).incrementAndGet();
        LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(300));
    }

    @Test
    void a_static_member_that_restarts_within_its_session_timeout_gets_its_partitions_back_without_a_rebalance()
            throws Exception {
        GroupConsumer.Ownership ownership = new GroupConsumer.Ownership();
        Properties base = GroupConsumer.member(fixture.bootstrap(), "static", RangeAssignor.class.getName());
        base.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "30000");
        Properties pa = new Properties();
        pa.putAll(base);
        pa.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "instance-a");
        Properties pb = new Properties();
        pb.putAll(base);
        pb.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "instance-b");
        GroupConsumer a = member("a", pa, ownership);
        awaitOwnership(List.of(a));
        GroupConsumer b = member("b", pb, ownership);
        awaitOwnership(List.of(a, b));
        Set<TopicPartition> ownedByA = a.owned();
        int bAssignments = b.assignments();

        running.remove(a);
        a.close(); // a static member does not leave the group on close
        GroupConsumer again = member("a-again", pa, ownership);
        awaitOwnership(List.of(again, b));
        assertThat(again.owned()).isEqualTo(ownedByA);
        assertThat(b.assignments()).as("b saw no rebalance").isEqualTo(bAssignments);
    }

    @Test
    void the_admin_client_lists_describes_reads_alters_and_deletes_groups() throws Exception {
        GroupConsumer.Ownership ownership = new GroupConsumer.Ownership();
        GroupConsumer a = member("a", GroupConsumer.member(fixture.bootstrap(), "my.app_v2", RangeAssignor.class.getName()),
                ownership);
        awaitOwnership(List.of(a));
        try (Admin admin = Admin.create(fixture.admin())) {
            Map<String, GroupListing> groups = new HashMap<>();
            admin.listGroups().all().get().forEach(g -> groups.put(g.groupId(), g));
            assertThat(groups).containsOnlyKeys("my.app_v2");
            assertThat(groups.get("my.app_v2").groupState()).contains(GroupState.STABLE);

            ConsumerGroupDescription d = admin.describeConsumerGroups(List.of("my.app_v2")).all().get().get("my.app_v2");
            assertThat(d.groupState()).isEqualTo(GroupState.STABLE);
            assertThat(d.partitionAssignor()).isEqualTo("range");
            assertThat(d.members()).singleElement().satisfies(m -> {
                assertThat(m.clientId()).isEqualTo("a");
                assertThat(m.assignment().topicPartitions()).hasSize(PARTITIONS);
            });

            assertThatThrownBy(() -> admin.deleteConsumerGroups(List.of("my.app_v2")).all().get())
                    .cause().isInstanceOf(GroupNotEmptyException.class);

            // OffsetDelete while a member is subscribed: its topic's offsets stay, another topic's go
            fixture.backend.createTopic("elsewhere", 1);
            TopicPartition subscribed = new TopicPartition(TOPIC, 0);
            TopicPartition other = new TopicPartition("elsewhere", 0);
            fixture.backend.commitPlainOffsets("my.app_v2", Map.of(TOPIC, Map.of(0, 5L), "elsewhere", Map.of(0, 7L)));
            var deletion = admin.deleteConsumerGroupOffsets("my.app_v2", Set.of(subscribed, other));
            assertThatThrownBy(() -> deletion.partitionResult(subscribed).get()).cause()
                    .isInstanceOf(org.apache.kafka.common.errors.GroupSubscribedToTopicException.class);
            deletion.partitionResult(other).get();
            assertThat(fixture.backend.committedPlainOffsets("my.app_v2")).containsOnlyKeys(TOPIC);
            assertThatThrownBy(() -> admin.deleteConsumerGroupOffsets("nobody", Set.of(other)).all().get()).cause()
                    .isInstanceOf(org.apache.kafka.common.errors.GroupIdNotFoundException.class);

            running.remove(a);
            a.close();
            admin.deleteConsumerGroupOffsets("my.app_v2", Set.of(subscribed)).all().get();
            assertThat(fixture.backend.committedPlainOffsets("my.app_v2").getOrDefault(TOPIC, new java.util.TreeMap<>()))
                    .as("no member left: deleted").doesNotContainKey(0);
            TopicPartition tp = new TopicPartition(TOPIC, 3);
            admin.alterConsumerGroupOffsets("my.app_v2", Map.of(tp, new OffsetAndMetadata(42))).all().get();
            assertThat(admin.listConsumerGroupOffsets("my.app_v2").partitionsToOffsetAndMetadata().get())
                    .containsEntry(tp, new OffsetAndMetadata(42, java.util.Optional.empty(), ""));
            assertThat(admin.describeConsumerGroups(List.of("my.app_v2")).all().get().get("my.app_v2").groupState())
                    .isEqualTo(GroupState.EMPTY);

            admin.deleteConsumerGroups(List.of("my.app_v2")).all().get();
            assertThat(fixture.backend.groupsWithCommittedOffsets()).isEmpty();
            assertThat(admin.listGroups().all().get()).isEmpty();
        }
    }

    @Test
    void a_kip_848_consumer_is_told_to_use_the_classic_protocol() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, fixture.bootstrap());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "new-protocol");
        p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, org.apache.kafka.common.serialization.StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, org.apache.kafka.common.serialization.StringDeserializer.class.getName());
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
            consumer.subscribe(List.of(TOPIC));
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            assertThatThrownBy(() -> {
                while (System.nanoTime() < deadline) {
                    consumer.poll(Duration.ofMillis(200));
                }
            }).isInstanceOf(UnsupportedVersionException.class)
                    .hasMessageContaining("The cluster does not support the new CONSUMER group protocol")
                    .hasMessageContaining("group.protocol=classic");
        }
    }

    @Test
    void committed_offsets_of_a_consumer_group_are_where_the_next_member_starts() throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(fixture.producer("none", "all"))) {
            for (int i = 0; i < 60; i++) {
                producer.send(new ProducerRecord<>(TOPIC, i % PARTITIONS, "k", "v" + i)).get();
            }
        } catch (ExecutionException e) {
            throw new AssertionError(e);
        }
        Properties props = GroupConsumer.member(fixture.bootstrap(), "resume", RangeAssignor.class.getName());
        AtomicInteger first = new AtomicInteger();
        GroupConsumer one = new GroupConsumer("one", props, TOPIC, new GroupConsumer.Ownership(), r -> first.incrementAndGet(), true);
        await().atMost(Duration.ofSeconds(30)).until(() -> first.get() == 60);
        one.close();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(fixture.producer("none", "all"))) {
            producer.send(new ProducerRecord<>(TOPIC, 0, "k", "after")).get();
        }
        List<String> second = new java.util.concurrent.CopyOnWriteArrayList<>();
        GroupConsumer two = new GroupConsumer("two", props, TOPIC, new GroupConsumer.Ownership(), r -> second.add(r.value()), true);
        running.add(two);
        await().atMost(Duration.ofSeconds(30)).until(() -> !second.isEmpty());
        assertThat(second).containsExactly("after");
    }
}
