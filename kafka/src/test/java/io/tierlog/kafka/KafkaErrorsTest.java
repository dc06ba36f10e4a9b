package io.tierlog.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletionException;

import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.tierlog.kafka.BackendException.Reason;
import io.tierlog.kafka.KafkaErrors.TopicNaming;

class KafkaErrorsTest {

    @ParameterizedTest
    @EnumSource(Reason.class)
    void every_reason_has_a_code(Reason reason) {
        assertThat(KafkaErrors.forReason(reason, TopicNaming.BY_NAME)).isNotEqualTo(Errors.NONE);
    }

    @Test
    void unknown_topics_are_reported_the_way_the_request_named_them() {
        assertThat(KafkaErrors.forReason(Reason.UNKNOWN_TOPIC_OR_PARTITION, TopicNaming.BY_NAME))
                .isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
        assertThat(KafkaErrors.forReason(Reason.UNKNOWN_TOPIC_OR_PARTITION, TopicNaming.BY_ID))
                .isEqualTo(Errors.UNKNOWN_TOPIC_ID);
    }

    @Test
    void broker_side_trouble_is_retriable_for_clients_and_transactions_are_not() {
        for (Reason r : new Reason[] {Reason.OVERLOADED, Reason.SHUTTING_DOWN, Reason.STORAGE_ERROR}) {
            assertThat(KafkaErrors.forReason(r, TopicNaming.BY_NAME).exception()).as(r.name())
                    .isInstanceOf(RetriableException.class);
        }
        assertThat(KafkaErrors.forReason(Reason.TRANSACTIONS_UNSUPPORTED, TopicNaming.BY_NAME).exception())
                .isNotInstanceOf(RetriableException.class);
        assertThat(KafkaErrors.forReason(Reason.RECORD_TOO_LARGE, TopicNaming.BY_NAME)).isEqualTo(Errors.MESSAGE_TOO_LARGE);
    }

    @Test
    void failures_are_unwrapped_and_keep_their_message() {
        KafkaErrors.Failure backend = KafkaErrors.forFailure(new CompletionException(
                new BackendException(Reason.INVALID_RECORD, "bad metric")), TopicNaming.BY_NAME);
        assertThat(backend.error()).isEqualTo(Errors.INVALID_RECORD);
        assertThat(backend.message()).isEqualTo("bad metric");
        assertThat(backend.backend()).isNotNull();

        KafkaErrors.Failure library = KafkaErrors.forFailure(new InvalidRecordException("two batches"), TopicNaming.BY_NAME);
        assertThat(library.error()).isEqualTo(Errors.INVALID_RECORD);

        KafkaErrors.Failure bug = KafkaErrors.forFailure(new IllegalStateException("oops"), TopicNaming.BY_NAME);
        assertThat(bug.error()).isEqualTo(Errors.UNKNOWN_SERVER_ERROR);
        assertThat(bug.message()).isNull();
    }
}
