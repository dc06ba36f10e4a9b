package io.tierlog.cold;

/**
 * The lifecycle of one remote segment object, as Kafka's {@code RemoteLogSegmentState} names it. Each upload
 * attempt has its own object (a fresh key), so a retried upload is a new lifecycle, never a step back:
 *
 * <pre>
 *   COPY_SEGMENT_STARTED --manifest names it--> COPY_SEGMENT_FINISHED --retention--> DELETE_SEGMENT_STARTED
 *          |                                                                               |
 *          +---- upload failed, or its topic was deleted ---------------------------------->+--> DELETE_SEGMENT_FINISHED
 * </pre>
 *
 * Only {@code COPY_SEGMENT_FINISHED} is visible to readers and lets local retention delete the local copy. An
 * object whose deletion failed stays in {@code DELETE_SEGMENT_STARTED}: it is an orphan, removed by the next sweep.
 */
enum RemoteSegmentState {
    /** The object is being written; no manifest names it. */
    COPY_SEGMENT_STARTED,
    /** The partition's manifest names the object: readers see it, the local copy may go. */
    COPY_SEGMENT_FINISHED,
    /** No manifest names the object any more (or never will); it is being deleted. */
    DELETE_SEGMENT_STARTED,
    /** The object is gone. */
    DELETE_SEGMENT_FINISHED;

    /**
     * Whether a segment may move from {@code from} to {@code to}; {@code from == null} means "no state yet", from
     * which only {@link #COPY_SEGMENT_STARTED} is reachable. Staying in the same state is valid (idempotent retries).
     */
    static boolean isValidTransition(RemoteSegmentState from, RemoteSegmentState to) {
        if (to == null) {
            return false;
        }
        if (from == null) {
            return to == COPY_SEGMENT_STARTED;
        }
        if (from == to) {
            return true;
        }
        return switch (from) {
            case COPY_SEGMENT_STARTED -> to == COPY_SEGMENT_FINISHED || to == DELETE_SEGMENT_STARTED;
            case COPY_SEGMENT_FINISHED -> to == DELETE_SEGMENT_STARTED;
            case DELETE_SEGMENT_STARTED -> to == DELETE_SEGMENT_FINISHED;
            case DELETE_SEGMENT_FINISHED -> false;
        };
    }

    /** {@code to} if the move from this state is valid; otherwise a bug, reported as {@link IllegalStateException}. */
    RemoteSegmentState checkedMoveTo(RemoteSegmentState to, String objectKey) {
        if (!isValidTransition(this, to)) {
            throw new IllegalStateException(objectKey + ": invalid remote segment transition " + this + " -> " + to);
        }
        return to;
    }
}
