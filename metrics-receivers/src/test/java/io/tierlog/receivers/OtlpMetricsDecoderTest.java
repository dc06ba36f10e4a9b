package io.tierlog.receivers;

import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogram;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Histogram;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;
import io.opentelemetry.proto.metrics.v1.Summary;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import io.opentelemetry.proto.resource.v1.Resource;
import io.tierlog.core.Limits;
import io.tierlog.core.MetricType;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OtlpMetricsDecoderTest {
    private static final long T = 1_700_000_000_123_000_000L; // ns
    /** The labels every series of {@link #request} gets: job and instance, and the promoted resource attribute. */
    private static final String L = "deployment_environment=prod,instance=i-1,job=shop/checkout";
    private final OtlpMetricsDecoder decoder = new OtlpMetricsDecoder(Limits.DEFAULTS, 1 << 20, Set.of("deployment.environment"));

    static KeyValue attr(String k, String v) {
        return KeyValue.newBuilder().setKey(k).setValue(AnyValue.newBuilder().setStringValue(v)).build();
    }

    static ExportMetricsServiceRequest request(Metric... metrics) {
        return ExportMetricsServiceRequest.newBuilder().addResourceMetrics(ResourceMetrics.newBuilder()
                .setResource(Resource.newBuilder().addAttributes(attr("service.name", "checkout"))
                        .addAttributes(attr("service.namespace", "shop")).addAttributes(attr("service.instance.id", "i-1"))
                        .addAttributes(attr("deployment.environment", "prod")).addAttributes(attr("host.name", "h1")))
                .addScopeMetrics(ScopeMetrics.newBuilder().addAllMetrics(java.util.List.of(metrics)))).build();
    }

    static NumberDataPoint point(double v, String... attrs) {
        NumberDataPoint.Builder b = NumberDataPoint.newBuilder().setTimeUnixNano(T).setAsDouble(v);
        for (int i = 0; i < attrs.length; i += 2) {
            b.addAttributes(attr(attrs[i], attrs[i + 1]));
        }
        return b.build();
    }

    private Map<String, Double> decoded(ExportMetricsServiceRequest req) {
        OtlpMetricsDecoder.Decoded d = decoder.decode("application/x-protobuf", null, req.toByteArray());
        Map<String, Double> out = new LinkedHashMap<>();
        for (SampleSeries s : d.series()) {
            assertThat(s.timestamps()).containsExactly(T / 1_000_000);
            out.put(s.key().canonical(), s.values()[0]);
        }
        return out;
    }

    @Test
    void monotonic_cumulative_sum_is_a_total_counter_with_job_instance_and_promoted_attributes() {
        Metric m = Metric.newBuilder().setName("http.server.requests").setUnit("{request}")
                .setSum(Sum.newBuilder().setIsMonotonic(true)
                        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
                        .addDataPoints(point(12, "http.method", "GET"))).build();
        OtlpMetricsDecoder.Decoded d = decoder.decode("application/x-protobuf", null, request(m).toByteArray());
        assertThat(d.series()).singleElement().satisfies(s -> {
            assertThat(s.key().canonical()).isEqualTo(
                    "http_server_requests_total{deployment_environment=prod,http_method=GET,instance=i-1,job=shop/checkout}");
            assertThat(s.type()).isEqualTo(MetricType.COUNTER);
        });
        assertThat(d.rejectedDataPoints()).isZero();
    }

    @Test
    void gauges_and_non_monotonic_and_delta_sums_are_gauges_with_unit_suffixes() {
        Metric gauge = Metric.newBuilder().setName("process.cpu.utilization").setUnit("1")
                .setGauge(Gauge.newBuilder().addDataPoints(point(0.5))).build();
        Metric upDown = Metric.newBuilder().setName("queue.size").setUnit("By")
                .setSum(Sum.newBuilder().setIsMonotonic(false)
                        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
                        .addDataPoints(point(3))).build();
        Metric delta = Metric.newBuilder().setName("bytes.sent").setUnit("By/s")
                .setSum(Sum.newBuilder().setIsMonotonic(true)
                        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA)
                        .addDataPoints(point(9))).build();
        assertThat(decoded(request(gauge, upDown, delta))).containsOnlyKeys(
                "process_cpu_utilization_ratio{" + L + "}",
                "queue_size_bytes{" + L + "}",
                // the unit word "bytes" is already in the name, so only the per-unit is added (as Prometheus does)
                "bytes_sent_per_second{" + L + "}");
    }

    @Test
    void histogram_becomes_cumulative_buckets_sum_and_count() {
        Metric h = Metric.newBuilder().setName("http.server.duration").setUnit("ms")
                .setHistogram(Histogram.newBuilder()
                        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
                        .addDataPoints(HistogramDataPoint.newBuilder().setTimeUnixNano(T).setCount(6).setSum(42.5)
                                .addExplicitBounds(0.5).addExplicitBounds(10).addBucketCounts(1).addBucketCounts(3)
                                .addBucketCounts(2))).build();
        String l = "deployment_environment=prod,instance=i-1,job=shop/checkout";
        assertThat(decoded(request(h))).containsExactlyInAnyOrderEntriesOf(Map.of(
                "http_server_duration_milliseconds_bucket{" + l + ",le=0.5}", 1.0,
                "http_server_duration_milliseconds_bucket{" + l + ",le=10}", 4.0,
                "http_server_duration_milliseconds_bucket{" + l + ",le=+Inf}", 6.0,
                "http_server_duration_milliseconds_sum{" + l + "}", 42.5,
                "http_server_duration_milliseconds_count{" + l + "}", 6.0));
    }

    @Test
    void summary_becomes_quantiles_sum_and_count() {
        Metric s = Metric.newBuilder().setName("rpc.latency").setUnit("s").setSummary(Summary.newBuilder()
                .addDataPoints(SummaryDataPoint.newBuilder().setTimeUnixNano(T).setCount(4).setSum(2)
                        .addQuantileValues(SummaryDataPoint.ValueAtQuantile.newBuilder().setQuantile(0.99).setValue(0.9)))).build();
        String l = "deployment_environment=prod,instance=i-1,job=shop/checkout";
        assertThat(decoded(request(s))).containsExactlyInAnyOrderEntriesOf(Map.of(
                "rpc_latency_seconds{" + l + ",quantile=0.99}", 0.9,
                "rpc_latency_seconds_sum{" + l + "}", 2.0,
                "rpc_latency_seconds_count{" + l + "}", 4.0));
    }

    @Test
    void unstorable_points_are_a_partial_success_and_the_rest_is_kept() throws Exception {
        Metric exp = Metric.newBuilder().setName("latency").setExponentialHistogram(ExponentialHistogram.newBuilder()
                .addDataPoints(ExponentialHistogramDataPoint.newBuilder().setTimeUnixNano(T))
                .addDataPoints(ExponentialHistogramDataPoint.newBuilder().setTimeUnixNano(T))).build();
        Metric ok = Metric.newBuilder().setName("temp").setGauge(Gauge.newBuilder().addDataPoints(point(20))).build();
        Metric tooManyAttrs = Metric.newBuilder().setName("wide").setGauge(Gauge.newBuilder()
                .addDataPoints(wide(40))).build();
        OtlpMetricsDecoder.Decoded d = decoder.decode("application/x-protobuf", null, request(exp, ok, tooManyAttrs).toByteArray());
        assertThat(d.series()).singleElement().satisfies(s -> assertThat(s.key().name()).isEqualTo("temp"));
        assertThat(d.rejectedDataPoints()).isEqualTo(3);
        assertThat(d.errorMessage()).contains("exponential histogram 'latency'");

        ExportMetricsServiceResponse r = ExportMetricsServiceResponse.parseFrom(
                OtlpMetricsDecoder.response(d, OtlpMetricsDecoder.Encoding.PROTOBUF));
        assertThat(r.getPartialSuccess().getRejectedDataPoints()).isEqualTo(3);
        assertThat(new String(OtlpMetricsDecoder.response(d, OtlpMetricsDecoder.Encoding.JSON), StandardCharsets.UTF_8))
                .contains("\"rejectedDataPoints\":\"3\"");
    }

    private static NumberDataPoint wide(int attrs) {
        NumberDataPoint.Builder b = NumberDataPoint.newBuilder().setTimeUnixNano(T).setAsInt(1);
        for (int i = 0; i < attrs; i++) {
            b.addAttributes(attr("a" + i, "v"));
        }
        return b.build();
    }

    @Test
    void a_refused_histogram_point_leaves_no_part_of_itself_behind() {
        HistogramDataPoint a = HistogramDataPoint.newBuilder().setTimeUnixNano(T).setCount(2).setSum(1)
                .addExplicitBounds(0.5).addBucketCounts(1).addBucketCounts(1).build();
        // same series and time as a, but a new bound: its le=0.7 bucket is new, its +Inf bucket a duplicate sample
        HistogramDataPoint b = a.toBuilder().setExplicitBounds(0, 0.7).build();
        Metric h = Metric.newBuilder().setName("lat").setHistogram(Histogram.newBuilder()
                .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
                .addDataPoints(a).addDataPoints(b)).build();
        OtlpMetricsDecoder.Decoded d = decoder.decode("application/x-protobuf", null, request(h).toByteArray());
        assertThat(d.rejectedDataPoints()).isEqualTo(1);
        assertThat(d.errorMessage()).contains("duplicate sample");
        assertThat(d.series()).extracting(s -> s.key().canonical()).containsExactlyInAnyOrder(
                "lat_bucket{" + L + ",le=0.5}", "lat_bucket{" + L + ",le=+Inf}", "lat_sum{" + L + "}", "lat_count{" + L + "}");
        assertThat(d.samples()).isEqualTo(4);
    }

    @Test
    void exemplars_are_counted_as_not_stored() {
        NumberDataPoint withExemplar = point(1).toBuilder().addExemplars(io.opentelemetry.proto.metrics.v1.Exemplar
                .newBuilder().setTimeUnixNano(T).setAsDouble(1)).build();
        Metric m = Metric.newBuilder().setName("temp").setGauge(Gauge.newBuilder().addDataPoints(withExemplar)).build();
        OtlpMetricsDecoder.Decoded d = decoder.decode("application/x-protobuf", null, request(m).toByteArray());
        assertThat(d.exemplarsNotStored()).isEqualTo(1);
        assertThat(d.samples()).isEqualTo(1);
    }

    @Test
    void json_and_gzip_bodies_decode_to_the_same_series() throws IOException {
        String json = """
                {"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},
                  "scopeMetrics":[{"metrics":[{"name":"jobs","unit":"1","sum":{"isMonotonic":true,
                    "aggregationTemporality":2,"dataPoints":[{"timeUnixNano":"1700000000123000000","asInt":"7"}]}}],
                    "unknownField":true}]}]}""";
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(json.getBytes(StandardCharsets.UTF_8));
        }
        OtlpMetricsDecoder.Decoded d = decoder.decode("application/json", "gzip", gz.toByteArray());
        assertThat(d.series()).singleElement().satisfies(s -> {
            assertThat(s.key().canonical()).isEqualTo("jobs_total{job=svc}");
            assertThat(s.values()).containsExactly(7.0);
            assertThat(s.timestamps()).containsExactly(1_700_000_000_123L);
        });
    }

    @Test
    void malformed_bodies_wrong_types_and_gzip_bombs_are_refused() throws IOException {
        assertThatThrownBy(() -> decoder.decode("application/x-protobuf", null, new byte[]{0x0a, 0x7f}))
                .isInstanceOfSatisfying(ReceiverException.class, e -> assertThat(e.reason().httpStatus()).isEqualTo(400));
        assertThatThrownBy(() -> decoder.decode("application/json", null, "{\"resourceMetrics\":".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(ReceiverException.class, e -> assertThat(e.reason().httpStatus()).isEqualTo(400));
        assertThatThrownBy(() -> decoder.decode("text/plain", null, new byte[0]))
                .isInstanceOfSatisfying(ReceiverException.class, e -> assertThat(e.reason().httpStatus()).isEqualTo(415));
        assertThatThrownBy(() -> decoder.decode("application/x-protobuf", "br", new byte[0]))
                .isInstanceOfSatisfying(ReceiverException.class, e -> assertThat(e.reason().httpStatus()).isEqualTo(415));
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(new byte[2 << 20]); // 2 MiB of zeros: a few KiB compressed, over the 1 MiB limit
        }
        assertThatThrownBy(() -> decoder.decode("application/x-protobuf", "gzip", gz.toByteArray()))
                .isInstanceOfSatisfying(ReceiverException.class, e -> assertThat(e.reason().httpStatus()).isEqualTo(413));
    }
}
