package io.tierlog.receivers;

import com.google.protobuf.util.JsonFormat;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogram;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Histogram;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.Sum;
import io.opentelemetry.proto.metrics.v1.Summary;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import io.prometheus.write.v2.Types.Request;
import io.tierlog.core.Limits;
import io.tierlog.core.testing.Allocations;
import io.tierlog.core.testing.Mutations;
import io.tierlog.core.testing.Mutations.Huge;
import io.tierlog.core.testing.Mutations.Mutation;
import io.tierlog.receivers.proto.prometheus.Remote.WriteRequest;
import io.tierlog.receivers.proto.prometheus.Types.Label;
import io.tierlog.receivers.proto.prometheus.Types.Sample;
import io.tierlog.receivers.proto.prometheus.Types.TimeSeries;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import org.xerial.snappy.Snappy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.zip.GZIPOutputStream;

import static io.tierlog.core.testing.Mutations.Kind.DUPLICATE;
import static io.tierlog.core.testing.Mutations.Kind.FLIP;
import static io.tierlog.core.testing.Mutations.Kind.INSERT_HUGE;
import static io.tierlog.core.testing.Mutations.Kind.SET;
import static io.tierlog.core.testing.Mutations.Kind.TRUNCATE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The remote_write (1.0 and 2.0: snappy around protobuf) and OTLP (protobuf or JSON, optionally gzip) bodies come
 * from any client that reaches the port: whatever the bytes, decoding fails only with {@link ReceiverException}
 * (which the door answers 400/413/415), and one decode allocates at most a fixed base plus a bounded multiple of the
 * decoded body, itself capped by the declared limit: a snappy header or a gzip stream declaring or inflating to
 * gigabytes is refused at the limit, never allocated.
 *
 * <p>Structure-aware: valid requests of every kind are encoded, then their protobuf or JSON bytes (before
 * compression) or their compressed bytes are mutated, so that the fuzzer reaches the protobuf parser, the JSON
 * parser and the translation of decoded requests, not only the outer checks.
 */
class ReceiverBodiesFuzzTest {
    /** Largest decoded body the decoders accept here (the server's default is larger; the bound scales with it). */
    private static final int MAX_DECODED = 1 << 20;
    /** Fixed cost of one decode: exceptions and their stack traces, parser and inflater state, JSON printer tables. */
    private static final long BASE_BYTES = 2L * 1024 * 1024;
    /**
     * Objects per decoded byte: a protobuf message tree, then the series, their keys and tag maps (measured: under 48
     * for protobuf bodies), and for JSON Gson's tree, where each one-byte '[' becomes a JsonArray and its list
     * (measured: about 190 for 50,000 nested arrays).
     */
    private static final long PER_DECODED_BYTE = 256;

    private final RemoteWriteDecoder remoteWrite = new RemoteWriteDecoder(Limits.DEFAULTS, MAX_DECODED);
    private final OtlpMetricsDecoder otlp = new OtlpMetricsDecoder(Limits.DEFAULTS, MAX_DECODED, Set.of("deployment.environment"));

    private static final String V1 = "application/x-protobuf";
    private static final String V2 = "application/x-protobuf;proto=io.prometheus.write.v2.Request";

    /** Decodes, and checks the exception type and the allocation; {@code decodedBound} is the body after decompression. */
    private static void check(String what, long decodedBound, Runnable decode) {
        Allocations.Outcome o = Allocations.measure(decode);
        if (o.thrown() != null && !(o.thrown() instanceof ReceiverException)) {
            throw new AssertionError(what + ": expected only ReceiverException, got " + o.thrown(), o.thrown());
        }
        long limit = BASE_BYTES + PER_DECODED_BYTE * Math.min(MAX_DECODED, decodedBound);
        assertThat(o.allocatedBytes()).as("%s: bytes allocated for a body decoding to at most %d bytes", what, decodedBound)
                .isLessThanOrEqualTo(limit);
    }

    /** Snappy's maximum expansion is about 21:1 (a 3-byte copy of 64 bytes); deflate's 1032:1. */
    private static long snappyBound(byte[] body) {
        return 22L * body.length + 64;
    }

    private static long gzipBound(byte[] body) {
        return 1032L * body.length + 64;
    }

    // ---------------------------------------------------------------- remote_write

    @Property(tries = 1500)
    void arbitraryRemoteWriteBodiesFailOnlyWithReceiverException(@ForAll @Size(max = 600) byte[] body) {
        check("v1", snappyBound(body), () -> remoteWrite.decode(V1, "snappy", body));
        check("v2", snappyBound(body), () -> remoteWrite.decode(V2, "snappy", body));
    }

    /** Arbitrary protobuf bytes behind valid snappy: the protobuf parser and the translation meet them. */
    @Property(tries = 1500)
    void arbitraryProtobufInValidSnappyFailsOnlyWithReceiverException(@ForAll @Size(max = 600) byte[] proto) {
        byte[] body = snappy(proto);
        check("v1", proto.length, () -> remoteWrite.decode(V1, "snappy", body));
        check("v2", proto.length, () -> remoteWrite.decode(V2, "snappy", body));
    }

    @Property(tries = 2000)
    void mutatedRemoteWriteRequestsFailOnlyWithReceiverException(@ForAll("mutations") List<Mutation> mutations,
                                                                 @ForAll boolean v2, @ForAll boolean mutateCompressed) {
        byte[] proto = v2 ? remoteWriteV2().toByteArray() : remoteWriteV1().toByteArray();
        String type = v2 ? V2 : V1;
        byte[] body;
        long decoded;
        if (mutateCompressed) {
            body = MUTATIONS.apply(snappy(proto), mutations);
            decoded = snappyBound(body);
        } else {
            byte[] mutated = MUTATIONS.apply(proto, mutations);
            body = snappy(mutated);
            decoded = mutated.length;
        }
        check(type, decoded, () -> remoteWrite.decode(type, "snappy", body));
    }

    /** A snappy header may declare any length up to 4 GiB in five bytes: refused before it is allocated. */
    @Property(tries = 500)
    void anyDeclaredSnappyLengthIsCheckedBeforeAllocating(@ForAll int declared, @ForAll @Size(max = 64) byte[] rest) {
        byte[] body = Arrays.copyOf(varint(declared), 5 + rest.length);
        System.arraycopy(rest, 0, body, 5, rest.length);
        check("v1", snappyBound(body), () -> remoteWrite.decode(V1, "snappy", body));
    }

    // ---------------------------------------------------------------- OTLP

    @Property(tries = 1500)
    void arbitraryOtlpBodiesFailOnlyWithReceiverException(@ForAll @Size(max = 600) byte[] body, @ForAll boolean json,
                                                          @ForAll boolean gzip) {
        String type = json ? "application/json" : "application/x-protobuf";
        check("otlp " + type, gzip ? gzipBound(body) : body.length,
                () -> otlp.decode(type, gzip ? "gzip" : null, body));
    }

    @Property(tries = 2000)
    void mutatedOtlpRequestsFailOnlyWithReceiverException(@ForAll("mutations") List<Mutation> mutations,
                                                          @ForAll boolean json, @ForAll boolean gzip,
                                                          @ForAll boolean mutateCompressed) {
        byte[] plain = json ? otlpJson() : otlpRequest().toByteArray();
        String type = json ? "application/json" : "application/x-protobuf";
        byte[] body;
        long decoded;
        if (gzip && mutateCompressed) {
            body = MUTATIONS.apply(gzip(plain), mutations);
            decoded = gzipBound(body);
        } else {
            byte[] mutated = MUTATIONS.apply(plain, mutations);
            body = gzip ? gzip(mutated) : mutated;
            decoded = mutated.length;
        }
        check("otlp " + type + (gzip ? " gzip" : ""), decoded, () -> otlp.decode(type, gzip ? "gzip" : null, body));
    }

    /** JSON nested far deeper than any request: refused with ReceiverException, not a StackOverflowError. */
    @Example
    void deeplyNestedOtlpJsonIsRefused() {
        for (String open : List.of("[", "{\"resourceMetrics\":[", "{\"a\":")) {
            byte[] body = (open.repeat(50_000)).getBytes(StandardCharsets.UTF_8);
            check("otlp json nested " + open, body.length, () -> otlp.decode("application/json", null, body));
        }
    }

    /** A gzip bomb: 64 MiB of zeros in 64 KiB. Inflating stops at the limit. */
    @Example
    void aGzipBombStopsAtTheLimit() {
        byte[] bomb = gzip(new byte[64 * 1024 * 1024]);
        Allocations.Outcome o = Allocations.measure(() -> otlp.decode("application/x-protobuf", "gzip", bomb));
        assertThat(o.thrown()).isInstanceOf(ReceiverException.class);
        assertThat(((ReceiverException) o.thrown()).reason()).isEqualTo(ReceiverException.Reason.TOO_LARGE);
        assertThat(o.allocatedBytes()).isLessThanOrEqualTo(BASE_BYTES + 4L * MAX_DECODED);
    }

    // ---------------------------------------------------------------- seeds and mutations

    private static WriteRequest remoteWriteV1() {
        WriteRequest.Builder b = WriteRequest.newBuilder();
        for (int s = 0; s < 3; s++) {
            TimeSeries.Builder ts = TimeSeries.newBuilder()
                    .addLabels(Label.newBuilder().setName("__name__").setValue("http_requests_total"))
                    .addLabels(Label.newBuilder().setName("code").setValue(String.valueOf(200 + s)))
                    .addLabels(Label.newBuilder().setName("job").setValue("api"));
            for (int i = 0; i < 3; i++) {
                ts.addSamples(Sample.newBuilder().setTimestamp(1_700_000_000_000L + i * 1000).setValue(i * 1.5));
            }
            b.addTimeseries(ts);
        }
        return b.build();
    }

    private static Request remoteWriteV2() {
        Request.Builder b = Request.newBuilder().addAllSymbols(List.of("", "__name__", "http_requests_total", "code",
                "200", "500", "job", "api"));
        for (int s = 0; s < 2; s++) {
            io.prometheus.write.v2.Types.TimeSeries.Builder ts = io.prometheus.write.v2.Types.TimeSeries.newBuilder()
                    .addAllLabelsRefs(List.of(1, 2, 3, 4 + s, 6, 7));
            for (int i = 0; i < 3; i++) {
                ts.addSamples(io.prometheus.write.v2.Types.Sample.newBuilder()
                        .setTimestamp(1_700_000_000_000L + i * 1000).setValue(i));
            }
            ts.setMetadata(io.prometheus.write.v2.Types.Metadata.newBuilder()
                    .setType(io.prometheus.write.v2.Types.Metadata.MetricType.METRIC_TYPE_COUNTER));
            b.addTimeseries(ts);
        }
        return b.build();
    }

    /** One metric of every OTLP kind (gauge, sum, histogram, exponential histogram, summary). */
    private static ExportMetricsServiceRequest otlpRequest() {
        long t = 1_700_000_000_123_000_000L;
        Metric gauge = Metric.newBuilder().setName("temp").setUnit("Cel").setGauge(Gauge.newBuilder()
                .addDataPoints(OtlpMetricsDecoderTest.point(21.5, "room", "a"))).build();
        Metric sum = Metric.newBuilder().setName("jobs").setSum(Sum.newBuilder().setIsMonotonic(true)
                .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
                .addDataPoints(OtlpMetricsDecoderTest.point(7))).build();
        Metric histogram = Metric.newBuilder().setName("lat").setUnit("s").setHistogram(Histogram.newBuilder()
                .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
                .addDataPoints(HistogramDataPoint.newBuilder().setTimeUnixNano(t).setCount(3).setSum(1.5)
                        .addExplicitBounds(0.1).addExplicitBounds(1).addBucketCounts(1).addBucketCounts(1).addBucketCounts(1)))
                .build();
        Metric exponential = Metric.newBuilder().setName("exp").setExponentialHistogram(ExponentialHistogram.newBuilder()
                .addDataPoints(ExponentialHistogramDataPoint.newBuilder().setTimeUnixNano(t).setCount(1))).build();
        Metric summary = Metric.newBuilder().setName("rpc").setSummary(Summary.newBuilder()
                .addDataPoints(SummaryDataPoint.newBuilder().setTimeUnixNano(t).setCount(2).setSum(3)
                        .addQuantileValues(SummaryDataPoint.ValueAtQuantile.newBuilder().setQuantile(0.5).setValue(1))))
                .build();
        return OtlpMetricsDecoderTest.request(gauge, sum, histogram, exponential, summary);
    }

    private static byte[] otlpJson() {
        try {
            return JsonFormat.printer().omittingInsignificantWhitespace().print(otlpRequest()).getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Bit flips, bytes set (often to a JSON or protobuf structural value), cuts, a varint of the largest length a field
     * can declare inserted, repeated runs (repeated fields, nested messages).
     */
    private static final Mutations MUTATIONS = Mutations.of(FLIP, SET, TRUNCATE, INSERT_HUGE, DUPLICATE)
            .setAlphabet("{}[]\":,-0e9\\ ntf").huge(Huge.UNSIGNED_VARINT).maxRun(64).maxCount(4);

    @Provide
    Arbitrary<List<Mutation>> mutations() {
        return MUTATIONS.arbitrary();
    }

    private static byte[] snappy(byte[] b) {
        try {
            return Snappy.compress(b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] gzip(byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Snappy's length header: an unsigned little-endian base-128 varint, always five bytes here. */
    private static byte[] varint(int v) {
        byte[] b = new byte[5];
        for (int i = 0; i < 4; i++) {
            b[i] = (byte) ((v & 0x7f) | 0x80);
            v >>>= 7;
        }
        b[4] = (byte) (v & 0x0f);
        return b;
    }
}
