package io.tierlog.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A kafka-clients consumer in a group ({@code subscribe}) on its own thread, as an application runs one: it polls,
 * hands each record to a processor, optionally commits synchronously after each batch, and publishes the partitions
 * it owns (from its rebalance listener) to an {@link Ownership} shared by the group's members. Stopped by leaving the
 * group ({@link #close()}) or by dying without a word ({@link #kill()}: no LeaveGroup, heartbeats stop). For the group
 * tests of this module and of the server's.
 */
public final class GroupConsumer implements AutoCloseable {

    /** Who owns which partition right now, across the members of one group; records any moment of double ownership. */
    public static final class Ownership {
        private final Map<TopicPartition, String> owners = new ConcurrentHashMap<>();
        private final List<String> violations = new CopyOnWriteArrayList<>();

        void assigned(String member, Collection<TopicPartition> partitions) {
            for (TopicPartition tp : partitions) {
                String before = owners.putIfAbsent(tp, member);
                if (before != null && !before.equals(member)) {
                    violations.add(tp + " assigned to " + member + " while " + before + " still owned it");
                }
            }
        }

        void released(String member, Collection<TopicPartition> partitions) {
            partitions.forEach(tp -> owners.remove(tp, member));
        }

        void releasedAll(String member) {
            owners.values().removeIf(member::equals);
        }

        /** Every moment two members owned one partition (none is the only right answer). */
        public List<String> violations() {
            return List.copyOf(violations);
        }
    }

    private final String name;
    private final Ownership ownership;
    private final CountDownLatch ended = new CountDownLatch(1);
    private final AtomicInteger assignments = new AtomicInteger();
    private volatile Set<TopicPartition> owned = Set.of();
    private volatile boolean leave;
    private volatile boolean kill;
    private volatile Throwable failure;
    /** Whether a CommitFailedException is taken as an application does (the batch will come again) or ends the loop. */
    private volatile boolean tolerateCommitFailures;
    private final AtomicInteger uncommittedRecords = new AtomicInteger();

    /**
     * Starts polling {@code topic} in the group of {@code props}; {@code process} sees every record (on the poll
     * thread) and, with {@code commitAfterEachBatch}, a batch is committed with commitSync before the next poll.
     */
    public GroupConsumer(String name, Properties props, String topic, Ownership ownership,
                         Consumer<ConsumerRecord<String, String>> process, boolean commitAfterEachBatch) {
        this.name = name;
        this.ownership = ownership;
        Properties p = new Properties();
        p.putAll(props);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, name);
        p.putIfAbsent(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.putIfAbsent(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.putIfAbsent(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        Thread.ofPlatform().name("group-consumer-" + name).daemon().start(() -> run(p, topic, process,
                commitAfterEachBatch));
    }

    /** Consumer properties of a group member: the assignor, short session and poll timeouts for tests. */
    public static Properties member(String bootstrap, String group, String assignor) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, assignor);
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "2000");
        p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "300");
        p.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, "15000");
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
        p.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "100");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "50");
        return p;
    }

    private void run(Properties props, String topic, Consumer<ConsumerRecord<String, String>> process, boolean commit) {
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(props)) {
            c.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    change(partitions, false);
                }

                @Override
                public void onPartitionsLost(Collection<TopicPartition> partitions) {
                    change(partitions, false);
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    assignments.incrementAndGet();
                    change(partitions, true);
                }
            });
            while (!leave && !kill) {
                // stopping is only seen between batches: a batch is always processed and committed whole
                ConsumerRecords<String, String> records = c.poll(Duration.ofMillis(100));
                for (ConsumerRecord<String, String> r : records) {
                    process.accept(r);
                }
                if (commit && !records.isEmpty()) {
                    try {
                        c.commitSync();
                    } catch (org.apache.kafka.clients.consumer.CommitFailedException e) {
                        // what an application meets when its group was rebalanced under it (e.g. the coordinator
                        // restarted and forgot the member): the batch is redelivered after the rejoin
                        if (!tolerateCommitFailures) {
                            throw e;
                        }
                        uncommittedRecords.addAndGet(records.count());
                    }
                }
            }
            if (kill) {
                ownership.releasedAll(name); // it stops consuming now; the group learns only by its silence
                owned = Set.of();
                c.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP)
                        .withTimeout(Duration.ZERO));
            }
        } catch (Throwable t) {
            failure = t;
        } finally {
            ownership.releasedAll(name);
            owned = Set.of();
            ended.countDown();
        }
    }

    private void change(Collection<TopicPartition> partitions, boolean added) {
        Set<TopicPartition> next = new HashSet<>(owned);
        if (added) {
            ownership.assigned(name, partitions);
            next.addAll(partitions);
        } else {
            ownership.released(name, partitions);
            next.removeAll(partitions);
        }
        owned = Set.copyOf(next);
    }

    public String name() {
        return name;
    }

    /** The partitions it owns now (as its rebalance listener last said). */
    public Set<TopicPartition> owned() {
        return owned;
    }

    /** How many times partitions were assigned to it (a rebalance it took part in). */
    public int assignments() {
        return assignments.get();
    }

    /**
     * From now on a failed commit (CommitFailedException) is tolerated, as applications must: the batch is
     * redelivered; {@link #uncommittedRecords()} counts the records of such batches.
     */
    public GroupConsumer tolerateCommitFailures() {
        tolerateCommitFailures = true;
        return this;
    }

    /** Records processed in batches whose commit failed (they may be processed again). */
    public int uncommittedRecords() {
        return uncommittedRecords.get();
    }

    /** The failure that ended its poll loop, or null. */
    public Throwable failure() {
        return failure;
    }

    /** Leaves the group (LeaveGroup, as KafkaConsumer.close does) and waits until it has. */
    @Override
    public void close() throws InterruptedException {
        leave = true;
        awaitEnd();
    }

    /** Stops dead: the consumer closes without leaving the group, so only its session timeout removes it. */
    public void kill() throws InterruptedException {
        kill = true;
        awaitEnd();
    }

    private void awaitEnd() throws InterruptedException {
        assertThat(ended.await(30, TimeUnit.SECONDS)).as(name + " stopped").isTrue();
        assertThat(failure).as(name + "'s poll loop").isNull();
    }

    /** Asserts that the members together own each of the topic's partitions exactly once, and each owns some. */
    public static void assertEachPartitionOwnedOnce(String topic, int partitions, List<GroupConsumer> members) {
        List<TopicPartition> all = new ArrayList<>();
        for (GroupConsumer m : members) {
            assertThat(m.failure()).as(m.name() + "'s poll loop").isNull();
            assertThat(m.owned()).as(m.name() + " owns some partitions").isNotEmpty();
            all.addAll(m.owned());
        }
        List<TopicPartition> expected = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            expected.add(new TopicPartition(topic, p));
        }
        assertThat(all).as("the members' partitions").containsExactlyInAnyOrderElementsOf(expected);
    }
}
