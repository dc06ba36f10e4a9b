package io.tierlog.kafka;

import java.util.List;

import org.apache.kafka.common.requests.AbstractResponse;

/** What a request handler hands back to its connection. */
sealed interface Reply {

    /** Write {@code response}, then release {@code pinned} (also when the write fails). */
    record Respond(AbstractResponse response, List<FetchChunk> pinned) implements Reply {
        Respond(AbstractResponse response) {
            this(response, List.of());
        }
    }

    /** Write {@code response}, then close the connection (a failed SASL authentication, as Kafka does). */
    record Final(AbstractResponse response, String why) implements Reply {
    }

    /** Nothing to write (Produce with acks=0). */
    record Silent() implements Reply {
    }

    /** Close the connection (Produce with acks=0 failed: Kafka closes so the client notices and refreshes). */
    record Close(String why) implements Reply {
    }
}
