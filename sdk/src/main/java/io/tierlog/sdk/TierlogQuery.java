package io.tierlog.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Historical reads over both tiers: a partition's offset range, or a topic's time window filtered by metric
 * name and tags. Results are {@link RecordCursor}s that page lazily, so a query over millions of records does
 * not hold them in memory; the server decides per page whether the hot or the cold tier serves it.
 */
public final class TierlogQuery {
    /** Default records per page. */
    public static final int DEFAULT_PAGE_SIZE = 1000;
    private static final int MAX_PAGE_SIZE = 10_000;
    private static final Comparator<ConsumedRecord> ORDER = Comparator.comparingLong(ConsumedRecord::timestamp)
            .thenComparingInt(ConsumedRecord::partition).thenComparingLong(ConsumedRecord::offset);

    private final Http http;
    private final Duration requestTimeout;

    TierlogQuery(Http http, Duration requestTimeout) {
        this.http = http;
        this.requestTimeout = requestTimeout;
    }

    /**
     * A topic-wide time window: records with {@code from <= timestamp < to}, optionally only metric samples
     * of one name and with all the given tags. Ordered by timestamp, partition, offset.
     */
    public record TimeRange(String topic, long from, long to, String name, Map<String, String> tags, int pageSize) {
        public TimeRange {
            io.tierlog.core.Validation.topicName(topic);
            if (from < 0 || to < from) {
                throw new IllegalArgumentException("need 0 <= from <= to, got from=" + from + " to=" + to);
            }
            if (pageSize <= 0 || pageSize > MAX_PAGE_SIZE) {
                throw new IllegalArgumentException("pageSize must be 1.." + MAX_PAGE_SIZE + ", was " + pageSize);
            }
            tags = tags == null ? Map.of() : Map.copyOf(new TreeMap<>(tags));
        }

        public static TimeRange of(String topic, long from, long to) {
            return new TimeRange(topic, from, to, null, Map.of(), DEFAULT_PAGE_SIZE);
        }

        public TimeRange withName(String n) {
            return new TimeRange(topic, from, to, n, tags, pageSize);
        }

        public TimeRange withTags(Map<String, String> t) {
            return new TimeRange(topic, from, to, name, t, pageSize);
        }

        public TimeRange withPageSize(int size) {
            return new TimeRange(topic, from, to, name, tags, size);
        }
    }

    /** Records {@code fromOffset <= offset < toOffset} of one partition (use Long.MAX_VALUE for "to the end"). */
    public RecordCursor offsetRange(String topic, int partition, long fromOffset, long toOffset) {
        return offsetRange(topic, partition, fromOffset, toOffset, DEFAULT_PAGE_SIZE);
    }

    /** As {@link #offsetRange(String, int, long, long)} with an explicit page size (1..10000). */
    public RecordCursor offsetRange(String topic, int partition, long fromOffset, long toOffset, int pageSize) {
        io.tierlog.core.Validation.topicName(topic);
        if (fromOffset < 0 || toOffset < fromOffset) {
            throw new IllegalArgumentException("need 0 <= fromOffset <= toOffset, got " + fromOffset + ".." + toOffset);
        }
        if (pageSize <= 0 || pageSize > MAX_PAGE_SIZE) {
            throw new IllegalArgumentException("pageSize must be 1.." + MAX_PAGE_SIZE + ", was " + pageSize);
        }
        long[] pos = {fromOffset};
        return new RecordCursor(cursor -> {
            if (pos[0] >= toOffset) {
                return false;
            }
            int n = (int) Math.min(pageSize, toOffset - pos[0]);
            JsonPages.Page page = JsonPages.offsetPage(http, topic, partition, pos[0], n, requestTimeout);
            cursor.countPage(page.hot(), page.cold());
            long before = pos[0];
            for (ConsumedRecord r : page.records()) {
                if (r.offset() >= pos[0] && r.offset() < toOffset) {
                    cursor.add(r);
                    pos[0] = r.offset() + 1;
                }
            }
            pos[0] = Math.max(pos[0], Math.min(page.nextOffset(), toOffset));
            return pos[0] > before;
        });
    }

    /** A topic-wide time window, paged by (timestamp, partition, offset). */
    public RecordCursor timeRange(TimeRange q) {
        long[] from = {q.from()};
        ConsumedRecord[] last = {null};
        int[] pageSize = {q.pageSize()};
        boolean[] done = {false};
        return new RecordCursor(cursor -> {
            while (!done[0]) {
                StringBuilder path = new StringBuilder("/v1/topics/").append(Http.enc(q.topic()))
                        .append("/records?from=").append(from[0]).append("&to=").append(q.to())
                        .append("&maxRecords=").append(pageSize[0]);
                if (q.name() != null) {
                    path.append("&name=").append(Http.enc(q.name()));
                }
                q.tags().forEach((k, v) -> path.append("&tag=").append(Http.enc(k + ":" + v)));
                JsonNode n = http.getJson(path.toString());
                List<ConsumedRecord> recs = new ArrayList<>();
                for (JsonNode r : n.path("records")) {
                    recs.add(JsonPages.fromJson(q.topic(), -1, r));
                }
                cursor.countPage(n.path("tiers").path("hot").asLong(0), n.path("tiers").path("cold").asLong(0));
                boolean full = recs.size() >= pageSize[0];
                int added = 0;
                for (ConsumedRecord r : recs) {
                    if (last[0] == null || ORDER.compare(r, last[0]) > 0) {
                        cursor.add(r);
                        last[0] = r;
                        added++;
                    }
                }
                if (!full) {
                    done[0] = true;
                } else if (added == 0) {
                    if (pageSize[0] >= MAX_PAGE_SIZE) {
                        throw new TierlogClientException("more than " + MAX_PAGE_SIZE + " records of " + q.topic()
                                + " share timestamp " + from[0] + "; the time-range API cannot page past them");
                    }
                    pageSize[0] = Math.min(MAX_PAGE_SIZE, pageSize[0] * 2);
                    continue;
                } else {
                    from[0] = last[0].timestamp();
                }
                return added > 0 || !done[0];
            }
            return false;
        });
    }

    /** The first offset whose timestamp is at least {@code timestamp} (the high watermark if none). */
    public long offsetForTimestamp(String topic, int partition, long timestamp) {
        io.tierlog.core.Validation.topicName(topic);
        return http.getJson("/v1/topics/" + Http.enc(topic) + "/partitions/" + partition + "/offsets?timestamp=" + timestamp)
                .path("offset").asLong();
    }
}
