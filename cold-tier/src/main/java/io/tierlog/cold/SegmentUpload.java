package io.tierlog.cold;

import io.tierlog.hot.SegmentInfo;

/**
 * One attempt to offload one local segment: the fresh object key it writes and where the object is in its
 * {@link RemoteSegmentState lifecycle}. Every state change goes through {@link #moveTo}, which throws on a
 * transition the lifecycle does not allow (a bug in the offloader, never an I/O condition).
 *
 * <p>Thread safety: confined to the upload thread running the attempt, except {@link #state()}, which any thread
 * may read.
 */
final class SegmentUpload {
    final SegmentInfo segment;
    final String objectKey;
    private volatile RemoteSegmentState state;

    SegmentUpload(SegmentInfo segment, String objectKey) {
        this.segment = segment;
        this.objectKey = objectKey;
        this.state = RemoteSegmentState.COPY_SEGMENT_STARTED;
    }

    RemoteSegmentState state() {
        return state;
    }

    void moveTo(RemoteSegmentState next) {
        state = state.checkedMoveTo(next, objectKey);
    }
}
