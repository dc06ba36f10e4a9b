package io.tierlog.query;

import io.tierlog.core.Record;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.PartitionLog;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Predicate;

/**
 * The lazy, exactly ordered cross-partition time-range query (see {@link QueryService#queryTimeRange}): reads
 * [from, to) slice by slice, never holding more than {@code sliceRecords + 1} matching records, plus one
 * bounded {@link BatchIndex} per partition (built on the first call) so slices read only overlapping batches.
 */
final class MergedTimeRangeIterator implements Iterator<TopicRecord> {
    static final Comparator<TopicRecord> ORDER = Comparator
            .comparingLong((TopicRecord r) -> r.record().timestamp())
            .thenComparingInt(TopicRecord::partition)
            .thenComparingLong(r -> r.record().offset());

    record Source(TopicPartition tp, PartitionLog log, long endOffset) {
    }

    private final QueryService service;
    private final List<Source> sources;
    private final long to;
    private final Predicate<Record> filter;
    private final int sliceRecords;
    private final int indexCapacity;
    private final long from;
    private BatchIndex[] indexes;

    private long sliceStart;
    private long width;
    private Iterator<TopicRecord> current = Collections.emptyIterator();

    // Streaming of a one-millisecond slice: partition index and offset to continue at.
    private boolean streaming;
    private int streamSource;
    private long streamOffset;

    MergedTimeRangeIterator(QueryService service, List<Source> sources, long from, long to,
                            Predicate<Record> filter, int sliceRecords, int indexCapacity) {
        this.indexCapacity = indexCapacity;
        this.service = service;
        this.sources = List.copyOf(sources);
        this.to = to;
        this.filter = filter;
        this.sliceRecords = sliceRecords;
        this.from = from;
        this.sliceStart = from;
        this.width = Math.max(1, to - from);
    }

    @Override
    public boolean hasNext() {
        while (!current.hasNext()) {
            if (!advance()) {
                return false;
            }
        }
        return true;
    }

    @Override
    public TopicRecord next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        return current.next();
    }

    /** Loads the next non-empty page into {@code current}; false at the end of the window. */
    private boolean advance() {
        if (indexes == null) {
            indexes = new BatchIndex[sources.size()];
            for (int i = 0; i < sources.size(); i++) {
                Source s = sources.get(i);
                indexes[i] = service.indexWindow(s.tp(), s.log(), from, to, s.endOffset(), indexCapacity);
            }
        }
        while (true) {
            if (streaming) {
                if (streamNextPage()) {
                    return true;
                }
                streaming = false;
                sliceStart++;
                continue;
            }
            if (sliceStart >= to) {
                return false;
            }
            long end = to - sliceStart <= width ? to : sliceStart + width;
            if (end - sliceStart == 1) {
                streaming = true;
                streamSource = 0;
                streamOffset = 0;
                continue;
            }
            List<TopicRecord> slice = collect(sliceStart, end);
            if (slice == null) {
                width = Math.max(1, (end - sliceStart) / 2);
                continue;
            }
            sliceStart = end;
            if (slice.size() < sliceRecords / 4 + 1) {
                width = width > Long.MAX_VALUE / 2 ? Long.MAX_VALUE : width * 2;
            }
            if (!slice.isEmpty()) {
                slice.sort(ORDER);
                current = slice.iterator();
                return true;
            }
        }
    }

    /** One page of the one-millisecond slice at {@code sliceStart}; false when all partitions are done. */
    private boolean streamNextPage() {
        while (streamSource < sources.size()) {
            Source s = sources.get(streamSource);
            PartitionRead page = service.timedScan(s.tp(), s.log(), indexes[streamSource], sliceStart, sliceStart + 1,
                    streamOffset, s.endOffset(), sliceRecords, filter);
            if (page.records().size() < sliceRecords) {
                streamSource++;
                streamOffset = 0;
            } else {
                streamOffset = page.nextOffset();
            }
            if (!page.records().isEmpty()) {
                service.countServed(page);
                current = wrap(s.tp().partition(), page.records()).iterator();
                return true;
            }
        }
        return false;
    }

    /** Matching records of [start, end) over all partitions, or null when there are more than the bound. */
    private List<TopicRecord> collect(long start, long end) {
        List<TopicRecord> out = new ArrayList<>();
        List<PartitionRead> pages = new ArrayList<>(sources.size());
        for (int i = 0; i < sources.size(); i++) {
            Source s = sources.get(i);
            int room = sliceRecords - out.size() + 1;
            PartitionRead page = service.timedScan(s.tp(), s.log(), indexes[i], start, end, 0, s.endOffset(), room, filter);
            out.addAll(wrap(s.tp().partition(), page.records()));
            if (out.size() > sliceRecords) {
                return null;
            }
            pages.add(page);
        }
        pages.forEach(service::countServed);
        return out;
    }

    private static List<TopicRecord> wrap(int partition, List<Record> records) {
        List<TopicRecord> out = new ArrayList<>(records.size());
        for (Record r : records) {
            out.add(new TopicRecord(partition, r));
        }
        return out;
    }
}
