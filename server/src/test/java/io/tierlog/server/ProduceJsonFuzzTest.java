package io.tierlog.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tierlog.core.Compression;
import io.tierlog.core.Limits;
import io.tierlog.core.testing.Allocations;
import io.tierlog.core.testing.Mutations;
import io.tierlog.core.testing.Mutations.Mutation;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static io.tierlog.core.testing.Mutations.Kind.DELETE;
import static io.tierlog.core.testing.Mutations.Kind.DUPLICATE;
import static io.tierlog.core.testing.Mutations.Kind.SET;
import static io.tierlog.core.testing.Mutations.Kind.TRUNCATE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The HTTP JSON produce body ({@code POST /v1/topics/{t}/records}) is parsed exactly as the door does
 * ({@link RecordJson#parseJson} with the server's {@link TierlogServer#objectMapper()}, then
 * {@link RecordJson#parseProduce}): whatever the bytes, it fails only with {@link ApiException} of a 4xx status
 * (never a 500 from an unexpected exception), and allocates at most a fixed base plus a bounded multiple of the
 * body: Jackson's tree and the batch built from it, no more.
 */
class ProduceJsonFuzzTest {
    /** Fixed cost: exceptions and their stack traces, the batch builder's first buffers, a codec's context. */
    private static final long BASE_BYTES = 2L * 1024 * 1024;
    /**
     * Per body byte: Jackson's tree (a node per value, a String per field name and text) and the batch built from it
     * (the record and its copy in the batch); measured well under this.
     */
    private static final long PER_INPUT_BYTE = 256;

    private static final ObjectMapper JSON = TierlogServer.objectMapper();
    private final RecordJson records = new RecordJson(JSON, Limits.DEFAULTS);

    private void check(byte[] body, boolean metrics, Compression codec) {
        Allocations.Outcome o = Allocations.measure(() ->
                records.parseProduce(RecordJson.parseJson(JSON, body), metrics, 4, 1_732_470_000_000L, codec));
        if (o.thrown() != null) {
            if (!(o.thrown() instanceof ApiException api)) {
                throw new AssertionError("expected only ApiException, got " + o.thrown(), o.thrown());
            }
            assertThat(api.status).as(api.getMessage()).isBetween(400, 499);
        }
        assertThat(o.allocatedBytes()).as("bytes allocated parsing a %d-byte body", body.length)
                .isLessThanOrEqualTo(BASE_BYTES + PER_INPUT_BYTE * body.length);
    }

    @Property(tries = 2000)
    void arbitraryBytesFailOnlyWithA4xx(@ForAll @Size(max = 600) byte[] body, @ForAll boolean metrics) {
        check(body, metrics, Compression.NONE);
    }

    /** Text from JSON's own alphabet, so that the parser gets past the first byte. */
    @Property(tries = 2000)
    void jsonShapedTextFailsOnlyWithA4xx(@ForAll("jsonish") String text, @ForAll boolean metrics) {
        check(text.getBytes(StandardCharsets.UTF_8), metrics, Compression.NONE);
    }

    @Provide
    Arbitrary<String> jsonish() {
        return Arbitraries.strings().withChars("{}[]\":,-.0123456789eEtrufalsn \\records name value tags key type"
                + "valueBase64 headers partition timestamp").ofMaxLength(200);
    }

    /** Valid bodies of both topic kinds, mutated: wrong types, cut strings, huge numbers, unknown fields. */
    @Property(tries = 3000)
    void mutatedProduceBodiesFailOnlyWithA4xx(@ForAll boolean metrics, @ForAll("mutations") List<Mutation> mutations,
                                              @ForAll("codecs") Compression codec) {
        String seed = metrics
                ? "{\"records\":[{\"name\":\"cpu.usage\",\"tags\":{\"host\":\"a\",\"dc\":\"eu\"},\"value\":0.5,"
                  + "\"timestamp\":1732470000000,\"type\":\"gauge\"},{\"name\":\"up\",\"value\":1,\"partition\":2}]}"
                : "{\"records\":[{\"key\":\"k1\",\"value\":{\"a\":[1,2,{\"b\":null}]},\"headers\":{\"h\":\"v\",\"n\":null},"
                  + "\"timestamp\":1732470000000},{\"valueBase64\":\"aGVsbG8=\",\"partition\":3},{\"value\":\"s\"}]}";
        check(MUTATIONS.apply(seed.getBytes(StandardCharsets.UTF_8), mutations), metrics, codec);
    }

    @Provide
    Arbitrary<Compression> codecs() {
        return Arbitraries.of(Compression.NONE, Compression.LZ4, Compression.ZSTD);
    }

    /** Nesting, numbers and strings past Jackson's read limits: 400, not a StackOverflowError or a huge number. */
    @Example
    void pathologicalBodiesAnswer400() {
        for (String body : List.of(
                "{\"records\":[{\"value\":" + "[".repeat(100_000) + "}]}",
                "{\"records\":[{\"name\":\"m\",\"value\":1" + "0".repeat(5_000) + "}]}",
                "{\"records\":[{\"name\":\"m\",\"value\":1e999999999}]}",
                "{\"records\":[{\"name\":\"m\",\"value\":1,\"timestamp\":1" + "0".repeat(40) + "}]}",
                "{\"records\":[{\"name\":\"m\",\"value\":1,\"partition\":-1" + "0".repeat(20) + "}]}",
                "{\"records\":[{\"valueBase64\":\"" + "A".repeat(4001) + "\"}]}")) {
            check(body.getBytes(StandardCharsets.UTF_8), true, Compression.NONE);
            check(body.getBytes(StandardCharsets.UTF_8), false, Compression.NONE);
        }
    }

    /**
     * Changes to the body: a byte set, biased towards JSON's structural characters, a cut, a run deleted or repeated.
     */
    private static final Mutations MUTATIONS = Mutations.of(SET, TRUNCATE, DELETE, DUPLICATE)
            .setAlphabet("{}[]\":,-0e9.\\ ntf1E+").maxRun(40).maxCount(4);

    @Provide
    Arbitrary<List<Mutation>> mutations() {
        return MUTATIONS.arbitrary();
    }
}
