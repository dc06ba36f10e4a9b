package io.tierlog.kafka;

import java.util.UUID;

import org.apache.kafka.common.Uuid;

/** Tierlog's topic ids ({@link UUID}) as Kafka's {@link Uuid} and back: the same 128 bits. */
final class TopicIds {

    private TopicIds() {
    }

    static Uuid toKafka(UUID id) {
        return new Uuid(id.getMostSignificantBits(), id.getLeastSignificantBits());
    }

    static UUID fromKafka(Uuid id) {
        return new UUID(id.getMostSignificantBits(), id.getLeastSignificantBits());
    }
}
