package io.tierlog.receivers;

import io.prometheus.write.v2.Types.Request;
import io.tierlog.core.Limits;
import io.tierlog.core.MetricType;
import io.tierlog.receivers.proto.prometheus.Remote.WriteRequest;
import io.tierlog.receivers.proto.prometheus.Types.Exemplar;
import io.tierlog.receivers.proto.prometheus.Types.Histogram;
import io.tierlog.receivers.proto.prometheus.Types.Label;
import io.tierlog.receivers.proto.prometheus.Types.Sample;
import io.tierlog.receivers.proto.prometheus.Types.TimeSeries;
import org.junit.jupiter.api.Test;
import org.xerial.snappy.Snappy;

import java.io.IOException;
import java.util.Arrays;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RemoteWriteDecoderTest {
    private static final String V1 = "application/x-protobuf";
    private static final String V2 = "application/x-protobuf;proto=io.prometheus.write.v2.Request";
    private final RemoteWriteDecoder decoder = new RemoteWriteDecoder(Limits.DEFAULTS, 1 << 20);

    static Label label(String n, String v) {
        return Label.newBuilder().setName(n).setValue(v).build();
    }

    static TimeSeries series(String name, Map<String, String> labels, long... tsAndValues) {
        TimeSeries.Builder b = TimeSeries.newBuilder().addLabels(label("__name__", name));
        labels.forEach((k, v) -> b.addLabels(label(k, v)));
        for (int i = 0; i < tsAndValues.length; i += 2) {
            b.addSamples(Sample.newBuilder().setTimestamp(tsAndValues[i]).setValue(tsAndValues[i + 1]));
        }
        return b.build();
    }

    static byte[] snappy(byte[] raw) throws IOException {
        return Snappy.compress(raw);
    }

    @Test
    void v1_request_becomes_series_with_labels_as_tags_and_empty_labels_dropped() throws IOException {
        WriteRequest req = WriteRequest.newBuilder()
                .addTimeseries(series("http_requests_total", Map.of("job", "api", "code", "200", "empty", ""), 1000, 5, 2000, 7))
                .addTimeseries(series("up", Map.of("job", "api"), 1000, 1))
                .build();

        RemoteWriteDecoder.Decoded d = decoder.decode(V1, "snappy", snappy(req.toByteArray()));

        assertThat(d.version()).isEqualTo(RemoteWriteDecoder.Version.V1);
        assertThat(d.samples()).isEqualTo(3);
        SampleSeries first = d.series().getFirst();
        assertThat(first.key().canonical()).isEqualTo("http_requests_total{code=200,job=api}");
        assertThat(first.timestamps()).containsExactly(1000, 2000);
        assertThat(first.values()).containsExactly(5.0, 7.0);
        assertThat(d.series().get(1).key().canonical()).isEqualTo("up{job=api}");
    }

    @Test
    void v2_request_resolves_the_symbol_table_and_takes_the_type_from_metadata() throws IOException {
        Request req = Request.newBuilder()
                .addAllSymbols(Arrays.asList("", "__name__", "requests_total", "job", "api"))
                .addTimeseries(io.prometheus.write.v2.Types.TimeSeries.newBuilder()
                        .addAllLabelsRefs(Arrays.asList(1, 2, 3, 4))
                        .addSamples(io.prometheus.write.v2.Types.Sample.newBuilder().setTimestamp(5000).setValue(42))
                        .addExemplars(io.prometheus.write.v2.Types.Exemplar.newBuilder().setTimestamp(5000).setValue(1))
                        .setMetadata(io.prometheus.write.v2.Types.Metadata.newBuilder()
                                .setType(io.prometheus.write.v2.Types.Metadata.MetricType.METRIC_TYPE_COUNTER)))
                .build();

        RemoteWriteDecoder.Decoded d = decoder.decode(V2, "snappy", snappy(req.toByteArray()));

        assertThat(d.version()).isEqualTo(RemoteWriteDecoder.Version.V2);
        assertThat(d.samples()).isEqualTo(1);
        assertThat(d.exemplarsNotStored()).isEqualTo(1);
        assertThat(d.series().getFirst().key().canonical()).isEqualTo("requests_total{job=api}");
        assertThat(d.series().getFirst().type()).isEqualTo(MetricType.COUNTER);
    }

    @Test
    void v2_label_reference_outside_the_symbol_table_is_refused() throws IOException {
        Request req = Request.newBuilder().addAllSymbols(Arrays.asList("", "__name__", "x"))
                .addTimeseries(io.prometheus.write.v2.Types.TimeSeries.newBuilder().addAllLabelsRefs(Arrays.asList(1, 9))
                        .addSamples(io.prometheus.write.v2.Types.Sample.newBuilder().setTimestamp(1).setValue(1)))
                .build();
        assertThatThrownBy(() -> decoder.decode(V2, "snappy", snappy(req.toByteArray())))
                .isInstanceOf(ReceiverException.class).hasMessageContaining("label reference 9 is outside the symbol table");
    }

    @Test
    void content_type_and_encoding_choose_or_refuse_the_protocol() {
        assertThat(RemoteWriteDecoder.version("application/x-protobuf")).isEqualTo(RemoteWriteDecoder.Version.V1);
        assertThat(RemoteWriteDecoder.version("application/x-protobuf; proto=prometheus.WriteRequest"))
                .isEqualTo(RemoteWriteDecoder.Version.V1);
        assertThat(RemoteWriteDecoder.version(V2)).isEqualTo(RemoteWriteDecoder.Version.V2);
        assertThatThrownBy(() -> RemoteWriteDecoder.version("application/json"))
                .isInstanceOfSatisfying(ReceiverException.class, e -> assertThat(e.reason().httpStatus()).isEqualTo(415));
        assertThatThrownBy(() -> RemoteWriteDecoder.version("application/x-protobuf;proto=foo.Bar"))
                .isInstanceOfSatisfying(ReceiverException.class, e -> assertThat(e.reason().httpStatus()).isEqualTo(415));
        assertThatThrownBy(() -> decoder.decode(V1, "gzip", new byte[]{1}))
                .isInstanceOfSatisfying(ReceiverException.class, e -> assertThat(e.reason().httpStatus()).isEqualTo(415));
    }

    @Test
    void snappy_declared_length_above_the_limit_is_refused_before_decompressing() {
        // a 5-byte varint header declaring ~2 GiB of output, followed by nothing
        byte[] bomb = {(byte) 0xfe, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07};
        assertThatThrownBy(() -> decoder.decode(V1, "snappy", bomb))
                .isInstanceOfSatisfying(ReceiverException.class, e -> assertThat(e.reason().httpStatus()).isEqualTo(413))
                .hasMessageContaining("declares");
    }

    @Test
    void wrong_snappy_framing_and_malformed_protobuf_are_400() throws IOException {
        WriteRequest req = WriteRequest.newBuilder().addTimeseries(series("up", Map.of(), 1, 1)).build();
        byte[] framed = snappyFramed(req.toByteArray());
        assertThatThrownBy(() -> decoder.decode(V1, "snappy", framed))
                .isInstanceOfSatisfying(ReceiverException.class, e -> assertThat(e.reason().httpStatus()).isEqualTo(400));
        byte[] garbage = snappy(new byte[]{0x0a, 0x7f, 0x01});
        assertThatThrownBy(() -> decoder.decode(V1, "snappy", garbage))
                .isInstanceOfSatisfying(ReceiverException.class, e -> assertThat(e.reason().httpStatus()).isEqualTo(400))
                .hasMessageContaining("not a valid prometheus.WriteRequest");
    }

    private static byte[] snappyFramed(byte[] raw) throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (var out = new org.xerial.snappy.SnappyFramedOutputStream(bytes)) {
            out.write(raw);
        }
        return bytes.toByteArray();
    }

    @Test
    void missing_name_invalid_label_names_duplicates_and_disorder_are_refused_with_the_reason() {
        assertRefused(WriteRequest.newBuilder().addTimeseries(TimeSeries.newBuilder().addLabels(label("job", "a"))
                .addSamples(Sample.newBuilder().setTimestamp(1).setValue(1))).build(), "__name__ label is missing");
        assertRefused(WriteRequest.newBuilder().addTimeseries(series("up", Map.of("bad-label", "x"), 1, 1)).build(),
                "tag key 'bad-label'");
        assertRefused(WriteRequest.newBuilder().addTimeseries(series("9up", Map.of(), 1, 1)).build(), "metric name '9up'");
        assertRefused(WriteRequest.newBuilder().addTimeseries(series("up", Map.of(), 2000, 1, 1000, 2)).build(),
                "out-of-order sample");
        assertRefused(WriteRequest.newBuilder().addTimeseries(series("up", Map.of(), 1000, 1))
                .addTimeseries(series("up", Map.of(), 1000, 1)).build(), "duplicate sample");
        assertRefused(WriteRequest.newBuilder().addTimeseries(series("up", Map.of(), -5, 1)).build(), "timestamp -5");
    }

    @Test
    void native_histograms_refuse_the_request_instead_of_being_dropped() {
        WriteRequest req = WriteRequest.newBuilder().addTimeseries(series("lat", Map.of(), 1, 1).toBuilder()
                .addHistograms(Histogram.newBuilder().setTimestamp(1).setCountInt(3))).build();
        assertRefused(req, "native histogram");
    }

    @Test
    void v1_exemplars_are_counted_as_not_stored() throws IOException {
        WriteRequest req = WriteRequest.newBuilder().addTimeseries(series("up", Map.of(), 1, 1).toBuilder()
                .addExemplars(Exemplar.newBuilder().setTimestamp(1).setValue(0.5))).build();
        assertThat(decoder.decode(V1, "snappy", snappy(req.toByteArray())).exemplarsNotStored()).isEqualTo(1);
    }

    @Test
    void prometheus_staleness_markers_are_kept_for_counters() throws IOException {
        double stale = Double.longBitsToDouble(0x7ff0000000000002L);
        Request req = Request.newBuilder().addAllSymbols(Arrays.asList("", "__name__", "c_total"))
                .addTimeseries(io.prometheus.write.v2.Types.TimeSeries.newBuilder().addAllLabelsRefs(Arrays.asList(1, 2))
                        .addSamples(io.prometheus.write.v2.Types.Sample.newBuilder().setTimestamp(1).setValue(stale))
                        .setMetadata(io.prometheus.write.v2.Types.Metadata.newBuilder()
                                .setType(io.prometheus.write.v2.Types.Metadata.MetricType.METRIC_TYPE_COUNTER)))
                .build();
        RemoteWriteDecoder.Decoded d = decoder.decode(V2, "snappy", snappy(req.toByteArray()));
        assertThat(Double.doubleToRawLongBits(d.series().getFirst().values()[0])).isEqualTo(0x7ff0000000000002L);
    }

    private void assertRefused(WriteRequest req, String reason) {
        assertThatThrownBy(() -> decoder.decode(V1, "snappy", snappy(req.toByteArray())))
                .isInstanceOfSatisfying(ReceiverException.class, e -> assertThat(e.reason().httpStatus()).isEqualTo(400))
                .hasMessageContaining(reason);
    }
}
