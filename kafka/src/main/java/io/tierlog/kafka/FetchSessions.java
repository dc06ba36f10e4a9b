package io.tierlog.kafka;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.FetchMetadata;

/**
 * The incremental fetch sessions (KIP-227) of one connection, so a consumer of many partitions need not resend
 * them all in every Fetch and is answered only about partitions that changed. Per connection (a client keeps its
 * session on the connection it fetches on) and bounded: at most {@link #MAX_SESSIONS}, the least recently used one
 * evicted (its client then gets FETCH_SESSION_ID_NOT_FOUND and starts a new one). Confined to the connection's
 * thread.
 *
 * <p>Request metadata, as in Kafka's FetchManager: epoch -1 is sessionless (closing the named session, if any);
 * epoch 0 opens a new session with the request's partitions (closing the named one); epoch n > 0 continues
 * session {@code sessionId}, which must expect epoch n.
 */
final class FetchSessions {

    static final int MAX_SESSIONS = 4;

    /** A session (or none) as the fetch handler uses it for one request. */
    interface Session {
        /** The sessionless "session": full requests, full answers. */
        Session NONE = new Session() {
            @Override
            public int id() {
                return FetchMetadata.INVALID_SESSION_ID;
            }

            @Override
            public List<FetchHandler.Wanted> partitions(List<FetchHandler.Wanted> requested) {
                return requested;
            }

            @Override
            public List<FetchHandler.PartitionRead> select(List<FetchHandler.PartitionRead> reads) {
                return reads;
            }

            @Override
            public void commit(List<FetchHandler.PartitionRead> answered) {
            }
        };

        int id();

        /** Every partition to read: the request's, or the session's after applying the request to it. */
        List<FetchHandler.Wanted> partitions(List<FetchHandler.Wanted> requested);

        /** The reads that go into the response (an incremental response leaves out unchanged partitions). */
        List<FetchHandler.PartitionRead> select(List<FetchHandler.PartitionRead> reads);

        /** Remembers what the client was told, once the response is built. */
        void commit(List<FetchHandler.PartitionRead> answered);
    }

    /** The session for a request, or a top-level error. */
    record Opened(Session session, Errors error) {
        static Opened of(Session s) {
            return new Opened(s, Errors.NONE);
        }

        static Opened failed(Errors e) {
            return new Opened(null, e);
        }
    }

    /** What the session last told the client about a partition, and where the client reads it. */
    private static final class Cached {
        long fetchOffset;
        int maxBytes;
        long sentHighWatermark = -1;
        long sentLogStartOffset = -1;

        Cached(FetchHandler.Wanted w) {
            update(w);
        }

        void update(FetchHandler.Wanted w) {
            fetchOffset = w.offset();
            maxBytes = w.maxBytes();
        }
    }

    /** One live session: its partitions in read order, and the epoch its next request must carry. */
    private final class Live {
        final int id;
        final LinkedHashMap<FetchHandler.Key, Cached> partitions = new LinkedHashMap<>();
        int nextEpoch = 1;

        Live(int id) {
            this.id = id;
        }

        Session view(boolean full) {
            return new Session() {
                @Override
                public int id() {
                    return id;
                }

                @Override
                public List<FetchHandler.Wanted> partitions(List<FetchHandler.Wanted> requested) {
                    List<FetchHandler.Wanted> all = new ArrayList<>(partitions.size());
                    partitions.forEach((k, c) -> all.add(new FetchHandler.Wanted(k, c.fetchOffset, c.maxBytes)));
                    return all;
                }

                @Override
                public List<FetchHandler.PartitionRead> select(List<FetchHandler.PartitionRead> reads) {
                    if (full) {
                        return reads;
                    }
                    List<FetchHandler.PartitionRead> changed = new ArrayList<>();
                    for (FetchHandler.PartitionRead r : reads) {
                        Cached c = partitions.get(r.key());
                        if (c == null || r.failed() || r.bytes() > 0
                                || r.data().highWatermark() != c.sentHighWatermark
                                || r.data().logStartOffset() != c.sentLogStartOffset) {
                            changed.add(r);
                        }
                    }
                    return changed;
                }

                @Override
                public void commit(List<FetchHandler.PartitionRead> answered) {
                    for (FetchHandler.PartitionRead r : answered) {
                        Cached c = partitions.get(r.key());
                        if (c == null) {
                            continue;
                        }
                        c.sentHighWatermark = r.data().highWatermark();
                        c.sentLogStartOffset = r.data().logStartOffset();
                        if (r.bytes() > 0) {
                            // rotate partitions that got data to the back, so a small maxBytes serves all in turn
                            partitions.remove(r.key());
                            partitions.put(r.key(), c);
                        }
                    }
                    nextEpoch = FetchMetadata.nextEpoch(nextEpoch);
                }
            };
        }
    }

    /** Live sessions, least recently used first. */
    private final LinkedHashMap<Integer, Live> sessions = new LinkedHashMap<>(8, 0.75f, true);

    Opened open(int sessionId, int epoch, List<FetchHandler.Wanted> requested, List<FetchHandler.Key> forgotten) {
        if (epoch == FetchMetadata.FINAL_EPOCH) {
            sessions.remove(sessionId);
            return Opened.of(Session.NONE);
        }
        if (epoch == FetchMetadata.INITIAL_EPOCH) {
            sessions.remove(sessionId);
            Live s = new Live(newId());
            for (FetchHandler.Wanted w : requested) {
                s.partitions.put(w.key(), new Cached(w));
            }
            evictIfFull();
            sessions.put(s.id, s);
            return Opened.of(s.view(true));
        }
        if (epoch < 0) {
            return Opened.failed(Errors.INVALID_FETCH_SESSION_EPOCH);
        }
        Live s = sessions.get(sessionId);
        if (s == null) {
            return Opened.failed(Errors.FETCH_SESSION_ID_NOT_FOUND);
        }
        if (s.nextEpoch != epoch) {
            return Opened.failed(Errors.INVALID_FETCH_SESSION_EPOCH);
        }
        for (FetchHandler.Wanted w : requested) {
            Cached c = s.partitions.get(w.key());
            if (c == null) {
                s.partitions.put(w.key(), new Cached(w));
            } else {
                c.update(w);
            }
        }
        for (FetchHandler.Key k : forgotten) {
            s.partitions.remove(k);
        }
        return Opened.of(s.view(false));
    }

    int size() {
        return sessions.size();
    }

    private void evictIfFull() {
        Iterator<Map.Entry<Integer, Live>> eldest = sessions.entrySet().iterator();
        while (sessions.size() >= MAX_SESSIONS && eldest.hasNext()) {
            eldest.next();
            eldest.remove();
        }
    }

    private int newId() {
        int id;
        do {
            id = ThreadLocalRandom.current().nextInt(1, Integer.MAX_VALUE);
        } while (sessions.containsKey(id));
        return id;
    }
}
