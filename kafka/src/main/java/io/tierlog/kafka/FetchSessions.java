package io.tierlog.kafka;

import java.util.List;

import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.FetchMetadata;

/**
 * The fetch sessions (KIP-227) of one connection. Sessionless for now: a request with sessionId 0 is answered in
 * full with sessionId 0 (clients then keep sending full fetches); any other session id is unknown.
 * Confined to its connection's thread.
 */
final class FetchSessions {

    /** A session (or none) as the fetch handler uses it. */
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

        /** Remembers what the client was told. */
        void commit(List<FetchHandler.PartitionRead> answered);
    }

    /** The session for a request, or a top-level error. */
    record Opened(Session session, Errors error) {
    }

    Opened open(int sessionId, int epoch, List<FetchHandler.Wanted> requested, List<FetchHandler.Key> forgotten) {
        if (sessionId == FetchMetadata.INVALID_SESSION_ID) {
            if (epoch == FetchMetadata.INITIAL_EPOCH || epoch == FetchMetadata.FINAL_EPOCH) {
                return new Opened(Session.NONE, Errors.NONE);
            }
            return new Opened(null, Errors.INVALID_FETCH_SESSION_EPOCH);
        }
        return new Opened(null, Errors.FETCH_SESSION_ID_NOT_FOUND);
    }
}
