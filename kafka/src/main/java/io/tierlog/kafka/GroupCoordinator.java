package io.tierlog.kafka;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;

import org.apache.kafka.common.protocol.Errors;

import io.tierlog.core.GroupNames;
import io.tierlog.core.InvalidInputException;
import io.tierlog.kafka.KafkaErrors.TopicNaming;

/**
 * Kafka's group coordinator for the classic protocol, on the one broker: the groups' membership in memory (clients
 * rejoin after a restart), their committed offsets through {@link KafkaBackend} in the durable store both doors
 * share. One scheduler thread runs every group's session, rebalance and initial-delay timers.
 *
 * <p>Limits, checked before anything is kept: a group id is a {@linkplain GroupNames Tierlog group name} (else
 * INVALID_GROUP_ID); session timeouts within {@link GroupConfig}'s bounds (else INVALID_SESSION_TIMEOUT); a member's
 * protocol metadata, all protocols together, and each assignment at most {@link #MAX_METADATA_BYTES} (else
 * INVALID_REQUEST: Kafka itself would fail to write such a group to its log); at most {@link GroupConfig#maxSize()}
 * members (else GROUP_MAX_SIZE_REACHED). Thread-safe.
 */
final class GroupCoordinator implements AutoCloseable {

    /** The most protocol metadata one member may offer, and the largest assignment (Kafka's message.max.bytes). */
    static final int MAX_METADATA_BYTES = 1024 * 1024;

    private final KafkaBackend backend;
    private final GroupConfig config;
    private final ScheduledExecutorService timer;
    private final ConcurrentHashMap<String, ClassicGroup> groups = new ConcurrentHashMap<>();

    GroupCoordinator(KafkaBackend backend, GroupConfig config) {
        this.backend = backend;
        this.config = config;
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1,
                Thread.ofPlatform().name("kafka-group-timers").daemon().factory());
        t.setRemoveOnCancelPolicy(true);
        this.timer = Executors.unconfigurableScheduledExecutorService(t);
    }

    GroupConfig config() {
        return config;
    }

    /** A protocol a member offers (e.g. "range" with its subscription), as it sent it. */
    record Protocol(String name, byte[] metadata) {
    }

    /** A JoinGroup. {@code rebalanceTimeoutMs} is the session timeout for v0; the flags depend on the version. */
    record JoinRequest(String groupId, String memberId, String instanceId, String clientId, String clientHost,
                       int sessionTimeoutMs, int rebalanceTimeoutMs, String protocolType, List<Protocol> protocols,
                       boolean requireKnownMemberId, boolean supportsSkipAssignment) {
    }

    record MemberMetadata(String memberId, String instanceId, byte[] metadata) {
    }

    /** A JoinGroup answer; {@code members} is non-empty for the leader only. */
    record JoinResult(Errors error, int generationId, String protocolType, String protocolName, String leaderId,
                      String memberId, List<MemberMetadata> members, boolean skipAssignment) {
        static JoinResult failed(Errors error, String memberId) {
            return new JoinResult(error, -1, null, null, "", memberId, List.of(), false);
        }
    }

    /** A SyncGroup; {@code assignments} (member id -> assignment) comes from the leader only. */
    record SyncRequest(String groupId, String memberId, String instanceId, int generationId, String protocolType,
                       String protocolName, Map<String, byte[]> assignments) {
    }

    record SyncResult(Errors error, String protocolType, String protocolName, byte[] assignment) {
        static SyncResult failed(Errors error) {
            return new SyncResult(error, null, null, GroupMember.NO_BYTES);
        }
    }

    /** A member named in a LeaveGroup; {@code memberId} may be empty when {@code instanceId} names a static member. */
    record MemberIdentity(String memberId, String instanceId) {
    }

    /** A LeaveGroup answer: a group-level error, else one error per member in request order. */
    record LeaveResult(Errors error, List<Errors> members) {
    }

    record GroupListing(String groupId, String protocolType, GroupState state) {
    }

    record DescribedMember(String memberId, String instanceId, String clientId, String clientHost, byte[] metadata,
                           byte[] assignment) {
    }

    record GroupDescription(String groupId, GroupState state, String protocolType, String protocolName,
                            List<DescribedMember> members) {
    }

    // ---------------------------------------------------------------- membership

    /** JoinGroup; the future completes when the group's rebalance does, or at once with an error. */
    CompletableFuture<JoinResult> join(JoinRequest r) {
        Errors invalid = checkJoin(r);
        if (invalid != null) {
            return CompletableFuture.completedFuture(JoinResult.failed(invalid, r.memberId()));
        }
        if (!r.memberId().isEmpty()) {
            // a known member of a group that is gone (e.g. after a restart) must join again without its id
            ClassicGroup g = groups.get(r.groupId());
            return g == null ? CompletableFuture.completedFuture(JoinResult.failed(Errors.UNKNOWN_MEMBER_ID, r.memberId()))
                    : g.join(r).orElseGet(() -> CompletableFuture.completedFuture(
                            JoinResult.failed(Errors.UNKNOWN_MEMBER_ID, r.memberId())));
        }
        while (true) {
            ClassicGroup g = groups.computeIfAbsent(r.groupId(), this::newGroup);
            Optional<CompletableFuture<JoinResult>> f = g.join(r);
            if (f.isPresent()) {
                return f.get();
            }
            // it died between lookup and join: the next lookup creates a fresh one
        }
    }

    private Errors checkJoin(JoinRequest r) {
        if (!validGroupId(r.groupId())) {
            return Errors.INVALID_GROUP_ID;
        }
        if (r.sessionTimeoutMs() < config.minSessionTimeoutMs() || r.sessionTimeoutMs() > config.maxSessionTimeoutMs()) {
            return Errors.INVALID_SESSION_TIMEOUT;
        }
        if (r.protocolType().isEmpty() || r.protocols().isEmpty()) {
            return Errors.INCONSISTENT_GROUP_PROTOCOL;
        }
        long metadataBytes = 0;
        for (Protocol p : r.protocols()) {
            metadataBytes += p.metadata().length;
        }
        if (metadataBytes > MAX_METADATA_BYTES) {
            return Errors.INVALID_REQUEST;
        }
        return null;
    }

    CompletableFuture<SyncResult> sync(SyncRequest r) {
        if (!validGroupId(r.groupId())) {
            return CompletableFuture.completedFuture(SyncResult.failed(Errors.INVALID_GROUP_ID));
        }
        for (byte[] a : r.assignments().values()) {
            if (a.length > MAX_METADATA_BYTES) {
                return CompletableFuture.completedFuture(SyncResult.failed(Errors.INVALID_REQUEST));
            }
        }
        ClassicGroup g = groups.get(r.groupId());
        return g == null ? CompletableFuture.completedFuture(SyncResult.failed(Errors.UNKNOWN_MEMBER_ID)) : g.sync(r);
    }

    Errors heartbeat(String groupId, String memberId, String instanceId, int generationId) {
        if (!validGroupId(groupId)) {
            return Errors.INVALID_GROUP_ID;
        }
        ClassicGroup g = groups.get(groupId);
        return g == null ? Errors.UNKNOWN_MEMBER_ID : g.heartbeat(memberId, instanceId, generationId);
    }

    LeaveResult leave(String groupId, List<MemberIdentity> members, String reason) {
        if (!validGroupId(groupId)) {
            return new LeaveResult(Errors.INVALID_GROUP_ID, List.of());
        }
        ClassicGroup g = groups.get(groupId);
        Optional<List<Errors>> errors = g == null ? Optional.empty() : g.leave(members, reason);
        return errors.map(e -> new LeaveResult(Errors.NONE, e))
                .orElseGet(() -> new LeaveResult(Errors.UNKNOWN_MEMBER_ID, List.of()));
    }

    // ---------------------------------------------------------------- offsets

    /**
     * OffsetCommit of already checked partitions: the member and generation are validated against the group, then
     * the offsets stored (durably, all or none). NONE, or the error every partition gets.
     */
    Errors commitOffsets(String groupId, String memberId, String instanceId, int generationId,
                         Map<String, Map<Integer, KafkaBackend.Committed>> offsets) {
        if (!validGroupId(groupId)) {
            return Errors.INVALID_GROUP_ID;
        }
        ClassicGroup g = groups.get(groupId);
        if (g != null) {
            Optional<Errors> e = g.commit(memberId, instanceId, generationId, () -> store(groupId, offsets));
            if (e.isPresent()) {
                return e.get();
            }
        }
        // No such group in memory: the admin client or a consumer with assign() (generation -1), or a member of a
        // group whose membership did not survive a restart. Nobody can own the group's partitions now, so the
        // member's commit is kept, as Kafka (which persists its groups) would keep it; its next heartbeat gets
        // UNKNOWN_MEMBER_ID and it rejoins. Refusing would make it process the batch again after every restart.
        return store(groupId, offsets);
    }

    private Errors store(String groupId, Map<String, Map<Integer, KafkaBackend.Committed>> offsets) {
        if (offsets.isEmpty()) {
            return Errors.NONE;
        }
        try {
            backend.commitOffsets(groupId, offsets);
            return Errors.NONE;
        } catch (RuntimeException e) {
            return KafkaErrors.forFailure(e, TopicNaming.BY_NAME).error();
        }
    }

    /** A group's committed offsets (topic -> partition -> offset and metadata); throws what the backend throws. */
    Map<String, SortedMap<Integer, KafkaBackend.Committed>> committedOffsets(String groupId) {
        return backend.committedOffsets(groupId);
    }

    // ---------------------------------------------------------------- administration

    /** Every group with members or committed offsets (those only known by their offsets are Empty), by id. */
    List<GroupListing> list() {
        TreeMap<String, GroupListing> out = new TreeMap<>();
        for (String id : backend.groupsWithCommittedOffsets()) {
            out.put(id, new GroupListing(id, "", GroupState.EMPTY));
        }
        for (ClassicGroup g : groups.values()) {
            GroupState s = g.state();
            if (s != GroupState.DEAD) {
                out.put(g.groupId, new GroupListing(g.groupId, g.protocolType(), s));
            }
        }
        return new ArrayList<>(out.values());
    }

    /** Empty when the group has neither members nor committed offsets. */
    Optional<GroupDescription> describe(String groupId) {
        if (!validGroupId(groupId)) {
            return Optional.empty();
        }
        ClassicGroup g = groups.get(groupId);
        Optional<GroupDescription> d = g == null ? Optional.empty() : g.describe();
        if (d.isPresent()) {
            return d;
        }
        if (!backend.committedOffsets(groupId).isEmpty()) {
            return Optional.of(new GroupDescription(groupId, GroupState.EMPTY, "", "", List.of()));
        }
        return Optional.empty();
    }

    /** The outcome of an OffsetDelete: the group's error, or each partition's (NONE or GROUP_SUBSCRIBED_TO_TOPIC). */
    record OffsetDeletion(Errors groupError, Map<String, Map<Integer, Errors>> partitionErrors) {
    }

    /**
     * OffsetDelete of already checked partitions (topic -> partitions), as Kafka does it for classic groups: all of
     * them while the group has no members; while it has, those of topics no member is subscribed to (the others get
     * GROUP_SUBSCRIBED_TO_TOPIC), and NON_EMPTY_GROUP when the group is not a consumer group. GROUP_ID_NOT_FOUND for
     * a group with neither members nor offsets.
     */
    OffsetDeletion deleteOffsets(String groupId, Map<String, List<Integer>> partitions) {
        if (!validGroupId(groupId)) {
            return new OffsetDeletion(Errors.INVALID_GROUP_ID, Map.of());
        }
        Map<String, Map<Integer, Errors>> errors = new TreeMap<>();
        java.util.function.Function<java.util.function.Predicate<String>, Errors> delete = subscribed -> {
            Map<String, List<Integer>> eligible = new TreeMap<>();
            partitions.forEach((topic, ps) -> {
                for (int p : ps) {
                    boolean kept = subscribed.test(topic);
                    errors.computeIfAbsent(topic, x -> new TreeMap<>()).put(p, kept ? Errors.GROUP_SUBSCRIBED_TO_TOPIC : Errors.NONE);
                    if (!kept) {
                        eligible.computeIfAbsent(topic, x -> new ArrayList<>()).add(p);
                    }
                }
            });
            try {
                if (!eligible.isEmpty()) {
                    backend.deleteCommittedOffsets(groupId, eligible);
                }
                return Errors.NONE;
            } catch (RuntimeException e) {
                return KafkaErrors.forFailure(e, TopicNaming.BY_NAME).error();
            }
        };
        ClassicGroup g = groups.get(groupId);
        Optional<Errors> e = g == null ? Optional.empty() : g.deleteOffsets(delete);
        if (e.isEmpty()) {
            if (backend.committedOffsets(groupId).isEmpty()) {
                return new OffsetDeletion(Errors.GROUP_ID_NOT_FOUND, Map.of());
            }
            e = Optional.of(delete.apply(topic -> false));
        }
        return new OffsetDeletion(e.get(), e.get() == Errors.NONE ? errors : Map.of());
    }

    /** DeleteGroups: the group's committed offsets go, unless it has members. */
    Errors delete(String groupId) {
        if (!validGroupId(groupId)) {
            return Errors.INVALID_GROUP_ID;
        }
        ClassicGroup g = groups.get(groupId);
        if (g != null) {
            Optional<Errors> e = g.delete(() -> backend.deleteCommittedOffsets(groupId));
            if (e.isPresent()) {
                return e.get();
            }
        }
        return backend.deleteCommittedOffsets(groupId) ? Errors.NONE : Errors.GROUP_ID_NOT_FOUND;
    }

    /** How many groups have members or pending members (for tests). */
    int groupsInMemory() {
        return groups.size();
    }

    /** Stops the timers; members then simply stop being tracked (the listener closes their connections). */
    @Override
    public void close() {
        timer.shutdownNow();
    }

    private ClassicGroup newGroup(String groupId) {
        return new ClassicGroup(groupId, config, timer, dead -> groups.remove(dead.groupId, dead));
    }

    static boolean validGroupId(String groupId) {
        try {
            GroupNames.check(groupId);
            return true;
        } catch (InvalidInputException e) {
            return false;
        }
    }
}
