package io.tierlog.hot.testing;

import io.tierlog.core.TopicPartition;
import io.tierlog.hot.AppendInfo;
import io.tierlog.hot.FetchData;
import io.tierlog.hot.LogConfig;
import io.tierlog.hot.PartitionLog;
import io.tierlog.hot.SegmentInfo;
import io.tierlog.hot.SegmentListener;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Predicate;

/** A {@link PartitionLog} that forwards every call, so a test can override one method to gate, fail, observe or race it. */
public class DelegatingLog implements PartitionLog {
    protected final PartitionLog delegate;

    public DelegatingLog(PartitionLog delegate) {
        this.delegate = delegate;
    }

    @Override public TopicPartition topicPartition() { return delegate.topicPartition(); }
    @Override public AppendInfo append(ByteBuffer batches, long minTimestamp) { return delegate.append(batches, minTimestamp); }
    @Override public void forEachRecentBatchHeader(long sinceMs, BatchHeaderVisitor visitor) { delegate.forEachRecentBatchHeader(sinceMs, visitor); }
    @Override public java.util.Optional<io.tierlog.hot.FileSlice> readSlice(long offset, int maxBytes) { return delegate.readSlice(offset, maxBytes); }
    @Override public long logStartOffset() { return delegate.logStartOffset(); }
    @Override public long deletedBefore() { return delegate.deletedBefore(); }
    @Override public long deleteRecordsBefore(long offset) { return delegate.deleteRecordsBefore(offset); }
    @Override public long logEndOffset() { return delegate.logEndOffset(); }
    @Override public long highWatermark() { return delegate.highWatermark(); }
    @Override public void advanceHighWatermark(long offset) { delegate.advanceHighWatermark(offset); }
    @Override public long flushedOffset() { return delegate.flushedOffset(); }
    @Override public void flush() { delegate.flush(); }
    @Override public boolean maybeFlush(long nowMs) { return delegate.maybeFlush(nowMs); }
    @Override public FetchData read(long offset, int maxBytes) { return delegate.read(offset, maxBytes); }
    @Override public long offsetForTimestamp(long timestamp) { return delegate.offsetForTimestamp(timestamp); }
    @Override public void roll() { delegate.roll(); }
    @Override public boolean maybeRoll(long nowMs) { return delegate.maybeRoll(nowMs); }
    @Override public List<SegmentInfo> closedSegments() { return delegate.closedSegments(); }
    @Override public void addSegmentListener(SegmentListener listener) { delegate.addSegmentListener(listener); }
    @Override public int deleteOldestSegmentsWhile(Predicate<SegmentInfo> p) { return delegate.deleteOldestSegmentsWhile(p); }
    @Override public long sizeInBytes() { return delegate.sizeInBytes(); }
    @Override public LogConfig config() { return delegate.config(); }
    @Override public io.tierlog.hot.CompactionResult compact(long nowMs, long deleteRetentionMs, long maxKeyMapBytes) {
        return delegate.compact(nowMs, deleteRetentionMs, maxKeyMapBytes);
    }
    @Override public void close() { delegate.close(); }
}
