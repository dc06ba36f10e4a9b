package io.tierlog.kafka;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import io.tierlog.kafka.GroupCoordinator.JoinRequest;
import io.tierlog.kafka.GroupCoordinator.JoinResult;
import io.tierlog.kafka.GroupCoordinator.Protocol;
import io.tierlog.kafka.GroupCoordinator.SyncResult;

/**
 * One member of a classic group as the coordinator knows it: identity, timeouts, the protocols it offered, its
 * assignment, and the JoinGroup or SyncGroup it is waiting on. Mutable; guarded by its group's lock.
 */
final class GroupMember {

    static final byte[] NO_BYTES = new byte[0];

    final String memberId;
    /** {@code group.instance.id} of a static member; null for a dynamic one. */
    final String instanceId;
    String clientId;
    String clientHost;
    int sessionTimeoutMs;
    int rebalanceTimeoutMs;
    List<Protocol> protocols;
    byte[] assignment = NO_BYTES;
    /** The member's JoinGroup held back until the rebalance completes; null when none. */
    CompletableFuture<JoinResult> awaitingJoin;
    /** The member's SyncGroup held back until the leader's arrives; null when none. */
    CompletableFuture<SyncResult> awaitingSync;
    /** When the member is out unless it heartbeats (or joins, syncs, commits) before ({@link System#nanoTime}). */
    long sessionDeadline;

    GroupMember(String memberId, String instanceId, JoinRequest request) {
        this.memberId = memberId;
        this.instanceId = instanceId;
        update(request);
    }

    void update(JoinRequest r) {
        clientId = r.clientId();
        clientHost = r.clientHost();
        sessionTimeoutMs = r.sessionTimeoutMs();
        rebalanceTimeoutMs = r.rebalanceTimeoutMs();
        protocols = r.protocols();
    }

    /** Whether {@code offered} is what this member offered last time (same protocols, order and metadata). */
    boolean offersTheSame(List<Protocol> offered) {
        if (offered.size() != protocols.size()) {
            return false;
        }
        for (int i = 0; i < offered.size(); i++) {
            Protocol a = offered.get(i);
            Protocol b = protocols.get(i);
            if (!a.name().equals(b.name()) || !Arrays.equals(a.metadata(), b.metadata())) {
                return false;
            }
        }
        return true;
    }

    boolean offers(String protocol) {
        return protocols.stream().anyMatch(p -> p.name().equals(protocol));
    }

    /** The metadata offered with {@code protocol} (a protocol every member offers). */
    byte[] metadata(String protocol) {
        for (Protocol p : protocols) {
            if (p.name().equals(protocol)) {
                return p.metadata();
            }
        }
        throw new IllegalStateException("member " + memberId + " does not offer protocol " + protocol);
    }

    /** The member's most preferred protocol among {@code candidates} (its vote for the group's protocol). */
    String vote(Set<String> candidates) {
        for (Protocol p : protocols) {
            if (candidates.contains(p.name())) {
                return p.name();
            }
        }
        throw new IllegalStateException("member " + memberId + " offers none of " + candidates);
    }

    boolean isWaiting() {
        return awaitingJoin != null || awaitingSync != null;
    }
}
