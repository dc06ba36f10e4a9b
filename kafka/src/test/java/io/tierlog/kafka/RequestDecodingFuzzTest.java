package io.tierlog.kafka;

import static io.tierlog.core.testing.Mutations.Kind.DUPLICATE;
import static io.tierlog.core.testing.Mutations.Kind.FLIP;
import static io.tierlog.core.testing.Mutations.Kind.OVERWRITE_HUGE;
import static io.tierlog.core.testing.Mutations.Kind.SET;
import static io.tierlog.core.testing.Mutations.Kind.TRUNCATE;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.CreateTopicsRequest;
import org.apache.kafka.common.requests.ListOffsetsRequest;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.RequestContext;
import org.apache.kafka.common.requests.RequestHeader;

import io.tierlog.core.testing.Allocations;
import io.tierlog.core.testing.Mutations;
import io.tierlog.core.testing.Mutations.Huge;
import io.tierlog.core.testing.Mutations.Mutation;
import io.tierlog.kafka.RequestDecoder.ProtocolViolation;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.statistics.Statistics;

/**
 * The listener's decoder ({@link RequestDecoder}, on kafka-clients' parsers) given arbitrary and mutated frames, in
 * the test's own thread so that its allocation can be measured: a frame either decodes or is refused with a
 * {@link ProtocolViolation} (which closes the connection), never an {@link Error}; a declared frame size outside the
 * limit is refused without allocating; and one decode allocates at most a fixed base plus a bounded multiple of the
 * frame, whatever array counts, string lengths and record sizes its fields declare.
 * {@link HostileFramesPropertyTest} sends such frames over a socket and checks that the listener survives them.
 */
class RequestDecodingFuzzTest {
    private static final SupportedApis APIS = new SupportedApis(true);
    private static final InetSocketAddress REMOTE = new InetSocketAddress(InetAddress.getLoopbackAddress(), 9092);
    /** Fixed cost: the exception and its stack trace, the header and context objects. */
    private static final long BASE_BYTES = 256 * 1024;
    /**
     * Per frame byte: kafka-clients materialises each array element as an object (a topic of a few bytes becomes an
     * object with its own list), and each string as a String. Measured well under this.
     */
    private static final long PER_INPUT_BYTE = 128;

    /** What the connection does with a frame's payload (the bytes after the size prefix). */
    private static AbstractRequest decode(byte[] payload) throws ProtocolViolation {
        ByteBuffer frame = ByteBuffer.wrap(payload);
        RequestHeader header = RequestDecoder.header(frame, APIS);
        RequestContext ctx = RequestDecoder.context(header, "fuzz", REMOTE);
        return RequestDecoder.body(ctx, frame);
    }

    private static void check(byte[] payload) {
        Object[] outcome = new Object[1];
        Allocations.Outcome o = Allocations.measure(() -> {
            try {
                outcome[0] = decode(payload);
            } catch (ProtocolViolation e) {
                outcome[0] = e;
            }
        });
        if (o.thrown() != null) {
            throw new AssertionError("expected a request or a ProtocolViolation, got " + o.thrown(), o.thrown());
        }
        Statistics.label("outcome").collect(outcome[0] instanceof ProtocolViolation v ? v.reason : "decoded");
        assertThat(o.allocatedBytes()).as("bytes allocated decoding a %d-byte frame", payload.length)
                .isLessThanOrEqualTo(BASE_BYTES + PER_INPUT_BYTE * payload.length);
    }

    @Property(tries = 2000)
    void arbitraryFramesDecodeOrAreRefused(@ForAll @Size(max = 500) byte[] payload) {
        check(payload);
    }

    /** A valid header of every served api key and version in front of arbitrary bytes: the body parsers meet them. */
    @Property(tries = 3000)
    void arbitraryBodiesBehindValidHeadersDecodeOrAreRefused(@ForAll("servedHeaders") RequestHeader header,
                                                             @ForAll @Size(max = 300) byte[] body) {
        ObjectSerializationCache cache = new ObjectSerializationCache();
        ByteBuffer h = ByteBuffer.allocate(header.data().size(cache, header.headerVersion()) + body.length);
        header.data().write(new ByteBufferAccessor(h), cache, header.headerVersion());
        h.put(body);
        byte[] payload = h.array();
        check(payload);
    }

    /** Valid requests of many kinds, mutated (bit flips, bytes set, cuts, maximal lengths, repeated runs). */
    @Property(tries = 4000)
    void mutatedRequestsDecodeOrAreRefused(@ForAll("seeds") byte[] seed, @ForAll("mutations") List<Mutation> mutations) {
        check(MUTATIONS.apply(seed, mutations));
    }

    /** Any 4-byte size prefix: outside [0, max] it is refused, and checking it allocates nothing of that size. */
    @Property(tries = 1000)
    void anyDeclaredFrameSizeIsCheckedBeforeAllocating(@ForAll int declared) {
        int max = 64 * 1024;
        Allocations.Outcome o = Allocations.measure(() -> {
            try {
                assertThat(RequestDecoder.checkFrameSize(declared, max)).isEqualTo(declared).isBetween(0, max);
            } catch (ProtocolViolation e) {
                assertThat(declared < 0 || declared > max).isTrue();
                assertThat(e.reason).isEqualTo("frame_size");
            }
        });
        assertThat(o.thrown()).isNull();
        assertThat(o.allocatedBytes()).isLessThan(BASE_BYTES);
    }

    // ---------------------------------------------------------------- seeds

    @Provide
    Arbitrary<RequestHeader> servedHeaders() {
        List<RequestHeader> headers = new ArrayList<>();
        for (ApiKeys key : ApiKeys.values()) {
            for (short v = key.oldestVersion(); v <= key.latestVersion(); v++) {
                if (APIS.serves(key, v)) {
                    headers.add(new RequestHeader(key, v, "fuzz", 7));
                }
            }
        }
        return Arbitraries.of(headers);
    }

    @Provide
    Arbitrary<byte[]> seeds() {
        List<AbstractRequest> requests = List.of(
                RawClient.produce((short) 9, "t", Uuid.ZERO_UUID, (short) 1, RawClient.records("alpha", "beta")),
                RawClient.produce((short) 13, "t", Uuid.randomUuid(), (short) -1, RawClient.records("gamma")),
                RawClient.fetch((short) 12, "t", 5, 100, 1),
                RawClient.fetch((short) 17, "t", 0, 0, 1),
                new MetadataRequest(new MetadataRequestData().setTopics(List.of(
                        new MetadataRequestData.MetadataRequestTopic().setName("a"),
                        new MetadataRequestData.MetadataRequestTopic().setName("bb"))), (short) 12),
                ListOffsetsRequest.Builder.forConsumer(true, org.apache.kafka.common.IsolationLevel.READ_UNCOMMITTED)
                        .setTargetTimes(List.of(new ListOffsetsRequestData.ListOffsetsTopic().setName("t").setPartitions(List.of(
                                new ListOffsetsRequestData.ListOffsetsPartition().setPartitionIndex(0).setTimestamp(-2),
                                new ListOffsetsRequestData.ListOffsetsPartition().setPartitionIndex(1).setTimestamp(1000)))))
                        .build((short) 9),
                new CreateTopicsRequest.Builder(new CreateTopicsRequestData().setTimeoutMs(1000).setTopics(
                        new CreateTopicsRequestData.CreatableTopicCollection(List.of(new CreateTopicsRequestData.CreatableTopic()
                                .setName("n").setNumPartitions(3).setReplicationFactor((short) 1)
                                .setConfigs(new CreateTopicsRequestData.CreatableTopicConfigCollection(List.of(
                                        new CreateTopicsRequestData.CreatableTopicConfig().setName("retention.ms").setValue("1")
                                ).iterator()))).iterator()))).build((short) 7),
                GroupRequests.join("g", "", 10_000),
                GroupRequests.sync("g", "m", null, 1, Map.of("m", new byte[]{1, 2, 3})),
                GroupRequests.commit("g", "m", 1, "t", Map.of(0, 5L, 1, 7L), "meta"),
                GroupRequests.fetchOffsets((short) 8, "t", List.of(0, 1), "g1", "g2"),
                GroupRequests.describe((short) 5, "g"));
        return Arbitraries.of(requests.stream().map(r -> RawClient.payload(r, 11)).toList());
    }

    /**
     * Bit flips, bytes set, cuts, the largest count or length (0x7fffffff as an int, or as an unsigned varint) written
     * over the frame, repeated runs.
     */
    private static final Mutations MUTATIONS = Mutations.of(FLIP, SET, TRUNCATE, OVERWRITE_HUGE, DUPLICATE)
            .huge(Huge.INT32, Huge.UNSIGNED_VARINT).maxRun(64).maxCount(3);

    @Provide
    Arbitrary<List<Mutation>> mutations() {
        return MUTATIONS.arbitrary();
    }
}
