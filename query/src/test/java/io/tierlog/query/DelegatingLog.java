package io.tierlog.query;

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

/** Forwards everything to another log; tests override one method to inject a race. */
class DelegatingLog implements PartitionLog {
    private final PartitionLog d;

    DelegatingLog(PartitionLog delegate) {
        this.d = delegate;
    }

    @Override public TopicPartition topicPartition() { return d.topicPartition(); }
    @Override public AppendInfo append(ByteBuffer batches) { return d.append(batches); }
    @Override public long logStartOffset() { return d.logStartOffset(); }
    @Override public long logEndOffset() { return d.logEndOffset(); }
    @Override public long highWatermark() { return d.highWatermark(); }
    @Override public void advanceHighWatermark(long offset) { d.advanceHighWatermark(offset); }
    @Override public long flushedOffset() { return d.flushedOffset(); }
    @Override public void flush() { d.flush(); }
    @Override public boolean maybeFlush(long nowMs) { return d.maybeFlush(nowMs); }
    @Override public FetchData read(long offset, int maxBytes) { return d.read(offset, maxBytes); }
    @Override public long offsetForTimestamp(long timestamp) { return d.offsetForTimestamp(timestamp); }
    @Override public void roll() { d.roll(); }
    @Override public boolean maybeRoll(long nowMs) { return d.maybeRoll(nowMs); }
    @Override public List<SegmentInfo> closedSegments() { return d.closedSegments(); }
    @Override public void addSegmentListener(SegmentListener listener) { d.addSegmentListener(listener); }
    @Override public int deleteOldestSegmentsWhile(Predicate<SegmentInfo> p) { return d.deleteOldestSegmentsWhile(p); }
    @Override public long sizeInBytes() { return d.sizeInBytes(); }
    @Override public LogConfig config() { return d.config(); }
    @Override public void close() { d.close(); }
}
