package io.tierlog.query;

import io.tierlog.cold.RemoteLog;
import io.tierlog.cold.RemoteSegmentInfo;
import io.tierlog.core.Record;
import io.tierlog.core.RecordBatch;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.FetchData;
import io.tierlog.hot.OffsetOutOfRangeException;
import io.tierlog.hot.SegmentInfo;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An in-memory cold tier following the {@link RemoteLog} contract (reads never span two segments), filled by
 * "uploading" copies of a hot log's closed segments, so tier boundaries are tested with real batches.
 */
final class MemoryRemoteLog implements RemoteLog {
    private record Seg(RemoteSegmentInfo info, List<ByteBuffer> batches) {
    }

    private final Map<TopicPartition, List<Seg>> byPartition = new ConcurrentHashMap<>();
    /** Test hook: reads served. */
    volatile int reads;

    /** Copies the first {@code count} closed segments of {@code log} into the remote store. */
    void upload(MemoryLog log, int count) {
        List<SegmentInfo> closed = log.closedSegments();
        for (int i = 0; i < count; i++) {
            upload(log, closed.get(i));
        }
    }

    synchronized void upload(MemoryLog log, SegmentInfo s) {
        List<Seg> list = byPartition.computeIfAbsent(s.topicPartition(), k -> new ArrayList<>());
        list.add(new Seg(new RemoteSegmentInfo(s.topicPartition(), s.baseOffset(), s.nextOffset(), s.minTimestamp(),
                s.maxTimestamp(), s.sizeInBytes(), "mem/" + s.baseOffset()), log.batchesOf(s.baseOffset())));
    }

    /** Uploads a closed segment of a real hot-tier log: its .log file's bytes, split into batches. */
    synchronized void uploadFile(SegmentInfo s) {
        ByteBuffer file;
        try {
            file = ByteBuffer.wrap(java.nio.file.Files.readAllBytes(s.logFile()));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        List<ByteBuffer> batches = new ArrayList<>();
        for (RecordBatch b : RecordBatch.iterate(file)) {
            if (b.baseOffset() < s.nextOffset()) {
                batches.add(b.buffer());
            }
        }
        byPartition.computeIfAbsent(s.topicPartition(), k -> new ArrayList<>()).add(new Seg(new RemoteSegmentInfo(
                s.topicPartition(), s.baseOffset(), s.nextOffset(), s.minTimestamp(), s.maxTimestamp(), s.sizeInBytes(),
                "file/" + s.baseOffset()), batches));
    }

    /** Uploads closed segments {@code first..last} of {@code log} as ONE remote segment (other boundaries). */
    synchronized void uploadMerged(MemoryLog log, int first, int last) {
        List<SegmentInfo> closed = log.closedSegments().subList(first, last + 1);
        List<ByteBuffer> batches = new ArrayList<>();
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        long size = 0;
        for (SegmentInfo s : closed) {
            batches.addAll(log.batchesOf(s.baseOffset()));
            min = Math.min(min, s.minTimestamp());
            max = Math.max(max, s.maxTimestamp());
            size += s.sizeInBytes();
        }
        SegmentInfo a = closed.get(0);
        SegmentInfo b = closed.get(closed.size() - 1);
        byPartition.computeIfAbsent(a.topicPartition(), k -> new ArrayList<>()).add(new Seg(new RemoteSegmentInfo(
                a.topicPartition(), a.baseOffset(), b.nextOffset(), min, max, size, "mem/" + a.baseOffset()), batches));
    }

    /** Remote retention: drops the oldest segment. */
    synchronized void deleteOldest(TopicPartition tp) {
        byPartition.get(tp).remove(0);
    }

    private synchronized List<Seg> segs(TopicPartition tp) {
        return List.copyOf(byPartition.getOrDefault(tp, List.of()));
    }

    @Override
    public List<RemoteSegmentInfo> segments(TopicPartition tp) {
        return segs(tp).stream().map(Seg::info).toList();
    }

    @Override
    public long remoteLogStartOffset(TopicPartition tp) {
        List<Seg> s = segs(tp);
        return s.isEmpty() ? -1 : s.get(0).info().baseOffset();
    }

    @Override
    public long remoteEndOffset(TopicPartition tp) {
        List<Seg> s = segs(tp);
        return s.isEmpty() ? 0 : s.get(s.size() - 1).info().nextOffset();
    }

    @Override
    public FetchData read(TopicPartition tp, long offset, int maxBytes) {
        reads++;
        for (Seg s : segs(tp)) {
            if (s.info().baseOffset() <= offset && offset < s.info().nextOffset()) {
                List<ByteBuffer> out = new ArrayList<>();
                int bytes = 0;
                for (ByteBuffer b : s.batches()) {
                    RecordBatch rb = RecordBatch.wrap(b.duplicate());
                    if (rb.nextOffset() <= offset) {
                        continue;
                    }
                    if (!out.isEmpty() && bytes + rb.sizeInBytes() > maxBytes) {
                        break;
                    }
                    out.add(b.duplicate());
                    bytes += rb.sizeInBytes();
                }
                ByteBuffer all = ByteBuffer.allocate(bytes);
                out.forEach(all::put);
                return new FetchData(offset, all.flip(), remoteEndOffset(tp), remoteLogStartOffset(tp));
            }
        }
        throw new OffsetOutOfRangeException("no remote segment of " + tp + " holds offset " + offset,
                remoteLogStartOffset(tp), remoteEndOffset(tp));
    }

    @Override
    public long offsetForTimestamp(TopicPartition tp, long timestamp) {
        for (Seg s : segs(tp)) {
            if (s.info().maxTimestamp() < timestamp) {
                continue;
            }
            for (ByteBuffer b : s.batches()) {
                for (Record r : RecordBatch.wrap(b.duplicate()).records()) {
                    if (r.timestamp() >= timestamp) {
                        return r.offset();
                    }
                }
            }
        }
        return -1;
    }
}
