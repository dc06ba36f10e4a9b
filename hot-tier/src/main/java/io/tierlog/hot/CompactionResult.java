package io.tierlog.hot;

/**
 * What one {@link PartitionLog#compact} run did, for logs, metrics and tests. {@code cleanedUpToOffset} is
 * the exclusive end of the offsets the key map covered: every closed segment that ends below it was examined
 * (all of them unless {@code keyMapFull}, in which case the segment holding it and later ones wait for the next
 * run).
 *
 * @param segmentsExamined  closed segments read and checked for removable records
 * @param segmentsRewritten closed segments replaced by a compacted copy
 * @param segmentsDeleted   closed segments removed because none of their records survived
 * @param recordsRemoved    superseded records, expired tombstones and records without a key removed
 * @param bytesBefore       size of the examined segments before the run
 * @param bytesAfter        size of the examined segments after the run
 * @param keys              distinct keys (64-bit hashes) in the key map
 * @param keyMapFull        the key map hit its memory cap before reaching the log end offset
 * @param cleanedUpToOffset exclusive end of the offsets the key map covers
 */
public record CompactionResult(int segmentsExamined, int segmentsRewritten, int segmentsDeleted, long recordsRemoved,
                               long bytesBefore, long bytesAfter, int keys, boolean keyMapFull, long cleanedUpToOffset) {
}
