package io.tierlog.kafka;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;

import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.tierlog.kafka.GroupCoordinator.DescribedMember;
import io.tierlog.kafka.GroupCoordinator.GroupDescription;
import io.tierlog.kafka.GroupCoordinator.JoinRequest;
import io.tierlog.kafka.GroupCoordinator.JoinResult;
import io.tierlog.kafka.GroupCoordinator.MemberIdentity;
import io.tierlog.kafka.GroupCoordinator.MemberMetadata;
import io.tierlog.kafka.GroupCoordinator.Protocol;
import io.tierlog.kafka.GroupCoordinator.SyncRequest;
import io.tierlog.kafka.GroupCoordinator.SyncResult;

/**
 * One consumer group under Kafka's classic protocol: its members, generation, chosen protocol and leader, and the
 * {@link GroupState} machine that JoinGroup, SyncGroup, Heartbeat, LeaveGroup and the timers drive. The
 * coordinator relays what clients assign; it never reads protocol metadata or assignments.
 *
 * <p>Fencing: every request names a member (and a generation where the API has one); a member that is not in the
 * group gets UNKNOWN_MEMBER_ID, a static member replaced by a newer instance FENCED_INSTANCE_ID, a stale generation
 * ILLEGAL_GENERATION, and a request that comes during a rebalance REBALANCE_IN_PROGRESS, so a member that missed a
 * rebalance can neither heartbeat, sync nor commit as if it had not.
 *
 * <p>Every method holds the group's lock; timers run on the coordinator's one scheduler thread and take the same
 * lock. Answers a member waits for (JoinGroup, SyncGroup) are futures completed under the lock; nothing is chained
 * onto them, so completing them runs no foreign code.
 */
final class ClassicGroup {

    private static final Logger log = LoggerFactory.getLogger(ClassicGroup.class);

    final String groupId;
    private final GroupConfig config;
    private final ScheduledExecutorService timer;
    private final Consumer<ClassicGroup> onDead;

    private GroupState state = GroupState.EMPTY;
    private int generationId;
    /** Set by the first member; every later member must offer the same type. */
    private String protocolType;
    /** The protocol chosen for the current generation; null before the first one. */
    private String protocolName;
    private String leaderId;
    /** In join order: the first member left becomes leader when the leader goes. */
    private final LinkedHashMap<String, GroupMember> members = new LinkedHashMap<>();
    /** group.instance.id -> member id of the static members. */
    private final Map<String, String> staticMembers = new HashMap<>();
    /** Member ids handed out with MEMBER_ID_REQUIRED, until they join with it or their session timeout passes. */
    private final Map<String, Long> pendingMembers = new HashMap<>();
    /** Counts rebalances, so a timer of an earlier one does nothing. */
    private long rebalanceEpoch;
    /** Inside the first rebalance's initial delay, which does not end early when everyone has joined. */
    private boolean initialDelay;
    private boolean newMemberAdded;

    ClassicGroup(String groupId, GroupConfig config, ScheduledExecutorService timer, Consumer<ClassicGroup> onDead) {
        this.groupId = groupId;
        this.config = config;
        this.timer = timer;
        this.onDead = onDead;
    }

    // ---------------------------------------------------------------- JoinGroup

    /** A JoinGroup; the future completes when the rebalance does (or at once). Empty when the group is dead. */
    synchronized Optional<CompletableFuture<JoinResult>> join(JoinRequest r) {
        if (state == GroupState.DEAD) {
            return Optional.empty();
        }
        CompletableFuture<JoinResult> result = joinLive(r);
        forgetIfUnused();
        return Optional.of(result);
    }

    private CompletableFuture<JoinResult> joinLive(JoinRequest r) {
        boolean newcomer = r.memberId().isEmpty();
        if (!acceptsProtocols(r, newcomer ? null : r.memberId())) {
            return failedJoin(Errors.INCONSISTENT_GROUP_PROTOCOL, r.memberId());
        }
        if (newcomer) {
            if (r.instanceId() != null) {
                return joinStaticNewcomer(r);
            }
            if (members.size() + pendingMembers.size() >= config.maxSize()) {
                return failedJoin(Errors.GROUP_MAX_SIZE_REACHED, "");
            }
            String id = newMemberId(r.clientId());
            if (r.requireKnownMemberId()) {
                // KIP-394: the member must come back with this id, so a retried first join cannot add a ghost
                pendingMembers.put(id, System.nanoTime() + ms(r.sessionTimeoutMs()));
                schedule(() -> checkPending(id), ms(r.sessionTimeoutMs()));
                return failedJoin(Errors.MEMBER_ID_REQUIRED, id);
            }
            return addMemberAndRebalance(id, r);
        }
        if (r.instanceId() == null && pendingMembers.remove(r.memberId()) != null) {
            return addMemberAndRebalance(r.memberId(), r);
        }
        Errors invalid = validateMember(r.memberId(), r.instanceId());
        if (invalid != null) {
            return failedJoin(invalid, r.memberId());
        }
        GroupMember m = members.get(r.memberId());
        return switch (state) {
            case PREPARING_REBALANCE -> updateMemberAndRebalance(m, r, null);
            case COMPLETING_REBALANCE -> m.offersTheSame(r.protocols())
                    // it lost the JoinGroup answer: the same again
                    ? answerNow(m, currentGeneration(m, isLeader(m), false))
                    : updateMemberAndRebalance(m, r, "member " + m.memberId + " changed its protocols");
            case STABLE -> !isLeader(m) && m.offersTheSame(r.protocols())
                    ? answerNow(m, currentGeneration(m, false, false))
                    : updateMemberAndRebalance(m, r, (isLeader(m) ? "the leader " : "member ") + m.memberId + " rejoined");
            case EMPTY, DEAD -> failedJoin(Errors.UNKNOWN_MEMBER_ID, r.memberId());
        };
    }

    /** A static member without a member id: new, or a restarted instance that takes its predecessor's place. */
    private CompletableFuture<JoinResult> joinStaticNewcomer(JoinRequest r) {
        String newId = newMemberId(r.instanceId());
        String oldId = staticMembers.get(r.instanceId());
        if (oldId == null) {
            if (members.size() + pendingMembers.size() >= config.maxSize()) {
                return failedJoin(Errors.GROUP_MAX_SIZE_REACHED, "");
            }
            return addMemberAndRebalance(newId, r);
        }
        GroupMember old = members.get(oldId);
        GroupMember m = new GroupMember(newId, r.instanceId(), r);
        m.assignment = old.assignment;
        members.remove(oldId);
        members.put(newId, m);
        staticMembers.put(r.instanceId(), newId);
        if (oldId.equals(leaderId)) {
            leaderId = newId;
        }
        // the old instance's waiting requests are answered: it is fenced
        completeJoin(old, JoinResult.failed(Errors.FENCED_INSTANCE_ID, oldId));
        completeSync(old, SyncResult.failed(Errors.FENCED_INSTANCE_ID));
        touch(m);
        watchSession(m);
        log.info("group {}: static member {} rejoined as {} (was {})", groupId, r.instanceId(), newId, oldId);
        if (state == GroupState.STABLE && selectProtocol().equals(protocolName)
                && (!isLeader(m) || r.supportsSkipAssignment())) {
            // no rebalance: the assignment stays; a leader that can skip assigning gets the members to know them
            return answerNow(m, currentGeneration(m, isLeader(m), isLeader(m)));
        }
        // during CompletingRebalance the leader may be assigning to the old id: rebalance again (as Kafka does)
        return updateMemberAndRebalance(m, r, "static member " + r.instanceId() + " rejoined");
    }

    private CompletableFuture<JoinResult> addMemberAndRebalance(String memberId, JoinRequest r) {
        GroupMember m = new GroupMember(memberId, r.instanceId(), r);
        if (members.isEmpty()) {
            protocolType = r.protocolType();
        }
        members.put(memberId, m);
        if (r.instanceId() != null) {
            staticMembers.put(r.instanceId(), memberId);
        }
        if (leaderId == null) {
            leaderId = memberId;
        }
        newMemberAdded = true;
        CompletableFuture<JoinResult> f = awaitJoin(m);
        watchSession(m);
        if (state == GroupState.PREPARING_REBALANCE) {
            maybeCompleteJoin();
        } else {
            prepareRebalance("member " + memberId + " joined");
        }
        return f;
    }

    /** Holds {@code m}'s JoinGroup for the rebalance, starting one with {@code reason} unless one is under way. */
    private CompletableFuture<JoinResult> updateMemberAndRebalance(GroupMember m, JoinRequest r, String reason) {
        m.update(r);
        CompletableFuture<JoinResult> f = awaitJoin(m);
        if (state == GroupState.PREPARING_REBALANCE) {
            maybeCompleteJoin();
        } else {
            prepareRebalance(reason);
        }
        return f;
    }

    private CompletableFuture<JoinResult> awaitJoin(GroupMember m) {
        // a second JoinGroup of the same member replaces the first (its client gave up on it)
        completeJoin(m, JoinResult.failed(Errors.REBALANCE_IN_PROGRESS, m.memberId));
        CompletableFuture<JoinResult> f = new CompletableFuture<>();
        m.awaitingJoin = f;
        touch(m);
        return f;
    }

    private CompletableFuture<JoinResult> answerNow(GroupMember m, JoinResult result) {
        touch(m);
        return CompletableFuture.completedFuture(result);
    }

    private static CompletableFuture<JoinResult> failedJoin(Errors error, String memberId) {
        return CompletableFuture.completedFuture(JoinResult.failed(error, memberId));
    }

    private JoinResult currentGeneration(GroupMember m, boolean withMembers, boolean skipAssignment) {
        return new JoinResult(Errors.NONE, generationId, protocolType, protocolName, leaderId, m.memberId,
                withMembers ? membersMetadata() : List.of(), skipAssignment);
    }

    private List<MemberMetadata> membersMetadata() {
        List<MemberMetadata> out = new ArrayList<>(members.size());
        for (GroupMember x : members.values()) {
            out.add(new MemberMetadata(x.memberId, x.instanceId, x.metadata(protocolName)));
        }
        return out;
    }

    /** The protocol type matches and, with the other members, the offered protocols leave one in common. */
    private boolean acceptsProtocols(JoinRequest r, String ignoredMember) {
        boolean alone = members.isEmpty() || (members.size() == 1 && members.containsKey(ignoredMember));
        if (alone) {
            return true;
        }
        if (!r.protocolType().equals(protocolType)) {
            return false;
        }
        for (Protocol p : r.protocols()) {
            boolean everyone = true;
            for (GroupMember m : members.values()) {
                if (!m.memberId.equals(ignoredMember) && !m.offers(p.name())) {
                    everyone = false;
                    break;
                }
            }
            if (everyone) {
                return true;
            }
        }
        return false;
    }

    /** The protocol most members prefer among those every member offers (Kafka's vote). */
    private String selectProtocol() {
        Set<String> common = null;
        for (GroupMember m : members.values()) {
            Set<String> names = new LinkedHashSet<>();
            m.protocols.forEach(p -> names.add(p.name()));
            if (common == null) {
                common = names;
            } else {
                common.retainAll(names);
            }
        }
        Map<String, Integer> votes = new LinkedHashMap<>();
        for (GroupMember m : members.values()) {
            votes.merge(m.vote(common), 1, Integer::sum);
        }
        String best = null;
        for (Map.Entry<String, Integer> e : votes.entrySet()) {
            if (best == null || e.getValue() > votes.get(best)) {
                best = e.getKey();
            }
        }
        return best;
    }

    // ---------------------------------------------------------------- the rebalance

    private void prepareRebalance(String reason) {
        if (state == GroupState.COMPLETING_REBALANCE) {
            for (GroupMember m : members.values()) {
                m.assignment = GroupMember.NO_BYTES;
                completeSync(m, SyncResult.failed(Errors.REBALANCE_IN_PROGRESS));
            }
        }
        boolean first = state == GroupState.EMPTY;
        transition(GroupState.PREPARING_REBALANCE);
        long epoch = ++rebalanceEpoch;
        int timeoutMs = 0;
        for (GroupMember m : members.values()) {
            timeoutMs = Math.max(timeoutMs, m.rebalanceTimeoutMs);
        }
        log.info("group {} is rebalancing (generation {} ends): {}", groupId, generationId, reason);
        if (first && config.initialRebalanceDelayMs() > 0) {
            initialDelay = true;
            newMemberAdded = false;
            int delay = Math.min(config.initialRebalanceDelayMs(), timeoutMs);
            int remaining = timeoutMs - delay;
            schedule(() -> initialDelayEnded(epoch, remaining), ms(delay));
        } else {
            initialDelay = false;
            schedule(() -> rebalanceTimedOut(epoch), ms(timeoutMs));
            maybeCompleteJoin();
        }
    }

    /** The first rebalance waits a little for more members, each newcomer extending it (Kafka's InitialDelayedJoin). */
    private synchronized void initialDelayEnded(long epoch, int remainingMs) {
        if (epoch != rebalanceEpoch || state != GroupState.PREPARING_REBALANCE) {
            return;
        }
        if (newMemberAdded && remainingMs > 0) {
            newMemberAdded = false;
            int delay = Math.min(config.initialRebalanceDelayMs(), remainingMs);
            schedule(() -> initialDelayEnded(epoch, remainingMs - delay), ms(delay));
            return;
        }
        initialDelay = false;
        completeRebalanceJoin();
    }

    private synchronized void rebalanceTimedOut(long epoch) {
        if (epoch == rebalanceEpoch && state == GroupState.PREPARING_REBALANCE && !initialDelay) {
            completeRebalanceJoin();
        }
    }

    private void maybeCompleteJoin() {
        if (state != GroupState.PREPARING_REBALANCE || initialDelay || !pendingMembers.isEmpty()) {
            return;
        }
        for (GroupMember m : members.values()) {
            if (m.awaitingJoin == null) {
                return;
            }
        }
        completeRebalanceJoin();
    }

    /**
     * Ends the join phase: members that did not rejoin are removed, the generation moves on, everyone waiting gets
     * its JoinGroup answer (the leader with every member's metadata) and the group waits for the leader's SyncGroup.
     */
    private void completeRebalanceJoin() {
        for (GroupMember m : List.copyOf(members.values())) {
            if (m.awaitingJoin == null) {
                log.info("group {}: member {} did not rejoin within the rebalance timeout and was removed", groupId, m.memberId);
                removeMember(m, Errors.UNKNOWN_MEMBER_ID);
            }
        }
        generationId++;
        if (members.isEmpty()) {
            protocolName = null;
            leaderId = null;
            transition(GroupState.EMPTY);
            log.info("group {} is empty (generation {})", groupId, generationId);
            forgetIfUnused();
            return;
        }
        if (leaderId == null || !members.containsKey(leaderId)) {
            leaderId = members.keySet().iterator().next();
        }
        protocolName = selectProtocol();
        transition(GroupState.COMPLETING_REBALANCE);
        List<MemberMetadata> all = membersMetadata();
        for (GroupMember m : members.values()) {
            m.assignment = GroupMember.NO_BYTES;
            touch(m);
            completeJoin(m, new JoinResult(Errors.NONE, generationId, protocolType, protocolName, leaderId,
                    m.memberId, isLeader(m) ? all : List.of(), false));
        }
        log.info("group {} generation {}: {} members, protocol {}, leader {}", groupId, generationId, members.size(),
                protocolName, leaderId);
    }

    // ---------------------------------------------------------------- SyncGroup

    /** A SyncGroup; the future completes when the leader's assignment arrives (or at once). */
    synchronized CompletableFuture<SyncResult> sync(SyncRequest r) {
        if (state == GroupState.DEAD) {
            return CompletableFuture.completedFuture(SyncResult.failed(Errors.UNKNOWN_MEMBER_ID));
        }
        Errors invalid = validateMember(r.memberId(), r.instanceId());
        if (invalid == null && r.generationId() != generationId) {
            invalid = Errors.ILLEGAL_GENERATION;
        }
        if (invalid == null && ((r.protocolType() != null && !r.protocolType().equals(protocolType))
                || (r.protocolName() != null && !r.protocolName().equals(protocolName)))) {
            invalid = Errors.INCONSISTENT_GROUP_PROTOCOL;
        }
        if (invalid != null) {
            return CompletableFuture.completedFuture(SyncResult.failed(invalid));
        }
        GroupMember m = members.get(r.memberId());
        switch (state) {
            case PREPARING_REBALANCE:
                touch(m);
                return CompletableFuture.completedFuture(SyncResult.failed(Errors.REBALANCE_IN_PROGRESS));
            case STABLE:
                touch(m);
                return CompletableFuture.completedFuture(new SyncResult(Errors.NONE, protocolType, protocolName, m.assignment));
            case COMPLETING_REBALANCE:
                completeSync(m, SyncResult.failed(Errors.REBALANCE_IN_PROGRESS));
                CompletableFuture<SyncResult> f = new CompletableFuture<>();
                m.awaitingSync = f;
                touch(m);
                if (isLeader(m)) {
                    // relayed as the leader computed it; members it left out get an empty assignment
                    for (GroupMember x : members.values()) {
                        x.assignment = r.assignments().getOrDefault(x.memberId, GroupMember.NO_BYTES);
                    }
                    transition(GroupState.STABLE);
                    for (GroupMember x : members.values()) {
                        completeSync(x, new SyncResult(Errors.NONE, protocolType, protocolName, x.assignment));
                    }
                    log.info("group {} generation {} is stable", groupId, generationId);
                }
                return f;
            default:
                return CompletableFuture.completedFuture(SyncResult.failed(Errors.UNKNOWN_MEMBER_ID));
        }
    }

    // ---------------------------------------------------------------- Heartbeat, LeaveGroup, commits

    synchronized Errors heartbeat(String memberId, String instanceId, int generation) {
        if (state == GroupState.DEAD) {
            return Errors.UNKNOWN_MEMBER_ID;
        }
        Errors invalid = validateMember(memberId, instanceId);
        if (invalid != null) {
            return invalid;
        }
        if (generation != generationId) {
            return Errors.ILLEGAL_GENERATION;
        }
        touch(members.get(memberId));
        return switch (state) {
            case PREPARING_REBALANCE -> Errors.REBALANCE_IN_PROGRESS;
            case COMPLETING_REBALANCE, STABLE -> Errors.NONE;
            case EMPTY, DEAD -> Errors.UNKNOWN_MEMBER_ID;
        };
    }

    /** LeaveGroup of some members: an error per member, in order; empty when the group is dead. */
    synchronized Optional<List<Errors>> leave(List<MemberIdentity> leaving, String reason) {
        if (state == GroupState.DEAD) {
            return Optional.empty();
        }
        List<Errors> out = new ArrayList<>(leaving.size());
        List<String> left = new ArrayList<>();
        for (MemberIdentity id : leaving) {
            String memberId = id.memberId();
            Errors e = null;
            if (id.instanceId() != null) {
                String current = staticMembers.get(id.instanceId());
                if (current == null) {
                    e = Errors.UNKNOWN_MEMBER_ID;
                } else if (memberId.isEmpty()) {
                    memberId = current; // removal by instance id (the admin client's removeMembersFromConsumerGroup)
                } else if (!memberId.equals(current)) {
                    e = Errors.FENCED_INSTANCE_ID;
                }
            }
            if (e == null && pendingMembers.remove(memberId) != null) {
                out.add(Errors.NONE);
                continue;
            }
            GroupMember m = e == null ? members.get(memberId) : null;
            if (e == null && m == null) {
                e = Errors.UNKNOWN_MEMBER_ID;
            }
            if (e == null) {
                removeMember(m, Errors.UNKNOWN_MEMBER_ID);
                left.add(memberId);
                e = Errors.NONE;
            }
            out.add(e);
        }
        if (!left.isEmpty()) {
            afterRemoval("member(s) " + left + " left" + (reason == null ? "" : " (" + reason + ")"));
        }
        forgetIfUnused();
        return Optional.of(out);
    }

    /**
     * An OffsetCommit: checks that the member may commit at this generation and, if so, stores with
     * {@code store} while holding the lock, so no rebalance completes between the check and the write. Empty
     * when the group is dead.
     */
    synchronized Optional<Errors> commit(String memberId, String instanceId, int generation, Supplier<Errors> store) {
        if (state == GroupState.DEAD) {
            return Optional.empty();
        }
        Errors invalid = validateCommit(memberId, instanceId, generation);
        return Optional.of(invalid != null ? invalid : store.get());
    }

    /** Kafka's ClassicGroup.validateOffsetCommit, for non-transactional commits. */
    private Errors validateCommit(String memberId, String instanceId, int generation) {
        if (generation < 0 && state == GroupState.EMPTY) {
            return null; // the admin client or a consumer using assign(): allowed while nobody is in the group
        }
        if (generation >= 0 || !memberId.isEmpty() || instanceId != null) {
            Errors invalid = validateMember(memberId, instanceId);
            if (invalid != null) {
                return invalid;
            }
            if (generation != generationId) {
                return Errors.ILLEGAL_GENERATION;
            }
        } else if (state != GroupState.EMPTY) {
            return Errors.UNKNOWN_MEMBER_ID;
        }
        if (state == GroupState.COMPLETING_REBALANCE) {
            // a valid member that has its JoinGroup answer but no assignment yet
            return Errors.REBALANCE_IN_PROGRESS;
        }
        GroupMember m = members.get(memberId);
        if (m != null) {
            touch(m);
        }
        return null;
    }

    /** DeleteGroups: NON_EMPTY_GROUP while it has members; else it dies and {@code deleteOffsets} runs. */
    synchronized Optional<Errors> delete(Runnable deleteOffsets) {
        if (state == GroupState.DEAD) {
            return Optional.empty();
        }
        if (!members.isEmpty()) {
            return Optional.of(Errors.NON_EMPTY_GROUP);
        }
        pendingMembers.clear();
        deleteOffsets.run();
        forgetIfUnused();
        return Optional.of(Errors.NONE);
    }

    /**
     * OffsetDelete, checked and done under the group's lock (so no member commits in between): empty when the group is
     * dead (known by its offsets at most); NON_EMPTY_GROUP while it has members and is not a consumer group (its
     * subscriptions cannot be read); else {@code delete} runs with the test of whether the members are subscribed to a
     * topic (no topic when it has no members), whose offsets must stay.
     */
    synchronized Optional<Errors> deleteOffsets(Function<Predicate<String>, Errors> delete) {
        if (state == GroupState.DEAD) {
            return Optional.empty();
        }
        if (members.isEmpty()) {
            return Optional.of(delete.apply(topic -> false));
        }
        if (!ConsumerProtocol.PROTOCOL_TYPE.equals(protocolType)) {
            return Optional.of(Errors.NON_EMPTY_GROUP);
        }
        return Optional.of(delete.apply(subscribedTopics()));
    }

    /**
     * The topics in the members' subscriptions under the chosen protocol (every protocol a member offers while none
     * is chosen); every topic when a subscription does not parse.
     */
    private Predicate<String> subscribedTopics() {
        Set<String> topics = new HashSet<>();
        for (GroupMember m : members.values()) {
            for (Protocol p : m.protocols) {
                if (protocolName != null && !p.name().equals(protocolName)) {
                    continue;
                }
                try {
                    topics.addAll(ConsumerProtocol.deserializeSubscription(ByteBuffer.wrap(p.metadata())).topics());
                } catch (RuntimeException e) {
                    return topic -> true;
                }
            }
        }
        return topics::contains;
    }

    // ---------------------------------------------------------------- describe

    /** Empty when the group is dead. Metadata and assignments only when stable (as Kafka answers). */
    synchronized Optional<GroupDescription> describe() {
        if (state == GroupState.DEAD) {
            return Optional.empty();
        }
        boolean stable = state == GroupState.STABLE;
        List<DescribedMember> out = new ArrayList<>(members.size());
        for (GroupMember m : members.values()) {
            out.add(new DescribedMember(m.memberId, m.instanceId, m.clientId, m.clientHost,
                    stable ? m.metadata(protocolName) : GroupMember.NO_BYTES, stable ? m.assignment : GroupMember.NO_BYTES));
        }
        return Optional.of(new GroupDescription(groupId, state, protocolType == null ? "" : protocolType,
                stable ? protocolName : "", out));
    }

    synchronized GroupState state() {
        return state;
    }

    synchronized String protocolType() {
        return protocolType == null ? "" : protocolType;
    }

    // ---------------------------------------------------------------- members, sessions, timers

    private Errors validateMember(String memberId, String instanceId) {
        if (instanceId != null) {
            String current = staticMembers.get(instanceId);
            if (current == null) {
                return Errors.UNKNOWN_MEMBER_ID;
            }
            return current.equals(memberId) ? null : Errors.FENCED_INSTANCE_ID;
        }
        return members.containsKey(memberId) ? null : Errors.UNKNOWN_MEMBER_ID;
    }

    private boolean isLeader(GroupMember m) {
        return m.memberId.equals(leaderId);
    }

    private void removeMember(GroupMember m, Errors answer) {
        members.remove(m.memberId);
        if (m.instanceId != null) {
            staticMembers.remove(m.instanceId, m.memberId);
        }
        completeJoin(m, JoinResult.failed(answer, m.memberId));
        completeSync(m, SyncResult.failed(answer));
        if (m.memberId.equals(leaderId)) {
            leaderId = members.isEmpty() ? null : members.keySet().iterator().next();
        }
    }

    /** After members left or expired: a stable group rebalances; a rebalancing one may now be complete. */
    private void afterRemoval(String reason) {
        switch (state) {
            case STABLE, COMPLETING_REBALANCE -> prepareRebalance(reason);
            case PREPARING_REBALANCE -> maybeCompleteJoin();
            case EMPTY, DEAD -> { }
        }
    }

    private static void completeJoin(GroupMember m, JoinResult result) {
        CompletableFuture<JoinResult> f = m.awaitingJoin;
        m.awaitingJoin = null;
        if (f != null) {
            f.complete(result);
        }
    }

    private static void completeSync(GroupMember m, SyncResult result) {
        CompletableFuture<SyncResult> f = m.awaitingSync;
        m.awaitingSync = null;
        if (f != null) {
            f.complete(result);
        }
    }

    private static void touch(GroupMember m) {
        m.sessionDeadline = System.nanoTime() + ms(m.sessionTimeoutMs);
    }

    /** Starts the member's session check; it re-arms itself until the member is gone. */
    private void watchSession(GroupMember m) {
        schedule(() -> checkSession(m), m.sessionDeadline - System.nanoTime());
    }

    private synchronized void checkSession(GroupMember m) {
        if (members.get(m.memberId) != m) {
            return; // left, expired or replaced
        }
        long now = System.nanoTime();
        if (m.isWaiting()) {
            touch(m); // its JoinGroup or SyncGroup is held by us: it cannot heartbeat, and is not late
        } else if (now - m.sessionDeadline >= 0) {
            log.info("group {}: member {} sent no heartbeat within its session timeout of {} ms and was removed",
                    groupId, m.memberId, m.sessionTimeoutMs);
            removeMember(m, Errors.UNKNOWN_MEMBER_ID);
            afterRemoval("member " + m.memberId + " timed out");
            forgetIfUnused();
            return;
        }
        schedule(() -> checkSession(m), m.sessionDeadline - now);
    }

    private synchronized void checkPending(String memberId) {
        Long deadline = pendingMembers.get(memberId);
        if (deadline == null) {
            return;
        }
        long now = System.nanoTime();
        if (now - deadline < 0) {
            schedule(() -> checkPending(memberId), deadline - now);
            return;
        }
        pendingMembers.remove(memberId);
        log.debug("group {}: pending member {} did not join with its id in time", groupId, memberId);
        maybeCompleteJoin();
        forgetIfUnused();
    }

    /** An empty group with nobody pending is dead and leaves the coordinator (its committed offsets stay). */
    private void forgetIfUnused() {
        if (state == GroupState.EMPTY && members.isEmpty() && pendingMembers.isEmpty()) {
            transition(GroupState.DEAD);
            onDead.accept(this);
        }
    }

    private void transition(GroupState next) {
        if (!next.canFollow(state)) {
            throw new IllegalStateException("group " + groupId + " cannot go from " + state + " to " + next);
        }
        state = next;
    }

    private void schedule(Runnable task, long delayNanos) {
        try {
            timer.schedule(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    log.error("a timer of group {} failed", groupId, e);
                }
            }, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            log.debug("group {}: timer not armed, the coordinator is closing", groupId);
        }
    }

    private static String newMemberId(String prefix) {
        return prefix + "-" + UUID.randomUUID();
    }

    private static long ms(long millis) {
        return TimeUnit.MILLISECONDS.toNanos(millis);
    }
}
