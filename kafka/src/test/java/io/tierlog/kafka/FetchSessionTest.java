package io.tierlog.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FetchResponse;
import org.apache.kafka.common.requests.ProduceResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Incremental fetch sessions (KIP-227), driven request by request over one connection. */
class FetchSessionTest {

    private static final short VERSION = 12;

    private ListenerFixture fixture;
    private RawClient client;
    private int correlation;

    @BeforeEach
    void start() throws Exception {
        fixture = new ListenerFixture();
        fixture.backend.createTopic("s", 2);
        client = new RawClient(fixture.listener.port());
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        fixture.close();
    }

    private FetchResponseData fetch(int sessionId, int epoch, List<Integer> partitions, List<Integer> forgotten)
            throws Exception {
        FetchRequestData data = new FetchRequestData().setReplicaId(-1).setMaxWaitMs(0).setMinBytes(0).setMaxBytes(1 << 20)
                .setSessionId(sessionId).setSessionEpoch(epoch);
        if (!partitions.isEmpty()) {
            data.setTopics(List.of(new FetchRequestData.FetchTopic().setTopic("s").setPartitions(partitions.stream()
                    .map(p -> new FetchRequestData.FetchPartition().setPartition(p).setFetchOffset(0)
                            .setPartitionMaxBytes(1 << 20)).toList())));
        }
        if (!forgotten.isEmpty()) {
            data.setForgottenTopicsData(List.of(new FetchRequestData.ForgottenTopic().setTopic("s").setPartitions(forgotten)));
        }
        return client.roundTrip(new FetchRequest(data, VERSION), ++correlation, FetchResponse.class).data();
    }

    private void produce(int partition, String value) throws Exception {
        var request = RawClient.produce((short) 9, "s", Uuid.ZERO_UUID, (short) 1, RawClient.records(value));
        request.data().topicData().iterator().next().partitionData().getFirst().setIndex(partition);
        ProduceResponse r = client.roundTrip(request, ++correlation, ProduceResponse.class);
        assertThat(r.data().responses().iterator().next().partitionResponses().getFirst().errorCode()).isZero();
    }

    private static List<Integer> partitionsIn(FetchResponseData r) {
        return r.responses().stream().flatMap(t -> t.partitions().stream())
                .map(FetchResponseData.PartitionData::partitionIndex).toList();
    }

    @Test
    void an_incremental_session_answers_only_what_changed() throws Exception {
        FetchResponseData full = fetch(0, 0, List.of(0, 1), List.of());
        int session = full.sessionId();
        assertThat(session).isNotZero();
        assertThat(partitionsIn(full)).containsExactly(0, 1);

        assertThat(partitionsIn(fetch(session, 1, List.of(), List.of()))).as("nothing changed").isEmpty();

        produce(1, "one");
        FetchResponseData changed = fetch(session, 2, List.of(), List.of());
        assertThat(changed.errorCode()).isZero();
        assertThat(partitionsIn(changed)).containsExactly(1);
        assertThat(changed.responses().getFirst().partitions().getFirst().highWatermark()).isEqualTo(1);

        fetch(session, 3, List.of(), List.of(1));
        produce(1, "two");
        produce(0, "zero");
        assertThat(partitionsIn(fetch(session, 4, List.of(), List.of()))).as("partition 1 was forgotten").containsExactly(0);
    }

    @Test
    void a_wrong_epoch_or_unknown_session_is_a_top_level_error_and_epoch_minus_one_closes() throws Exception {
        int session = fetch(0, 0, List.of(0), List.of()).sessionId();
        assertThat(fetch(session, 5, List.of(), List.of()).errorCode()).isEqualTo(Errors.INVALID_FETCH_SESSION_EPOCH.code());
        assertThat(fetch(session + 1, 1, List.of(), List.of()).errorCode()).isEqualTo(Errors.FETCH_SESSION_ID_NOT_FOUND.code());

        FetchResponseData sessionless = fetch(session, -1, List.of(0), List.of());
        assertThat(sessionless.sessionId()).isZero();
        assertThat(partitionsIn(sessionless)).containsExactly(0);
        assertThat(fetch(session, 1, List.of(), List.of()).errorCode()).isEqualTo(Errors.FETCH_SESSION_ID_NOT_FOUND.code());
    }

    @Test
    void sessions_per_connection_are_bounded_evicting_the_least_recently_used() throws Exception {
        int first = fetch(0, 0, List.of(0), List.of()).sessionId();
        for (int i = 0; i < FetchSessions.MAX_SESSIONS; i++) {
            fetch(0, 0, List.of(0), List.of());
        }
        assertThat(fetch(first, 1, List.of(), List.of()).errorCode()).isEqualTo(Errors.FETCH_SESSION_ID_NOT_FOUND.code());
    }
}
