package io.tierlog.ingest;

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

/** Forwards every call; tests override append/flush to gate, fail or observe them. */
class DelegatingLog implements PartitionLog {
    final PartitionLog delegate;

    DelegatingLog(PartitionLog delegate) {
        this.delegate = delegate;
    }

    @Override public TopicPartition topicPartition() { return delegate.topicPartition(); }
    @Override public AppendInfo append(ByteBuffer batches) { return delegate.append(batches); }
    @Override public long logStartOffset() { return delegate.logStartOffset(); }
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
    @Override public void close() { delegate.close(); }
}
