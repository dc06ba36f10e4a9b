package io.tierlog.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ApiVersionsRequest;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.requests.ProduceResponse;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeProperty;

/**
 * Whatever arrives on a connection (random bytes, valid requests cut anywhere, in the frame or in transport, bit
 * flips, random bodies behind valid headers), the listener survives, never hands the backend a batch whose CRC
 * fails, and keeps serving well-behaved clients.
 */
class HostileFramesPropertyTest {

    private static final String TOPIC = "prop";
    private static final byte[] VALID_PRODUCE = RawClient.payload(
            RawClient.produce((short) 9, TOPIC, Uuid.ZERO_UUID, (short) 1, RawClient.records("alpha", "beta", "gamma")), 42);
    private static final List<ApiKeys> SERVED = List.of(ApiKeys.API_VERSIONS, ApiKeys.METADATA, ApiKeys.PRODUCE,
            ApiKeys.FETCH, ApiKeys.LIST_OFFSETS, ApiKeys.INIT_PRODUCER_ID, ApiKeys.FIND_COORDINATOR,
            ApiKeys.CREATE_TOPICS, ApiKeys.DELETE_TOPICS, ApiKeys.DESCRIBE_CONFIGS, ApiKeys.DESCRIBE_CLUSTER);

    /** Bytes to send; {@code shutdown} closes the client's output afterwards (a frame cut in transport). */
    record Hostile(String kind, byte[] bytes, boolean shutdown) {
        static Hostile framed(String kind, byte[] payload) {
            return new Hostile(kind, ByteBuffer.allocate(4 + payload.length).putInt(payload.length).put(payload).array(), false);
        }

        @Override
        public String toString() {
            return kind + " " + HexFormat.of().formatHex(bytes) + (shutdown ? " then EOF" : "");
        }
    }

    private ListenerFixture fixture;

    @BeforeProperty
    void start() throws IOException {
        fixture = new ListenerFixture(64 * 1024);
        fixture.backend.createTopic(TOPIC, 1);
    }

    @AfterProperty
    void stop() throws IOException {
        try (RawClient client = new RawClient(fixture.listener.port())) {
            ProduceResponse r = client.roundTrip(RawClient.produce((short) 9, TOPIC, Uuid.ZERO_UUID, (short) 1,
                    RawClient.records("after")), 1, ProduceResponse.class);
            assertThat(r.data().responses().iterator().next().partitionResponses().getFirst().errorCode())
                    .as("a well-formed produce still succeeds").isEqualTo(Errors.NONE.code());
        } finally {
            fixture.close();
        }
    }

    @Property(tries = 250)
    void hostile_input_never_breaks_the_listener_nor_reaches_the_backend_corrupt(@ForAll("hostile") Hostile input)
            throws IOException {
        Outcome outcome;
        try (RawClient client = new RawClient(fixture.listener.port())) {
            client.timeout(1_000);
            outcome = send(client, input);
        }
        Statistics.label("kind").collect(input.kind().replaceAll("-v\\d+$", ""));
        Statistics.label("outcome").collect(outcome);
        assertThat(fixture.backend.corruptBatchesReceived.get()).as("CRC-failing batches handed to the backend").isZero();
        try (RawClient client = new RawClient(fixture.listener.port())) {
            ApiVersionsRequest req = new ApiVersionsRequest(new ApiVersionsRequestData()
                    .setClientSoftwareName("prop").setClientSoftwareVersion("1"), (short) 3);
            assertThat(client.roundTrip(req, 7, ApiVersionsResponse.class).data().errorCode()).isZero();
        }
    }

    /** What the listener did with hostile input; each is acceptable, the property is about what comes after. */
    enum Outcome { ANSWERED, CLOSED, RESET_WHILE_SENDING, NO_ANSWER_WITHIN_TIMEOUT }

    private static Outcome send(RawClient client, Hostile input) throws IOException {
        try {
            client.sendRaw(input.bytes());
            if (input.shutdown()) {
                client.shutdownOutput();
            }
        } catch (SocketException e) {
            return Outcome.RESET_WHILE_SENDING;
        }
        try {
            client.receiveFrame();
            return Outcome.ANSWERED;
        } catch (EOFException | SocketException e) {
            return Outcome.CLOSED;
        } catch (SocketTimeoutException e) {
            return Outcome.NO_ANSWER_WITHIN_TIMEOUT;
        }
    }

    @Provide
    Arbitrary<Hostile> hostile() {
        Arbitrary<Hostile> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(300)
                .map(b -> Hostile.framed("random", b));
        Arbitrary<Hostile> truncated = Arbitraries.integers().between(0, VALID_PRODUCE.length - 1)
                .map(n -> Hostile.framed("truncated-produce", Arrays.copyOf(VALID_PRODUCE, n)));
        byte[] wholeFrame = Hostile.framed("", VALID_PRODUCE).bytes();
        Arbitrary<Hostile> cutInTransport = Arbitraries.integers().between(1, wholeFrame.length - 1)
                .map(n -> new Hostile("cut-in-transport", Arrays.copyOf(wholeFrame, n), true));
        Arbitrary<Hostile> flipped = Combinators.combine(
                        Arbitraries.integers().between(0, VALID_PRODUCE.length - 1),
                        Arbitraries.integers().between(1, 255))
                .as((pos, mask) -> {
                    byte[] b = VALID_PRODUCE.clone();
                    b[pos] ^= mask.byteValue();
                    return Hostile.framed("flipped-produce", b);
                });
        Arbitrary<Hostile> randomBody = Combinators.combine(
                        Arbitraries.of(SERVED),
                        Arbitraries.shorts().between((short) 0, (short) 18),
                        Arbitraries.bytes().array(byte[].class).ofMaxSize(120))
                .as((key, version, body) -> {
                    ByteBuffer b = ByteBuffer.allocate(10 + body.length);
                    b.putShort(key.id).putShort(version).putInt(99).putShort((short) 0).put(body);
                    return Hostile.framed("random-" + key.name + "-v" + version, b.array());
                });
        return Arbitraries.oneOf(random, truncated, cutInTransport, flipped, randomBody);
    }
}
