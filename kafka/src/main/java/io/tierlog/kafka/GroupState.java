package io.tierlog.kafka;

/**
 * The lifecycle of a classic consumer group, with Kafka's state names and transitions:
 * <pre>
 *   Empty -> PreparingRebalance -> CompletingRebalance -> Stable
 *              ^   |  ^_____________________|______________|  (a join, leave or expiry starts a new rebalance)
 *              |   v
 *             Empty (nobody rejoined)          any -> Dead (the group is removed)
 * </pre>
 * Tierlog keeps a group in memory only while it has members (or members it asked to rejoin with their id), so an
 * Empty group is at once Dead and forgotten; its committed offsets stay in the offsets store.
 */
enum GroupState {
    /** No members. */
    EMPTY("Empty"),
    /** Waiting (up to the rebalance timeout) for every member to send JoinGroup; their answers are held back. */
    PREPARING_REBALANCE("PreparingRebalance"),
    /** JoinGroup answered with a new generation; waiting for the leader's SyncGroup with the assignment. */
    COMPLETING_REBALANCE("CompletingRebalance"),
    /** Every member has its assignment; heartbeats keep members in. */
    STABLE("Stable"),
    /** Removed from the coordinator; a request that still reaches it is answered as for an unknown group. */
    DEAD("Dead");

    /** The name DescribeGroups and ListGroups answer. */
    final String kafkaName;

    GroupState(String kafkaName) {
        this.kafkaName = kafkaName;
    }

    /** Whether a group may move from {@code previous} to this state. */
    boolean canFollow(GroupState previous) {
        return switch (this) {
            case EMPTY -> previous == PREPARING_REBALANCE;
            case PREPARING_REBALANCE -> previous == EMPTY || previous == STABLE || previous == COMPLETING_REBALANCE;
            case COMPLETING_REBALANCE -> previous == PREPARING_REBALANCE;
            case STABLE -> previous == COMPLETING_REBALANCE;
            case DEAD -> true;
        };
    }
}
