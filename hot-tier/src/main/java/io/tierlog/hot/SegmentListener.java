package io.tierlog.hot;

/**
 * Told when a segment closes (rolls) so that the cold tier can offload it at once. Called on the writer
 * thread: implementations must hand the work off and return quickly.
 */
@FunctionalInterface
public interface SegmentListener {
    void onSegmentClosed(SegmentInfo segment);
}
