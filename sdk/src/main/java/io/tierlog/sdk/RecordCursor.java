package io.tierlog.sdk;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A lazily paged result of a {@link TierlogQuery}: the next page is requested only when the records of the
 * previous one have been consumed, so a range of any size is read in bounded memory. Also counts pages and
 * the records each tier served, which makes a query's cost visible.
 */
public final class RecordCursor implements Iterator<ConsumedRecord> {
    /** Fetches the next page into the buffer; returns false when the range is exhausted. */
    interface Pager {
        boolean fetch(RecordCursor cursor);
    }

    private final Pager pager;
    private final ArrayDeque<ConsumedRecord> buffer = new ArrayDeque<>();
    private boolean exhausted;
    private long pages;
    private long hot;
    private long cold;

    RecordCursor(Pager pager) {
        this.pager = pager;
    }

    void add(ConsumedRecord r) {
        buffer.add(r);
    }

    void countPage(long hotRecords, long coldRecords) {
        pages++;
        hot += hotRecords;
        cold += coldRecords;
    }

    @Override
    public boolean hasNext() {
        while (buffer.isEmpty() && !exhausted) {
            if (!pager.fetch(this)) {
                exhausted = true;
            }
        }
        return !buffer.isEmpty();
    }

    @Override
    public ConsumedRecord next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        return buffer.poll();
    }

    /** The remaining records as a sequential, ordered stream (consuming this cursor). */
    public Stream<ConsumedRecord> stream() {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(this,
                Spliterator.ORDERED | Spliterator.NONNULL), false);
    }

    /** Pages requested so far. */
    public long pages() {
        return pages;
    }

    /** Records the hot tier served so far (as reported by the server). */
    public long hotRecords() {
        return hot;
    }

    /** Records the cold tier served so far (as reported by the server). */
    public long coldRecords() {
        return cold;
    }
}
