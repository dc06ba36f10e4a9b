package io.tierlog.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.Record;
import org.apache.kafka.common.record.RecordBatch;
import org.apache.kafka.common.requests.ApiVersionsRequest;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FetchResponse;
import org.apache.kafka.common.requests.FindCoordinatorRequest;
import org.apache.kafka.common.requests.FindCoordinatorResponse;
import org.apache.kafka.common.requests.InitProducerIdRequest;
import org.apache.kafka.common.requests.InitProducerIdResponse;
import org.apache.kafka.common.requests.ListOffsetsRequest;
import org.apache.kafka.common.requests.ListOffsetsResponse;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.MetadataResponse;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.ProduceResponse;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Byte-level behaviour: frame limits, malformed input, version gating, ordering, acks=0, old protocol versions. */
class RawProtocolTest {

    private static final int MAX_REQUEST = 64 * 1024;

    private ListenerFixture fixture;

    @BeforeEach
    void start() throws Exception {
        fixture = new ListenerFixture(MAX_REQUEST);
    }

    @AfterEach
    void stop() throws Exception {
        fixture.close();
    }

    private static ApiVersionsRequest apiVersions(short version) {
        return new ApiVersionsRequest(new ApiVersionsRequestData()
                .setClientSoftwareName("raw-test").setClientSoftwareVersion("1.0"), version);
    }

    private void assertStillServes(RawClient client, int correlationId) throws Exception {
        ApiVersionsResponse r = client.roundTrip(apiVersions((short) 3), correlationId, ApiVersionsResponse.class);
        assertThat(r.data().errorCode()).isEqualTo(Errors.NONE.code());
    }

    private static byte[] ints(int... values) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(b);
        for (int v : values) {
            out.writeInt(v);
        }
        return b.toByteArray();
    }

    @Test
    void a_frame_larger_than_the_limit_or_negative_closes_that_connection_and_no_other() throws Exception {
        try (RawClient bystander = new RawClient(fixture.listener.port());
             RawClient huge = new RawClient(fixture.listener.port());
             RawClient negative = new RawClient(fixture.listener.port())) {
            assertStillServes(bystander, 1);
            huge.sendRaw(ints(MAX_REQUEST + 1));
            negative.sendRaw(ints(-5));
            assertThat(huge.closedByListener()).isTrue();
            assertThat(negative.closedByListener()).isTrue();
            assertStillServes(bystander, 2);
        }
        assertThat(fixture.counter("tierlog.kafka.connections.rejected", "reason", "frame_size")).isEqualTo(2);
    }

    @Test
    void a_frame_cut_short_by_the_client_closes_the_connection() throws Exception {
        try (RawClient cut = new RawClient(fixture.listener.port())) {
            cut.sendRaw(ints(100, 1, 2));
            cut.shutdownOutput();
            assertThat(cut.closedByListener()).isTrue();
        }
        await().until(() -> fixture.counter("tierlog.kafka.connections.rejected", "reason", "truncated") == 1);
    }

    @Test
    void a_request_whose_body_is_truncated_closes_the_connection() throws Exception {
        MetadataRequest metadata = new MetadataRequest(new MetadataRequestData().setTopics(List.of(
                new MetadataRequestData.MetadataRequestTopic().setName("some-topic-name"))), (short) 12);
        byte[] whole = RawClient.payload(metadata, 1);
        byte[] truncated = java.util.Arrays.copyOf(whole, whole.length - 8);
        try (RawClient client = new RawClient(fixture.listener.port()); RawClient other = new RawClient(fixture.listener.port())) {
            client.sendFrame(truncated);
            assertThat(client.closedByListener()).isTrue();
            assertStillServes(other, 1);
        }
        assertThat(fixture.counter("tierlog.kafka.connections.rejected", "reason", "malformed")).isEqualTo(1);
    }

    @Test
    void an_unknown_api_key_closes_the_connection() throws Exception {
        try (RawClient client = new RawClient(fixture.listener.port())) {
            // api key 9999, version 0, correlation id 1, client id ""
            client.sendFrame(HexFormat.of().parseHex("270f0000000000010000"));
            assertThat(client.closedByListener()).isTrue();
        }
        assertThat(fixture.counter("tierlog.kafka.connections.rejected", "reason", "unknown_api")).isEqualTo(1);
    }

    @Test
    void a_version_that_is_not_served_closes_the_connection() throws Exception {
        try (RawClient metadataV14 = new RawClient(fixture.listener.port());
             RawClient produceV2 = new RawClient(fixture.listener.port())) {
            // Metadata (3) v14, correlation id 1, client id "", no tagged fields, an empty body
            metadataV14.sendFrame(HexFormat.of().parseHex("0003000e00000001000000"));
            assertThat(metadataV14.closedByListener()).isTrue();
            // Produce v2 is advertised (librdkafka needs v0 in the range, KAFKA-18659) but not served
            produceV2.sendFrame(HexFormat.of().parseHex("0000000200000001000000000000ffff"));
            assertThat(produceV2.closedByListener()).isTrue();
        }
        assertThat(fixture.counter("tierlog.kafka.connections.rejected", "reason", "unsupported_version")).isEqualTo(2);
    }

    @Test
    void api_versions_at_a_version_newer_than_known_gets_the_v0_unsupported_version_answer() throws Exception {
        try (RawClient client = new RawClient(fixture.listener.port())) {
            // ApiVersions (18) v5, correlation id 7, client id "test", tagged fields 0, then a v3-like body
            client.sendFrame(HexFormat.of().parseHex("0012000500000007000474657374" + "00" + "05" + "6a617661" + "02" + "31" + "00"));
            byte[] answer = client.receiveFrame();
            assertThat(HexFormat.of().formatHex(answer)).isEqualTo("00000007" + "0023" + "00000001" + "0012" + "0000" + "0004");
            assertStillServes(client, 8);
        }
    }

    @Test
    void api_versions_advertises_exactly_what_is_served() throws Exception {
        try (RawClient client = new RawClient(fixture.listener.port())) {
            ApiVersionsResponse r = client.roundTrip(apiVersions((short) 4), 1, ApiVersionsResponse.class);
            Map<Short, ApiVersionsResponseData.ApiVersion> byKey = r.data().apiKeys().stream()
                    .collect(Collectors.toMap(ApiVersionsResponseData.ApiVersion::apiKey, Function.identity()));
            assertThat(byKey.keySet()).containsExactlyInAnyOrder(
                    ApiKeys.API_VERSIONS.id, ApiKeys.METADATA.id, ApiKeys.PRODUCE.id, ApiKeys.FETCH.id,
                    ApiKeys.LIST_OFFSETS.id, ApiKeys.INIT_PRODUCER_ID.id, ApiKeys.FIND_COORDINATOR.id,
                    ApiKeys.CREATE_TOPICS.id, ApiKeys.DELETE_TOPICS.id, ApiKeys.DESCRIBE_CONFIGS.id,
                    ApiKeys.DESCRIBE_CLUSTER.id, ApiKeys.JOIN_GROUP.id, ApiKeys.SYNC_GROUP.id, ApiKeys.HEARTBEAT.id,
                    ApiKeys.LEAVE_GROUP.id, ApiKeys.OFFSET_COMMIT.id, ApiKeys.OFFSET_FETCH.id, ApiKeys.LIST_GROUPS.id,
                    ApiKeys.DESCRIBE_GROUPS.id, ApiKeys.DELETE_GROUPS.id, ApiKeys.DELETE_RECORDS.id, ApiKeys.OFFSET_DELETE.id);
            assertThat(byKey).as("KIP-848's consumer protocol is not served").doesNotContainKey(ApiKeys.CONSUMER_GROUP_HEARTBEAT.id);
            assertThat(range(byKey, ApiKeys.PRODUCE)).isEqualTo("0-13");
            assertThat(range(byKey, ApiKeys.FETCH)).isEqualTo("4-18");
            assertThat(range(byKey, ApiKeys.LIST_OFFSETS)).isEqualTo("1-10");
            assertThat(range(byKey, ApiKeys.INIT_PRODUCER_ID)).isEqualTo("0-5");
            assertThat(range(byKey, ApiKeys.FIND_COORDINATOR)).isEqualTo("0-6");
            assertThat(range(byKey, ApiKeys.METADATA)).isEqualTo("0-13");
            assertThat(range(byKey, ApiKeys.JOIN_GROUP)).isEqualTo("0-9");
            assertThat(range(byKey, ApiKeys.SYNC_GROUP)).isEqualTo("0-5");
            assertThat(range(byKey, ApiKeys.HEARTBEAT)).isEqualTo("0-4");
            assertThat(range(byKey, ApiKeys.LEAVE_GROUP)).isEqualTo("0-5");
            assertThat(range(byKey, ApiKeys.OFFSET_COMMIT)).as("v10 (topic ids) is unstable in 4.1").isEqualTo("2-9");
            assertThat(range(byKey, ApiKeys.OFFSET_FETCH)).isEqualTo("1-9");
            assertThat(range(byKey, ApiKeys.LIST_GROUPS)).isEqualTo("0-5");
            assertThat(range(byKey, ApiKeys.DESCRIBE_GROUPS)).isEqualTo("0-6");
            assertThat(range(byKey, ApiKeys.DELETE_GROUPS)).isEqualTo("0-2");
            assertThat(range(byKey, ApiKeys.DELETE_RECORDS)).isEqualTo("0-2");
            assertThat(range(byKey, ApiKeys.OFFSET_DELETE)).isEqualTo("0-0");
        }
    }

    @ParameterizedTest(name = "DeleteRecords v{0}")
    @ValueSource(shorts = {0, 1, 2})
    void delete_records_answers_each_partition_with_its_low_watermark_or_error(short version) throws Exception {
        fixture.backend.createTopic("purge", 2);
        try (RawClient client = new RawClient(fixture.listener.port())) {
            client.roundTrip(RawClient.produce((short) 9, "purge", Uuid.ZERO_UUID, (short) 1,
                    RawClient.records("a", "b", "c", "d", "e")), 6, ProduceResponse.class);
            org.apache.kafka.common.message.DeleteRecordsRequestData d = new org.apache.kafka.common.message.DeleteRecordsRequestData()
                    .setTimeoutMs(1000);
            d.topics().add(new org.apache.kafka.common.message.DeleteRecordsRequestData.DeleteRecordsTopic().setName("purge")
                    .setPartitions(List.of(
                            new org.apache.kafka.common.message.DeleteRecordsRequestData.DeleteRecordsPartition().setPartitionIndex(0).setOffset(3),
                            new org.apache.kafka.common.message.DeleteRecordsRequestData.DeleteRecordsPartition().setPartitionIndex(1).setOffset(9),
                            new org.apache.kafka.common.message.DeleteRecordsRequestData.DeleteRecordsPartition().setPartitionIndex(7).setOffset(0))));
            d.topics().add(new org.apache.kafka.common.message.DeleteRecordsRequestData.DeleteRecordsTopic().setName("nowhere")
                    .setPartitions(List.of(
                            new org.apache.kafka.common.message.DeleteRecordsRequestData.DeleteRecordsPartition().setPartitionIndex(0).setOffset(-1))));
            org.apache.kafka.common.requests.DeleteRecordsResponse r = client.roundTrip(
                    new org.apache.kafka.common.requests.DeleteRecordsRequest.Builder(d).build(version), 7,
                    org.apache.kafka.common.requests.DeleteRecordsResponse.class);
            Map<String, String> got = new java.util.TreeMap<>();
            r.data().topics().forEach(t -> t.partitions().forEach(p -> got.put(t.name() + "-" + p.partitionIndex(),
                    Errors.forCode(p.errorCode()) + "@" + p.lowWatermark())));
            assertThat(got).containsExactly(
                    Map.entry("nowhere-0", "UNKNOWN_TOPIC_OR_PARTITION@-1"),
                    Map.entry("purge-0", "NONE@3"),
                    Map.entry("purge-1", "OFFSET_OUT_OF_RANGE@-1"),
                    Map.entry("purge-7", "UNKNOWN_TOPIC_OR_PARTITION@-1"));
        }
    }

    private static String range(Map<Short, ApiVersionsResponseData.ApiVersion> byKey, ApiKeys key) {
        ApiVersionsResponseData.ApiVersion v = byKey.get(key.id);
        return v.minVersion() + "-" + v.maxVersion();
    }

    @Test
    void pipelined_requests_are_answered_in_request_order() throws Exception {
        fixture.backend.createTopic("slow", 1);
        FetchRequest longPoll = RawClient.fetch((short) 12, "slow", 0, 700, 1);
        MetadataRequest metadata = new MetadataRequest(new MetadataRequestData().setTopics(null), (short) 12);
        ApiVersionsRequest versions = apiVersions((short) 3);
        try (RawClient client = new RawClient(fixture.listener.port())) {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            for (byte[] p : List.of(RawClient.payload(longPoll, 1), RawClient.payload(metadata, 2), RawClient.payload(versions, 3))) {
                all.write(ints(p.length));
                all.write(p);
            }
            client.sendRaw(all.toByteArray());
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                order.add(ByteBuffer.wrap(client.receiveFrame()).getInt());
            }
            assertThat(order).containsExactly(1, 2, 3);
        }
    }

    /**
     * Produces are pipelined: a connection's next produce reaches the backend while the earlier ones still wait for
     * their acknowledgement (so one fsync can cover several requests), yet the answers go out in request order, and
     * a request of another kind waits until every produce before it was answered.
     */
    @Test
    void produces_are_appended_while_earlier_ones_await_their_acknowledgement_and_answered_in_order() throws Exception {
        fixture.backend.createTopic("piped", 1);
        CompletableFuture<Void> gate = new CompletableFuture<>();
        fixture.backend.ackGate = gate;
        try (RawClient client = new RawClient(fixture.listener.port())) {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            for (int i = 1; i <= 3; i++) {
                byte[] p = RawClient.payload(RawClient.produce((short) 9, "piped", Uuid.ZERO_UUID, (short) -1,
                        RawClient.records("r" + i)), i);
                all.write(ints(p.length));
                all.write(p);
            }
            byte[] m = RawClient.payload(new MetadataRequest(new MetadataRequestData().setTopics(null), (short) 12), 4);
            all.write(ints(m.length));
            all.write(m);
            client.sendRaw(all.toByteArray());
            await().until(() -> fixture.backend.produceCalls.get() == 3);
            assertThat(fixture.backend.storedBatches("piped", 0)).hasSize(3);
            client.timeout(300);
            assertThatThrownBy(client::receiveFrame).as("no answer before the acknowledgements")
                    .isInstanceOf(java.net.SocketTimeoutException.class);
            gate.complete(null);
            client.timeout(10_000);
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                order.add(ByteBuffer.wrap(client.receiveFrame()).getInt());
            }
            assertThat(order).containsExactly(1, 2, 3, 4);
        } finally {
            fixture.backend.ackGate = null;
        }
    }

    @Test
    void produce_with_acks_0_is_not_answered_and_the_next_request_is() throws Exception {
        fixture.backend.createTopic("fire", 1);
        try (RawClient client = new RawClient(fixture.listener.port())) {
            client.send(RawClient.produce((short) 9, "fire", Uuid.ZERO_UUID, (short) 0, RawClient.records("a", "b")), 1);
            ApiVersionsRequest versions = apiVersions((short) 3);
            client.send(versions, 2);
            assertThat(ByteBuffer.wrap(client.receiveFrame()).getInt()).as("the first answer is for the second request").isEqualTo(2);
        }
        assertThat(fixture.backend.storedBatches("fire", 0)).hasSize(1);
    }

    @Test
    void a_produce_with_acks_0_that_fails_closes_the_connection() throws Exception {
        try (RawClient client = new RawClient(fixture.listener.port())) {
            client.send(RawClient.produce((short) 9, "missing", Uuid.ZERO_UUID, (short) 0, RawClient.records("a")), 1);
            assertThat(client.closedByListener()).isTrue();
        }
    }

    @Test
    void classic_versions_as_librdkafka_uses_them_produce_fetch_list_offsets_and_find_coordinator() throws Exception {
        fixture.backend.createTopic("classic", 1);
        try (RawClient client = new RawClient(fixture.listener.port())) {
            MetadataResponse md = client.roundTrip(new MetadataRequest(new MetadataRequestData().setTopics(List.of()), (short) 0),
                    1, MetadataResponse.class);
            assertThat(md.topicMetadata()).singleElement().satisfies(t -> assertThat(t.topic()).isEqualTo("classic"));

            ProduceResponse produced = client.roundTrip(RawClient.produce((short) 3, "classic", Uuid.ZERO_UUID, (short) 1,
                    RawClient.records("one", "two", "three")), 2, ProduceResponse.class);
            assertThat(produced.data().responses().iterator().next().partitionResponses().getFirst().errorCode()).isZero();

            FetchResponse fetched = client.roundTrip(RawClient.fetch((short) 4, "classic", 1, 0, 1), 3, FetchResponse.class);
            var partition = fetched.data().responses().getFirst().partitions().getFirst();
            assertThat(partition.highWatermark()).isEqualTo(3);
            List<String> values = new ArrayList<>();
            for (RecordBatch b : ((MemoryRecords) partition.records()).batches()) {
                for (Record r : b) {
                    values.add(Utils.utf8(r.value()));
                }
            }
            // the whole batch comes back; the client skips records before its fetch offset
            assertThat(values).containsExactly("one", "two", "three");

            for (short v : new short[] {1, 2, 3}) {
                ListOffsetsResponse latest = client.roundTrip(listOffsets(v, "classic", ListOffsetsRequest.LATEST_TIMESTAMP),
                        10 + v, ListOffsetsResponse.class);
                assertThat(latest.data().topics().getFirst().partitions().getFirst().offset()).isEqualTo(3);
            }

            FindCoordinatorResponse coordinator = client.roundTrip(new FindCoordinatorRequest.Builder(
                    new FindCoordinatorRequestData().setKey("group-1")).build((short) 0), 20, FindCoordinatorResponse.class);
            assertThat(coordinator.error()).isEqualTo(Errors.NONE);
            assertThat(coordinator.data().nodeId()).isZero();
            assertThat(coordinator.data().port()).isEqualTo(fixture.listener.port());

            InitProducerIdResponse pid = client.roundTrip(new InitProducerIdRequest.Builder(
                    new InitProducerIdRequestData().setTransactionalId(null).setTransactionTimeoutMs(60000)).build((short) 0),
                    21, InitProducerIdResponse.class);
            assertThat(pid.error()).isEqualTo(Errors.NONE);
            assertThat(pid.data().producerId()).isNotNegative();
        }
    }

    @Test
    void list_offsets_answers_every_sentinel_and_timestamps() throws Exception {
        fixture.backend.createTopic("offsets", 1);
        try (RawClient client = new RawClient(fixture.listener.port())) {
            // records with timestamps 1000, 1001, 1002 at offsets 0, 1, 2
            client.roundTrip(RawClient.produce((short) 9, "offsets", Uuid.ZERO_UUID, (short) 1,
                    RawClient.records("a", "b", "c")), 1, ProduceResponse.class);
            short v9 = 9;
            assertThat(offsetAndTime(client, v9, ListOffsetsRequest.EARLIEST_TIMESTAMP)).isEqualTo("0@-1");
            assertThat(offsetAndTime(client, v9, ListOffsetsRequest.LATEST_TIMESTAMP)).isEqualTo("3@-1");
            assertThat(offsetAndTime(client, v9, ListOffsetsRequest.MAX_TIMESTAMP)).isEqualTo("2@1002");
            assertThat(offsetAndTime(client, v9, ListOffsetsRequest.EARLIEST_LOCAL_TIMESTAMP)).isEqualTo("0@-1");
            assertThat(offsetAndTime(client, v9, ListOffsetsRequest.LATEST_TIERED_TIMESTAMP)).as("nothing offloaded").isEqualTo("-1@-1");
            fixture.backend.remoteEndOffset.set(2);
            assertThat(offsetAndTime(client, v9, ListOffsetsRequest.LATEST_TIERED_TIMESTAMP)).isEqualTo("1@-1");
            assertThat(offsetAndTime(client, v9, 1001)).isEqualTo("1@1001");
            assertThat(offsetAndTime(client, (short) 2, 5000)).as("no such record").isEqualTo("-1@-1");
        }
    }

    private String offsetAndTime(RawClient client, short version, long timestamp) throws Exception {
        ListOffsetsResponse r = client.roundTrip(listOffsets(version, "offsets", timestamp), 100, ListOffsetsResponse.class);
        var p = r.data().topics().getFirst().partitions().getFirst();
        assertThat(p.errorCode()).isZero();
        return p.offset() + "@" + p.timestamp();
    }

    @Test
    void a_batch_larger_than_the_partition_limit_still_comes_back_whole_but_only_as_the_first_data() throws Exception {
        fixture.backend.createTopic("big", 2);
        String large = "x".repeat(5_000);
        try (RawClient client = new RawClient(fixture.listener.port())) {
            for (int p = 0; p < 2; p++) {
                var produce = RawClient.produce((short) 9, "big", Uuid.ZERO_UUID, (short) 1, RawClient.records(large));
                produce.data().topicData().iterator().next().partitionData().getFirst().setIndex(p);
                client.roundTrip(produce, 1 + p, ProduceResponse.class);
            }
            FetchRequest request = RawClient.fetch((short) 12, "big", 0, 0, 1);
            request.data().setMaxBytes(1_000);
            var fetchTopic = request.data().topics().getFirst();
            fetchTopic.partitions().getFirst().setPartitionMaxBytes(100);
            fetchTopic.partitions().add(new org.apache.kafka.common.message.FetchRequestData.FetchPartition()
                    .setPartition(1).setFetchOffset(0).setPartitionMaxBytes(100));
            FetchResponse r = client.roundTrip(request, 3, FetchResponse.class);
            var partitions = r.data().responses().getFirst().partitions();
            assertThat(partitions.get(0).records().sizeInBytes()).as("KIP-74: one whole batch despite the limits")
                    .isGreaterThan(5_000);
            assertThat(partitions.get(1).records().sizeInBytes()).as("the response limit is spent").isZero();
            assertThat(partitions.get(1).highWatermark()).isEqualTo(1);
        }
    }

    @Test
    void unknown_topic_ids_answer_unknown_topic_id() throws Exception {
        Uuid unknown = Uuid.randomUuid();
        try (RawClient client = new RawClient(fixture.listener.port())) {
            ProduceResponse produced = client.roundTrip(RawClient.produce((short) 13, null, unknown, (short) 1,
                    RawClient.records("x")), 1, ProduceResponse.class);
            assertThat(produced.data().responses().iterator().next().partitionResponses().getFirst().errorCode())
                    .isEqualTo(Errors.UNKNOWN_TOPIC_ID.code());
            FetchRequest fetch = RawClient.fetch((short) 13, null, 0, 0, 1);
            fetch.data().topics().getFirst().setTopic("").setTopicId(unknown);
            FetchResponse fetched = client.roundTrip(fetch, 2, FetchResponse.class);
            assertThat(fetched.data().responses().getFirst().topicId()).isEqualTo(unknown);
            assertThat(fetched.data().responses().getFirst().partitions().getFirst().errorCode())
                    .isEqualTo(Errors.UNKNOWN_TOPIC_ID.code());
        }
    }

    @Test
    void init_producer_id_with_a_transactional_id_is_refused() throws Exception {
        try (RawClient client = new RawClient(fixture.listener.port())) {
            InitProducerIdResponse r = client.roundTrip(new InitProducerIdRequest.Builder(new InitProducerIdRequestData()
                    .setTransactionalId("tx").setTransactionTimeoutMs(60000)).build((short) 4), 1, InitProducerIdResponse.class);
            assertThat(r.error()).isEqualTo(Errors.INVALID_REQUEST);
        }
    }

    @Test
    void closing_the_listener_ends_a_parked_long_poll_and_closes_its_connection() throws Exception {
        fixture.backend.createTopic("parked", 1);
        try (RawClient client = new RawClient(fixture.listener.port())) {
            client.send(RawClient.fetch((short) 12, "parked", 0, 60_000, 1), 1);
            await().until(() -> fixture.backend.waitingFetches() == 1);
            long start = System.nanoTime();
            fixture.listener.close();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
            assertThat(client.closedByListener()).isTrue();
        }
    }

    private static ListOffsetsRequest listOffsets(short version, String topic, long timestamp) {
        return ListOffsetsRequest.Builder.forConsumer(false, IsolationLevel.READ_UNCOMMITTED)
                .setTargetTimes(List.of(new ListOffsetsRequestData.ListOffsetsTopic().setName(topic).setPartitions(List.of(
                        new ListOffsetsRequestData.ListOffsetsPartition().setPartitionIndex(0).setTimestamp(timestamp)))))
                .build(version);
    }

    @Test
    void fetching_past_the_end_answers_offset_out_of_range_with_the_bounds() throws Exception {
        fixture.backend.createTopic("short", 1);
        try (RawClient client = new RawClient(fixture.listener.port())) {
            client.roundTrip(RawClient.produce((short) 9, "short", Uuid.ZERO_UUID, (short) 1, RawClient.records("x", "y")),
                    1, ProduceResponse.class);
            FetchResponse r = client.roundTrip(RawClient.fetch((short) 12, "short", 50, 0, 1), 2, FetchResponse.class);
            var p = r.data().responses().getFirst().partitions().getFirst();
            assertThat(p.errorCode()).isEqualTo(Errors.OFFSET_OUT_OF_RANGE.code());
            assertThat(p.highWatermark()).isEqualTo(2);
            assertThat(p.logStartOffset()).isZero();
        }
    }

    @Test
    void a_batch_with_a_bad_crc_is_refused_before_the_backend_sees_it() throws Exception {
        fixture.backend.createTopic("crc", 1);
        MemoryRecords records = RawClient.records("payload");
        ByteBuffer b = records.buffer();
        b.put(b.limit() - 1, (byte) (b.get(b.limit() - 1) ^ 0x5a));
        try (RawClient client = new RawClient(fixture.listener.port())) {
            ProduceResponse r = client.roundTrip(RawClient.produce((short) 9, "crc", Uuid.ZERO_UUID, (short) 1,
                    MemoryRecords.readableRecords(b)), 1, ProduceResponse.class);
            assertThat(r.data().responses().iterator().next().partitionResponses().getFirst().errorCode())
                    .isEqualTo(Errors.CORRUPT_MESSAGE.code());
        }
        assertThat(fixture.backend.produceCalls.get()).isZero();
    }

    @Test
    void meters_count_requests_bytes_and_open_connections() throws Exception {
        try (RawClient a = new RawClient(fixture.listener.port()); RawClient b = new RawClient(fixture.listener.port())) {
            assertStillServes(a, 1);
            assertStillServes(b, 1);
            assertThat(fixture.registry.get("tierlog.kafka.connections.open").gauge().value()).isEqualTo(2);
        }
        await().until(() -> fixture.registry.get("tierlog.kafka.connections.open").gauge().value() == 0);
        assertThat(fixture.counter("tierlog.kafka.requests", "api", "ApiVersions")).isEqualTo(2);
        assertThat(fixture.registry.get("tierlog.kafka.bytes.in").counter().count()).isPositive();
        assertThat(fixture.registry.get("tierlog.kafka.bytes.out").counter().count()).isPositive();
    }
}
