package io.tierlog.kafka;

import static io.tierlog.kafka.GroupRequests.commit;
import static io.tierlog.kafka.GroupRequests.heartbeat;
import static io.tierlog.kafka.GroupRequests.join;
import static io.tierlog.kafka.GroupRequests.sync;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.DeleteGroupsResponse;
import org.apache.kafka.common.requests.DescribeGroupsResponse;
import org.apache.kafka.common.requests.FindCoordinatorRequest;
import org.apache.kafka.common.requests.FindCoordinatorResponse;
import org.apache.kafka.common.requests.HeartbeatResponse;
import org.apache.kafka.common.requests.JoinGroupRequest;
import org.apache.kafka.common.requests.JoinGroupResponse;
import org.apache.kafka.common.requests.LeaveGroupResponse;
import org.apache.kafka.common.requests.ListGroupsResponse;
import org.apache.kafka.common.requests.OffsetCommitResponse;
import org.apache.kafka.common.requests.OffsetFetchResponse;
import org.apache.kafka.common.requests.SyncGroupResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The classic group protocol in raw frames: the error codes Kafka answers for members that are unknown, fenced, of
 * an older generation or rebalancing, for bad input, and the long-polling JoinGroup. Session timeouts here are
 * short (the coordinator's minimum is lowered) and the first rebalance is not delayed.
 */
class GroupProtocolTest {

    private static final int SESSION_MS = 1_000;
    private static final String TOPIC = "orders";

    private ListenerFixture fixture;

    @BeforeEach
    void start() throws Exception {
        fixture = new ListenerFixture(new GroupConfig(100, 60_000, 0, 3));
        fixture.backend.createTopic(TOPIC, 6);
    }

    @AfterEach
    void stop() throws Exception {
        fixture.close();
    }

    /** One member on its own connection (as each Java consumer has its own coordinator connection). */
    private final class Member implements AutoCloseable {
        final RawClient client;
        String id = "";
        int generation = -1;
        private int correlation;

        Member() throws IOException {
            client = new RawClient(fixture.listener.port());
        }

        <R extends AbstractResponse> R send(AbstractRequest request, Class<R> type) throws IOException {
            return client.roundTrip(request, ++correlation, type);
        }

        /** JoinGroup v9 as the Java client does it: MEMBER_ID_REQUIRED first, then again with the given id. */
        JoinGroupResponse join(String group, int sessionMs) throws IOException {
            JoinGroupResponse first = send(GroupRequests.join(group, id, sessionMs), JoinGroupResponse.class);
            if (first.error() == Errors.MEMBER_ID_REQUIRED) {
                id = first.data().memberId();
                first = send(GroupRequests.join(group, id, sessionMs), JoinGroupResponse.class);
            }
            if (first.error() == Errors.NONE) {
                generation = first.data().generationId();
            }
            return first;
        }

        CompletableFuture<JoinGroupResponse> joinAsync(String group, int sessionMs) {
            return CompletableFuture.supplyAsync(() -> {
                try {
                    return join(group, sessionMs);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, Executors.newVirtualThreadPerTaskExecutor());
        }

        SyncGroupResponse sync(String group, Map<String, byte[]> assignments) throws IOException {
            return send(GroupRequests.sync(group, id, null, generation, assignments), SyncGroupResponse.class);
        }

        Errors heartbeat(String group) throws IOException {
            return send(GroupRequests.heartbeat(group, id, null, generation), HeartbeatResponse.class).error();
        }

        Errors commit(String group, int generation, long offset) throws IOException {
            OffsetCommitResponse r = send(GroupRequests.commit(group, id, generation, TOPIC, Map.of(0, offset), null),
                    OffsetCommitResponse.class);
            return Errors.forCode(r.data().topics().getFirst().partitions().getFirst().errorCode());
        }

        @Override
        public void close() throws IOException {
            client.close();
        }
    }

    private long committed(Member m, String group, int partition) throws IOException {
        OffsetFetchResponse r = m.send(GroupRequests.fetchOffsets((short) 9, TOPIC, List.of(partition), group), OffsetFetchResponse.class);
        return r.data().groups().getFirst().topics().getFirst().partitions().getFirst().committedOffset();
    }

    @Test
    void a_lone_member_joins_syncs_heartbeats_commits_and_leaves() throws Exception {
        try (Member a = new Member()) {
            JoinGroupResponse first = a.send(join("g", "", SESSION_MS), JoinGroupResponse.class);
            assertThat(first.error()).as("KIP-394: a new member gets its id first").isEqualTo(Errors.MEMBER_ID_REQUIRED);
            assertThat(first.data().memberId()).startsWith("raw-test-");
            a.id = first.data().memberId();
            JoinGroupResponse joined = a.send(join("g", a.id, SESSION_MS), JoinGroupResponse.class);
            assertThat(joined.error()).isEqualTo(Errors.NONE);
            assertThat(joined.data().generationId()).isEqualTo(1);
            assertThat(joined.data().leader()).isEqualTo(a.id);
            assertThat(joined.data().protocolType()).isEqualTo("consumer");
            assertThat(joined.data().protocolName()).isEqualTo("range");
            assertThat(joined.data().members()).extracting(m -> m.memberId()).containsExactly(a.id);
            assertThat(joined.data().members().getFirst().metadata()).containsExactly(1, 2, 3);
            a.generation = 1;

            SyncGroupResponse synced = a.sync("g", Map.of(a.id, new byte[] {42}));
            assertThat(synced.error()).isEqualTo(Errors.NONE);
            assertThat(synced.data().assignment()).containsExactly(42);
            assertThat(a.heartbeat("g")).isEqualTo(Errors.NONE);
            assertThat(a.commit("g", 1, 17)).isEqualTo(Errors.NONE);
            assertThat(committed(a, "g", 0)).isEqualTo(17);
            assertThat(committed(a, "g", 1)).as("never committed").isEqualTo(-1);
            assertThat(fixture.backend.committedPlainOffsets("g")).containsOnlyKeys(TOPIC);

            LeaveGroupResponse left = a.send(GroupRequests.leave((short) 5, "g", a.id, null), LeaveGroupResponse.class);
            assertThat(left.error()).isEqualTo(Errors.NONE);
            assertThat(a.heartbeat("g")).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
            assertThat(fixture.listener.groupCoordinator().groupsInMemory()).as("an empty group is forgotten").isZero();
            assertThat(committed(a, "g", 0)).as("its offsets are not").isEqualTo(17);
        }
    }

    @Test
    void a_stale_member_is_fenced_with_unknown_member_illegal_generation_and_rebalance_in_progress() throws Exception {
        try (Member a = new Member(); Member b = new Member(); Member stranger = new Member()) {
            a.join("g", SESSION_MS);
            assertThat(a.sync("g", Map.of(a.id, new byte[] {1})).error()).isEqualTo(Errors.NONE);
            int gen1 = a.generation;

            stranger.id = "nobody";
            stranger.generation = gen1;
            assertThat(stranger.heartbeat("g")).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
            assertThat(stranger.sync("g", Map.of()).error()).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
            assertThat(stranger.commit("g", gen1, 5)).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
            assertThat(a.send(heartbeat("g", a.id, null, gen1 + 7), HeartbeatResponse.class).error()).isEqualTo(Errors.ILLEGAL_GENERATION);
            assertThat(a.commit("g", gen1 - 1, 5)).isEqualTo(Errors.ILLEGAL_GENERATION);
            assertThat(a.send(commit("g", "", -1, TOPIC, Map.of(0, 5L), null), OffsetCommitResponse.class).data().topics()
                    .getFirst().partitions().getFirst().errorCode()).as("a simple commit into a group with members")
                    .isEqualTo(Errors.UNKNOWN_MEMBER_ID.code());
            assertThat(a.commit("g", -1, 5)).as("a member without its generation").isEqualTo(Errors.ILLEGAL_GENERATION);

            // b's JoinGroup is held until a rejoins; a's heartbeat on its own connection is answered meanwhile
            CompletableFuture<JoinGroupResponse> bJoined = b.joinAsync("g", SESSION_MS);
            await().atMost(Duration.ofSeconds(5)).until(() -> a.heartbeat("g") == Errors.REBALANCE_IN_PROGRESS);
            assertThat(bJoined).isNotDone();
            assertThat(a.commit("g", gen1, 6)).as("the old generation may commit until it rejoins").isEqualTo(Errors.NONE);

            JoinGroupResponse aJoined = a.join("g", SESSION_MS);
            JoinGroupResponse bAnswer = bJoined.get(5, TimeUnit.SECONDS);
            assertThat(aJoined.error()).isEqualTo(Errors.NONE);
            assertThat(bAnswer.error()).isEqualTo(Errors.NONE);
            int gen2 = aJoined.data().generationId();
            assertThat(gen2).isEqualTo(gen1 + 1).isEqualTo(bAnswer.data().generationId());
            assertThat(aJoined.data().leader()).as("the leader stays").isEqualTo(a.id);
            assertThat(aJoined.data().members()).hasSize(2);
            assertThat(bAnswer.data().members()).as("only the leader sees the members").isEmpty();

            // between the JoinGroup answers and the leader's SyncGroup: commits wait for the assignment
            assertThat(b.commit("g", gen2, 7)).isEqualTo(Errors.REBALANCE_IN_PROGRESS);
            assertThat(a.commit("g", gen1, 7)).isEqualTo(Errors.ILLEGAL_GENERATION);
            assertThat(a.send(GroupRequests.sync("g", a.id, null, gen1, Map.of()), SyncGroupResponse.class).error())
                    .isEqualTo(Errors.ILLEGAL_GENERATION);

            CompletableFuture<SyncGroupResponse> bSynced = CompletableFuture.supplyAsync(() -> {
                try {
                    return b.sync("g", Map.of());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, Executors.newVirtualThreadPerTaskExecutor());
            assertThat(a.sync("g", Map.of(a.id, new byte[] {1}, b.id, new byte[] {2})).data().assignment()).containsExactly(1);
            assertThat(bSynced.get(5, TimeUnit.SECONDS).data().assignment()).as("relayed as the leader sent it").containsExactly(2);
            assertThat(b.commit("g", gen2, 8)).isEqualTo(Errors.NONE);
            assertThat(committed(a, "g", 0)).isEqualTo(8);
        }
    }

    @Test
    void a_member_that_stops_heartbeating_is_removed_within_its_session_timeout_and_the_others_rebalance()
            throws Exception {
        try (Member a = new Member(); Member silent = new Member()) {
            a.join("g", 5_000);
            a.sync("g", Map.of(a.id, new byte[] {1}));
            CompletableFuture<JoinGroupResponse> silentJoined = silent.joinAsync("g", SESSION_MS);
            await().atMost(Duration.ofSeconds(5)).until(() -> a.heartbeat("g") == Errors.REBALANCE_IN_PROGRESS);
            a.join("g", 5_000);
            silentJoined.get(5, TimeUnit.SECONDS);
            assertThat(a.sync("g", Map.of(a.id, new byte[] {1}, silent.id, new byte[] {2})).error()).isEqualTo(Errors.NONE);
            long silentSince = System.nanoTime();
            assertThat(silent.sync("g", Map.of()).data().assignment()).containsExactly(2);

            // from here on only a heartbeats; the silent member is out once its session timeout passes
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                    .until(() -> a.heartbeat("g") == Errors.REBALANCE_IN_PROGRESS);
            Duration evictedAfter = Duration.ofNanos(System.nanoTime() - silentSince);
            assertThat(evictedAfter).isGreaterThanOrEqualTo(Duration.ofMillis(SESSION_MS - 100))
                    .isLessThan(Duration.ofMillis(SESSION_MS + 1_000));
            JoinGroupResponse alone = a.join("g", 5_000);
            assertThat(alone.error()).isEqualTo(Errors.NONE);
            assertThat(alone.data().members()).extracting(m -> m.memberId()).containsExactly(a.id);
            assertThat(silent.heartbeat("g")).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
        }
    }

    @Test
    void a_member_that_does_not_rejoin_within_the_rebalance_timeout_is_removed() throws Exception {
        try (Member a = new Member(); Member b = new Member(); Member c = new Member()) {
            a.join("g", SESSION_MS);
            a.sync("g", Map.of());
            CompletableFuture<JoinGroupResponse> bJoined = b.joinAsync("g", SESSION_MS);
            await().atMost(Duration.ofSeconds(5)).until(() -> a.heartbeat("g") == Errors.REBALANCE_IN_PROGRESS);
            // a keeps heartbeating but never rejoins: the rebalance ends at its rebalance timeout without it
            long start = System.nanoTime();
            JoinGroupResponse bAnswer = bJoined.get(5, TimeUnit.SECONDS);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(SESSION_MS + 1_000));
            assertThat(bAnswer.error()).isEqualTo(Errors.NONE);
            assertThat(bAnswer.data().leader()).as("a new leader").isEqualTo(b.id);
            assertThat(bAnswer.data().members()).extracting(m -> m.memberId()).containsExactly(b.id);
            assertThat(a.heartbeat("g")).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
            assertThat(c.heartbeat("g")).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
        }
    }

    @Test
    void bad_join_requests_get_kafka_error_codes_and_leave_nothing_behind() throws Exception {
        try (Member m = new Member()) {
            assertThat(m.send(join("g", "", 99), JoinGroupResponse.class).error()).isEqualTo(Errors.INVALID_SESSION_TIMEOUT);
            assertThat(m.send(join("g", "", 60_001), JoinGroupResponse.class).error()).isEqualTo(Errors.INVALID_SESSION_TIMEOUT);
            assertThat(m.send(join((short) 9, "g", "", null, SESSION_MS, "", "range", new byte[0]), JoinGroupResponse.class)
                    .error()).isEqualTo(Errors.INCONSISTENT_GROUP_PROTOCOL);
            assertThat(m.send(join("", "", SESSION_MS), JoinGroupResponse.class).error()).isEqualTo(Errors.INVALID_GROUP_ID);
            assertThat(m.send(join("bad\ngroup", "", SESSION_MS), JoinGroupResponse.class).error()).isEqualTo(Errors.INVALID_GROUP_ID);
            byte[] huge = new byte[GroupCoordinator.MAX_METADATA_BYTES + 1];
            assertThat(m.send(join((short) 9, "g", "", null, SESSION_MS, "consumer", "range", huge), JoinGroupResponse.class)
                    .error()).as("oversized protocol metadata").isEqualTo(Errors.INVALID_REQUEST);
            assertThat(m.send(join("g", "made-up-member", SESSION_MS), JoinGroupResponse.class).error())
                    .isEqualTo(Errors.UNKNOWN_MEMBER_ID);
            assertThat(fixture.listener.groupCoordinator().groupsInMemory()).isZero();

            m.join("g", SESSION_MS);
            assertThat(m.send(join((short) 9, "g", "", null, SESSION_MS, "connect", "range", new byte[0]), JoinGroupResponse.class)
                    .error()).as("another protocol type").isEqualTo(Errors.INCONSISTENT_GROUP_PROTOCOL);
            assertThat(m.send(join((short) 9, "g", "", null, SESSION_MS, "consumer", "roundrobin", new byte[0]),
                    JoinGroupResponse.class).error()).as("no protocol in common").isEqualTo(Errors.INCONSISTENT_GROUP_PROTOCOL);
            assertThat(m.send(GroupRequests.sync("g", m.id, null, m.generation, Map.of(m.id, huge)), SyncGroupResponse.class)
                    .error()).as("an oversized assignment").isEqualTo(Errors.INVALID_REQUEST);
        }
    }

    @Test
    void a_group_holds_at_most_its_configured_number_of_members() throws Exception {
        try (Member a = new Member(); Member b = new Member(); Member c = new Member(); Member d = new Member()) {
            for (Member m : List.of(a, b, c)) {
                assertThat(m.send(join("g", "", SESSION_MS), JoinGroupResponse.class).error()).isEqualTo(Errors.MEMBER_ID_REQUIRED);
            }
            assertThat(d.send(join("g", "", SESSION_MS), JoinGroupResponse.class).error()).isEqualTo(Errors.GROUP_MAX_SIZE_REACHED);
        }
    }

    @Test
    void commits_are_checked_per_partition_and_metadata_is_bounded_and_kept() throws Exception {
        try (Member m = new Member()) {
            OffsetCommitResponse r = m.send(commit("simple", "", -1, TOPIC, Map.of(0, 10L, 6, 1L), "x".repeat(4096)),
                    OffsetCommitResponse.class);
            Map<Integer, Errors> errors = new java.util.TreeMap<>();
            r.data().topics().getFirst().partitions().forEach(p -> errors.put(p.partitionIndex(), Errors.forCode(p.errorCode())));
            assertThat(errors).containsExactly(Map.entry(0, Errors.NONE), Map.entry(6, Errors.UNKNOWN_TOPIC_OR_PARTITION));
            assertThat(m.send(commit("simple", "", -1, "nowhere", Map.of(0, 1L), null), OffsetCommitResponse.class)
                    .data().topics().getFirst().partitions().getFirst().errorCode()).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
            assertThat(m.send(commit("simple", "", -1, TOPIC, Map.of(1, 1L), "x".repeat(4097)), OffsetCommitResponse.class)
                    .data().topics().getFirst().partitions().getFirst().errorCode()).isEqualTo(Errors.OFFSET_METADATA_TOO_LARGE.code());
            assertThat(m.send(commit("", "", -1, TOPIC, Map.of(1, 1L), null), OffsetCommitResponse.class)
                    .data().topics().getFirst().partitions().getFirst().errorCode()).isEqualTo(Errors.INVALID_GROUP_ID.code());
            assertThat(m.send(commit("nobody-here", "m-1", 3, TOPIC, Map.of(1, 1L), null), OffsetCommitResponse.class)
                    .data().topics().getFirst().partitions().getFirst().errorCode())
                    .as("a member of a group lost in a restart: kept, nobody else can own its partitions")
                    .isEqualTo(Errors.NONE.code());

            OffsetFetchResponse fetched = m.send(GroupRequests.fetchOffsets((short) 9, TOPIC, null, "simple"), OffsetFetchResponse.class);
            var p = fetched.data().groups().getFirst().topics().getFirst().partitions();
            assertThat(p).hasSize(1);
            assertThat(p.getFirst().committedOffset()).isEqualTo(10);
            assertThat(p.getFirst().metadata()).as("commit metadata is kept").isEqualTo("x".repeat(4096));
            assertThat(fixture.backend.committedPlainOffsets("simple")).isEqualTo(Map.of(TOPIC, new java.util.TreeMap<>(Map.of(0, 10L))));
        }
    }

    @ParameterizedTest(name = "OffsetFetch v{0}")
    @ValueSource(shorts = {1, 2, 7, 8, 9})
    void offset_fetch_answers_old_and_new_versions_and_minus_one_for_deleted_topics(short version) throws Exception {
        fixture.backend.commitPlainOffsets("g1", Map.of(TOPIC, Map.of(2, 22L)));
        fixture.backend.createTopic("doomed", 1);
        fixture.backend.commitPlainOffsets("g1", Map.of("doomed", Map.of(0, 5L)));
        fixture.backend.deleteTopic("doomed");
        try (Member m = new Member()) {
            OffsetFetchResponse r = m.send(GroupRequests.fetchOffsets(version, TOPIC, List.of(2, 3), "g1"), OffsetFetchResponse.class);
            assertThat(offsets(r, "g1")).containsExactly(TOPIC + "-2=22", TOPIC + "-3=-1");
            OffsetFetchResponse gone = m.send(GroupRequests.fetchOffsets(version, "doomed", List.of(0), "g1"), OffsetFetchResponse.class);
            assertThat(offsets(gone, "g1")).as("a deleted topic's offsets are gone").containsExactly("doomed-0=-1");
            if (version >= 2) {
                OffsetFetchResponse all = m.send(GroupRequests.fetchOffsets(version, TOPIC, null, "g1"), OffsetFetchResponse.class);
                assertThat(offsets(all, "g1")).containsExactly(TOPIC + "-2=22");
            }
        }
    }

    /** topic-partition=offset of every partition answered for a group, after checking no error came back. */
    private static List<String> offsets(OffsetFetchResponse r, String group) {
        var g = r.group(group);
        assertThat(g.errorCode()).isZero();
        List<String> out = new java.util.ArrayList<>();
        g.topics().forEach(t -> t.partitions().forEach(p -> {
            assertThat(p.errorCode()).isZero();
            out.add(t.name() + "-" + p.partitionIndex() + "=" + p.committedOffset());
        }));
        return out;
    }

    @Test
    void a_restarted_static_member_takes_its_predecessors_place_without_a_rebalance_and_fences_it() throws Exception {
        try (Member old = new Member(); Member next = new Member()) {
            JoinGroupResponse first = old.send(join((short) 9, "g", "", "instance-1", SESSION_MS, "consumer", "range",
                    new byte[] {1}), JoinGroupResponse.class);
            assertThat(first.error()).as("static members skip MEMBER_ID_REQUIRED").isEqualTo(Errors.NONE);
            old.id = first.data().memberId();
            old.generation = first.data().generationId();
            assertThat(old.send(GroupRequests.sync("g", old.id, "instance-1", old.generation, Map.of(old.id, new byte[] {9})),
                    SyncGroupResponse.class).data().assignment()).containsExactly(9);

            JoinGroupResponse again = next.send(join((short) 9, "g", "", "instance-1", SESSION_MS, "consumer", "range",
                    new byte[] {1}), JoinGroupResponse.class);
            assertThat(again.error()).isEqualTo(Errors.NONE);
            assertThat(again.data().memberId()).isNotEqualTo(old.id);
            assertThat(again.data().generationId()).as("no rebalance").isEqualTo(old.generation);
            assertThat(again.data().skipAssignment()).as("the leader keeps the assignment (KIP-814)").isTrue();
            next.id = again.data().memberId();
            next.generation = again.data().generationId();
            assertThat(next.send(GroupRequests.sync("g", next.id, "instance-1", next.generation, Map.of()),
                    SyncGroupResponse.class).data().assignment()).as("its predecessor's assignment").containsExactly(9);

            assertThat(old.send(heartbeat("g", old.id, "instance-1", old.generation), HeartbeatResponse.class).error())
                    .isEqualTo(Errors.FENCED_INSTANCE_ID);
            assertThat(old.send(GroupRequests.commit("g", old.id, old.generation, TOPIC, Map.of(0, 1L), null),
                    OffsetCommitResponse.class).data().topics().getFirst().partitions().getFirst().errorCode())
                    .as("a commit without its instance id names an unknown member").isEqualTo(Errors.UNKNOWN_MEMBER_ID.code());
            assertThat(old.send(GroupRequests.leave((short) 5, "g", old.id, "instance-1"), LeaveGroupResponse.class)
                    .memberResponses().getFirst().errorCode()).isEqualTo(Errors.FENCED_INSTANCE_ID.code());
            // the admin client removes a static member by its instance id alone
            assertThat(next.send(GroupRequests.leave((short) 5, "g", "", "instance-1"), LeaveGroupResponse.class)
                    .memberResponses().getFirst().errorCode()).isEqualTo(Errors.NONE.code());
            assertThat(next.send(heartbeat("g", next.id, "instance-1", next.generation), HeartbeatResponse.class).error())
                    .isEqualTo(Errors.UNKNOWN_MEMBER_ID);
        }
    }

    @Test
    void describe_list_and_delete_groups_answer_as_kafka_does() throws Exception {
        fixture.backend.commitPlainOffsets("offsets-only", Map.of(TOPIC, Map.of(0, 1L)));
        try (Member m = new Member()) {
            m.join("live", SESSION_MS);
            m.sync("live", Map.of(m.id, new byte[] {7}));

            DescribeGroupsResponse d = m.send(GroupRequests.describe((short) 6, "live", "offsets-only", "missing"),
                    DescribeGroupsResponse.class);
            var live = d.data().groups().get(0);
            assertThat(live.groupState()).isEqualTo("Stable");
            assertThat(live.protocolType()).isEqualTo("consumer");
            assertThat(live.protocolData()).isEqualTo("range");
            assertThat(live.members()).singleElement().satisfies(x -> {
                assertThat(x.memberId()).isEqualTo(m.id);
                assertThat(x.clientId()).isEqualTo("raw-test");
                assertThat(x.clientHost()).isEqualTo("/127.0.0.1");
                assertThat(x.memberAssignment()).containsExactly(7);
                assertThat(x.memberMetadata()).containsExactly(1, 2, 3);
            });
            assertThat(d.data().groups().get(1).groupState()).isEqualTo("Empty");
            assertThat(d.data().groups().get(1).errorCode()).isZero();
            assertThat(d.data().groups().get(2).errorCode()).isEqualTo(Errors.GROUP_ID_NOT_FOUND.code());
            assertThat(m.send(GroupRequests.describe((short) 5, "missing"), DescribeGroupsResponse.class)
                    .data().groups().getFirst().groupState()).as("before v6 (KIP-1043)").isEqualTo("Dead");

            ListGroupsResponse all = m.send(GroupRequests.list(List.of()), ListGroupsResponse.class);
            assertThat(all.data().groups()).extracting(g -> g.groupId() + ":" + g.groupState() + ":" + g.groupType())
                    .containsExactly("live:Stable:classic", "offsets-only:Empty:classic");
            assertThat(m.send(GroupRequests.list(List.of("Empty")), ListGroupsResponse.class).data().groups())
                    .extracting(g -> g.groupId()).containsExactly("offsets-only");

            DeleteGroupsResponse deleted = m.send(GroupRequests.delete("live", "offsets-only", "missing"), DeleteGroupsResponse.class);
            assertThat(deleted.errors()).containsEntry("live", Errors.NON_EMPTY_GROUP)
                    .containsEntry("offsets-only", Errors.NONE).containsEntry("missing", Errors.GROUP_ID_NOT_FOUND);
            assertThat(fixture.backend.groupsWithCommittedOffsets()).doesNotContain("offsets-only");
        }
    }

    @ParameterizedTest(name = "FindCoordinator v{0}")
    @ValueSource(shorts = {0, 1, 2, 3, 4, 5, 6})
    void find_coordinator_names_this_broker_for_groups_and_still_refuses_transactions(short version) throws Exception {
        try (Member m = new Member()) {
            FindCoordinatorRequestData group = version < 4
                    ? new FindCoordinatorRequestData().setKey("my.app_v2")
                    : new FindCoordinatorRequestData().setCoordinatorKeys(List.of("my.app_v2", "console-consumer-12345"));
            FindCoordinatorResponse r = m.send(new FindCoordinatorRequest.Builder(group).build(version), FindCoordinatorResponse.class);
            if (version < 4) {
                assertThat(r.error()).isEqualTo(Errors.NONE);
                assertThat(r.data().nodeId()).isZero();
                assertThat(r.data().host()).isEqualTo("127.0.0.1");
                assertThat(r.data().port()).isEqualTo(fixture.listener.port());
            } else {
                assertThat(r.data().coordinators()).extracting(c -> c.key() + "@" + c.nodeId() + ":" + c.port() + ":" + c.errorCode())
                        .containsExactly("my.app_v2@0:" + fixture.listener.port() + ":0",
                                "console-consumer-12345@0:" + fixture.listener.port() + ":0");
            }
            if (version >= 1) {
                FindCoordinatorRequestData tx = (version < 4 ? new FindCoordinatorRequestData().setKey("tx")
                        : new FindCoordinatorRequestData().setCoordinatorKeys(List.of("tx")))
                        .setKeyType(FindCoordinatorRequest.CoordinatorType.TRANSACTION.id());
                FindCoordinatorResponse t = m.send(new FindCoordinatorRequest.Builder(tx).build(version), FindCoordinatorResponse.class);
                short code = version < 4 ? t.data().errorCode() : t.data().coordinators().getFirst().errorCode();
                assertThat(code).isEqualTo(Errors.INVALID_REQUEST.code());
            }
        }
    }
}
