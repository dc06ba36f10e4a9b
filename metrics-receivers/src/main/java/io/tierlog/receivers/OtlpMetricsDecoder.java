package io.tierlog.receivers;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsPartialSuccess;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.DataPointFlags;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import io.tierlog.core.InvalidInputException;
import io.tierlog.core.Limits;
import io.tierlog.core.MetricType;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;

/**
 * Decodes an OTLP/HTTP metrics export ({@code ExportMetricsServiceRequest}, binary protobuf or JSON, optionally
 * gzip) into validated {@link SampleSeries}, mapping each data point as Prometheus' OTLP translation does: gauges
 * and sums to one series (monotonic cumulative sums as counters named {@code _total}), explicit-bucket histograms
 * to {@code _bucket{le}}/{@code _sum}/{@code _count}, summaries to {@code {quantile}}/{@code _sum}/{@code _count};
 * {@code service.name} (with {@code service.namespace}) becomes {@code job}, {@code service.instance.id}
 * {@code instance}, and the configured resource attributes become labels.
 *
 * <p>A data point Tierlog cannot store (exponential histograms, delta histograms, invalid names or order) is
 * rejected alone and reported through OTLP's partial success, as the OTLP specification asks; the rest is stored.
 * Delta sums are stored as gauges (each sample the change over its interval), without {@code _total}. Exemplars
 * are not stored; they are counted. A body that
 * does not decode at all is refused whole. Thread-safe and stateless.
 */
public final class OtlpMetricsDecoder {
    /** The two OTLP/HTTP encodings, chosen by Content-Type. */
    public enum Encoding {
        PROTOBUF("application/x-protobuf"),
        JSON("application/json");

        private final String mediaType;

        Encoding(String mediaType) {
            this.mediaType = mediaType;
        }

        public String mediaType() {
            return mediaType;
        }
    }

    /**
     * The series to store, the data points refused (with the first reason) for the partial-success answer, and the
     * exemplars received, which Tierlog does not store (the door counts them).
     */
    public record Decoded(List<SampleSeries> series, int samples, long rejectedDataPoints, String errorMessage,
                          int exemplarsNotStored) {
    }

    /** The gRPC status code INVALID_ARGUMENT, which OTLP/HTTP's 400 answers carry. */
    public static final int STATUS_INVALID_ARGUMENT = 3;

    private static final long NANOS_PER_MS = 1_000_000L;

    private final Limits limits;
    private final int maxDecodedBytes;
    private final Set<String> promotedResourceAttributes;

    /**
     * @param limits                     name, tag and timestamp rules (the server's)
     * @param maxDecodedBytes            largest body accepted after gzip is undone
     * @param promotedResourceAttributes resource attribute keys that become labels of every series of the resource
     */
    public OtlpMetricsDecoder(Limits limits, int maxDecodedBytes, Set<String> promotedResourceAttributes) {
        this.limits = limits;
        this.maxDecodedBytes = maxDecodedBytes;
        this.promotedResourceAttributes = Set.copyOf(promotedResourceAttributes);
    }

    /** The encoding a Content-Type names; 415 for anything else, as OTLP/HTTP requires. */
    public static Encoding encoding(String contentType) {
        String media = contentType == null ? "" : contentType.split(";")[0].trim().toLowerCase(Locale.ROOT);
        for (Encoding e : Encoding.values()) {
            if (e.mediaType.equals(media)) {
                return e;
            }
        }
        throw new ReceiverException(ReceiverException.Reason.UNSUPPORTED_MEDIA_TYPE, "Content-Type '" + contentType
                + "' is not supported; OTLP/HTTP sends application/x-protobuf or application/json");
    }

    public Decoded decode(String contentType, String contentEncoding, byte[] body) {
        Encoding encoding = encoding(contentType);
        byte[] raw = decompress(contentEncoding, body);
        ExportMetricsServiceRequest request;
        try {
            if (encoding == Encoding.PROTOBUF) {
                request = ExportMetricsServiceRequest.parseFrom(raw);
            } else {
                ExportMetricsServiceRequest.Builder b = ExportMetricsServiceRequest.newBuilder();
                // OTLP/JSON: receivers must ignore fields they do not know
                JsonFormat.parser().ignoringUnknownFields().merge(new String(raw, StandardCharsets.UTF_8), b);
                request = b.build();
            }
        } catch (InvalidProtocolBufferException e) {
            throw new ReceiverException(ReceiverException.Reason.MALFORMED, "body is not a valid OTLP "
                    + "ExportMetricsServiceRequest (" + encoding.mediaType + "): " + e.getMessage(), e);
        } catch (RuntimeException e) {
            // JsonFormat reports some malformed JSON through Gson's unchecked exceptions
            throw new ReceiverException(ReceiverException.Reason.MALFORMED, "body is not a valid OTLP "
                    + "ExportMetricsServiceRequest (" + encoding.mediaType + "): " + e.getMessage(), e);
        }
        return translate(request);
    }

    private byte[] decompress(String contentEncoding, byte[] body) {
        String enc = contentEncoding == null ? "" : contentEncoding.trim().toLowerCase(Locale.ROOT);
        if (enc.isEmpty() || enc.equals("identity")) {
            return body;
        }
        if (!enc.equals("gzip")) {
            throw new ReceiverException(ReceiverException.Reason.UNSUPPORTED_MEDIA_TYPE, "Content-Encoding '"
                    + contentEncoding + "' is not supported; use gzip or none");
        }
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(maxDecodedBytes, body.length * 4 + 64));
            byte[] chunk = new byte[8192];
            int n;
            while ((n = in.read(chunk)) > 0) {
                if (out.size() + n > maxDecodedBytes) {
                    throw new ReceiverException(ReceiverException.Reason.TOO_LARGE, "gzip body inflates to more than "
                            + maxDecodedBytes + " bytes");
                }
                out.write(chunk, 0, n);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new ReceiverException(ReceiverException.Reason.MALFORMED, "body is not valid gzip: " + e.getMessage(), e);
        }
    }

    private Decoded translate(ExportMetricsServiceRequest request) {
        Points points = new Points(new SeriesCollector(limits));
        for (ResourceMetrics rm : request.getResourceMetricsList()) {
            TreeMap<String, String> resourceLabels = resourceLabels(rm.getResource().getAttributesList());
            for (ScopeMetrics sm : rm.getScopeMetricsList()) {
                for (Metric m : sm.getMetricsList()) {
                    metric(m, resourceLabels, points);
                }
            }
        }
        return new Decoded(points.out.result(), points.out.samples(), points.rejected, points.firstError,
                points.exemplars);
    }

    private TreeMap<String, String> resourceLabels(List<KeyValue> attributes) {
        String service = null;
        String namespace = null;
        String instance = null;
        TreeMap<String, String> labels = new TreeMap<>();
        for (KeyValue kv : attributes) {
            String v = OtlpNaming.valueText(kv.getValue());
            switch (kv.getKey()) {
                case "service.name" -> service = v;
                case "service.namespace" -> namespace = v;
                case "service.instance.id" -> instance = v;
                default -> {
                }
            }
            if (promotedResourceAttributes.contains(kv.getKey()) && !v.isEmpty()) {
                labels.put(OtlpNaming.labelName(kv.getKey()), v);
            }
        }
        if (service != null && !service.isEmpty()) {
            labels.put("job", namespace == null || namespace.isEmpty() ? service : namespace + "/" + service);
        }
        if (instance != null && !instance.isEmpty()) {
            labels.put("instance", instance);
        }
        return labels;
    }

    private void metric(Metric m, TreeMap<String, String> resourceLabels, Points points) {
        switch (m.getDataCase()) {
            case GAUGE -> {
                String name = OtlpNaming.metricName(m.getName(), m.getUnit(), false, true);
                for (NumberDataPoint p : m.getGauge().getDataPointsList()) {
                    points.number(name, MetricType.GAUGE, labels(resourceLabels, p.getAttributesList()), p);
                }
            }
            case SUM -> {
                boolean cumulative = m.getSum().getAggregationTemporality()
                        == AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE;
                boolean counter = cumulative && m.getSum().getIsMonotonic();
                String name = OtlpNaming.metricName(m.getName(), m.getUnit(), counter, false);
                MetricType type = counter ? MetricType.COUNTER : MetricType.GAUGE;
                for (NumberDataPoint p : m.getSum().getDataPointsList()) {
                    points.number(name, type, labels(resourceLabels, p.getAttributesList()), p);
                }
            }
            case HISTOGRAM -> {
                String name = OtlpNaming.metricName(m.getName(), m.getUnit(), false, false);
                boolean cumulative = m.getHistogram().getAggregationTemporality()
                        == AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE;
                for (HistogramDataPoint p : m.getHistogram().getDataPointsList()) {
                    if (!cumulative) {
                        points.reject("histogram '" + m.getName() + "' has delta temporality, which Tierlog does not "
                                + "store; export cumulative histograms");
                        continue;
                    }
                    points.histogram(name, labels(resourceLabels, p.getAttributesList()), p);
                }
            }
            case SUMMARY -> {
                String name = OtlpNaming.metricName(m.getName(), m.getUnit(), false, false);
                for (SummaryDataPoint p : m.getSummary().getDataPointsList()) {
                    points.summary(name, labels(resourceLabels, p.getAttributesList()), p);
                }
            }
            case EXPONENTIAL_HISTOGRAM -> points.reject(m.getExponentialHistogram().getDataPointsCount(),
                    "exponential histogram '" + m.getName() + "' is not stored by Tierlog; export explicit-bucket histograms");
            default -> points.reject(1, "metric '" + m.getName() + "' has no data");
        }
    }

    private static TreeMap<String, String> labels(TreeMap<String, String> resourceLabels, List<KeyValue> attributes) {
        TreeMap<String, String> labels = new TreeMap<>(resourceLabels);
        TreeMap<String, String> own = new TreeMap<>();
        for (KeyValue kv : attributes) {
            String v = OtlpNaming.valueText(kv.getValue());
            if (v.isEmpty()) {
                continue;
            }
            // two keys that sanitise to one label name: Prometheus joins their values with ';' in key order
            own.merge(OtlpNaming.labelName(kv.getKey()), v, (a, b) -> a + ";" + b);
        }
        labels.putAll(own); // a data point's own attribute wins over a promoted resource attribute
        return labels;
    }

    /** The data points of one request, accepted into the collector or counted as rejected. */
    private static final class Points {
        final SeriesCollector out;
        long rejected;
        String firstError;
        int exemplars;
        /** The samples of the data point being accepted, checked before any is added. */
        private final List<Pending> pending = new java.util.ArrayList<>();

        private record Pending(SeriesCollector.Growing series, long timestamp, double value) {
        }

        Points(SeriesCollector out) {
            this.out = out;
        }

        void reject(String reason) {
            reject(1, reason);
        }

        void reject(long count, String reason) {
            if (count <= 0) {
                return;
            }
            rejected += count;
            if (firstError == null) {
                firstError = reason;
            }
        }

        void number(String name, MetricType type, TreeMap<String, String> labels, NumberDataPoint p) {
            double v = switch (p.getValueCase()) {
                case AS_DOUBLE -> p.getAsDouble();
                case AS_INT -> p.getAsInt();
                default -> Double.NaN;
            };
            if (noRecordedValue(p.getFlags()) || p.getValueCase() == NumberDataPoint.ValueCase.VALUE_NOT_SET) {
                v = Double.longBitsToDouble(SeriesCollector.STALE_MARKER_BITS);
            }
            double value = v;
            exemplars += p.getExemplarsCount();
            accept(name, p.getTimeUnixNano(), () -> add(name, type, labels, p.getTimeUnixNano(), value));
        }

        void histogram(String name, TreeMap<String, String> labels, HistogramDataPoint p) {
            int bounds = p.getExplicitBoundsCount();
            if (p.getBucketCountsCount() != 0 && p.getBucketCountsCount() != bounds + 1) {
                reject("histogram '" + name + "' has " + p.getBucketCountsCount() + " bucket counts for " + bounds
                        + " bounds; there must be one more count than bounds");
                return;
            }
            exemplars += p.getExemplarsCount();
            boolean stale = noRecordedValue(p.getFlags());
            double staleValue = Double.longBitsToDouble(SeriesCollector.STALE_MARKER_BITS);
            accept(name, p.getTimeUnixNano(), () -> {
                long t = p.getTimeUnixNano();
                long cumulative = 0;
                for (int i = 0; i < p.getBucketCountsCount(); i++) {
                    cumulative += p.getBucketCounts(i);
                    TreeMap<String, String> le = new TreeMap<>(labels);
                    le.put("le", i < bounds ? OtlpNaming.number(p.getExplicitBounds(i)) : "+Inf");
                    add(name + "_bucket", MetricType.HISTOGRAM, le, t, stale ? staleValue : cumulative);
                }
                if (p.getBucketCountsCount() == 0) {
                    TreeMap<String, String> le = new TreeMap<>(labels);
                    le.put("le", "+Inf");
                    add(name + "_bucket", MetricType.HISTOGRAM, le, t, stale ? staleValue : p.getCount());
                }
                if (p.hasSum()) {
                    add(name + "_sum", MetricType.HISTOGRAM, labels, t, stale ? staleValue : p.getSum());
                }
                add(name + "_count", MetricType.HISTOGRAM, labels, t, stale ? staleValue : p.getCount());
            });
        }

        void summary(String name, TreeMap<String, String> labels, SummaryDataPoint p) {
            boolean stale = noRecordedValue(p.getFlags());
            double staleValue = Double.longBitsToDouble(SeriesCollector.STALE_MARKER_BITS);
            accept(name, p.getTimeUnixNano(), () -> {
                long t = p.getTimeUnixNano();
                for (SummaryDataPoint.ValueAtQuantile q : p.getQuantileValuesList()) {
                    TreeMap<String, String> ql = new TreeMap<>(labels);
                    ql.put("quantile", OtlpNaming.number(q.getQuantile()));
                    add(name, MetricType.SUMMARY, ql, t, stale ? staleValue : q.getValue());
                }
                add(name + "_sum", MetricType.SUMMARY, labels, t, stale ? staleValue : p.getSum());
                add(name + "_count", MetricType.SUMMARY, labels, t, stale ? staleValue : p.getCount());
            });
        }

        /**
         * Runs {@code point}, which lists the samples of one data point through {@link #add}; they are stored all
         * or none: every one is checked before any is added, so a refused point leaves no part of itself behind.
         */
        private void accept(String name, long timeUnixNano, Runnable point) {
            if (timeUnixNano <= 0) {
                reject("a data point of '" + name + "' has no time_unix_nano");
                return;
            }
            pending.clear();
            try {
                point.run();
                for (Pending p : pending) {
                    p.series.check(p.timestamp, p.value);
                }
            } catch (InvalidInputException e) {
                reject("'" + name + "': " + e.getMessage());
                return;
            }
            for (Pending p : pending) {
                p.series.add(p.timestamp, p.value);
            }
        }

        private void add(String name, MetricType type, TreeMap<String, String> labels, long timeUnixNano, double value) {
            pending.add(new Pending(out.series(name, labels, type), timeUnixNano / NANOS_PER_MS, value));
        }

        private static boolean noRecordedValue(int flags) {
            return (flags & DataPointFlags.DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK_VALUE) != 0;
        }
    }

    // ---------------------------------------------------------------- answers

    /** The success answer, with partial success filled in when data points were rejected. */
    public static byte[] response(Decoded decoded, Encoding encoding) {
        ExportMetricsServiceResponse.Builder b = ExportMetricsServiceResponse.newBuilder();
        if (decoded.rejectedDataPoints() > 0) {
            b.setPartialSuccess(ExportMetricsPartialSuccess.newBuilder()
                    .setRejectedDataPoints(decoded.rejectedDataPoints())
                    .setErrorMessage(decoded.errorMessage() == null ? "" : decoded.errorMessage()));
        }
        ExportMetricsServiceResponse r = b.build();
        if (encoding == Encoding.PROTOBUF) {
            return r.toByteArray();
        }
        try {
            return JsonFormat.printer().omittingInsignificantWhitespace().print(r).getBytes(StandardCharsets.UTF_8);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("an OTLP response did not print as JSON", e);
        }
    }

    /**
     * An error answer's body: OTLP/HTTP says 4xx and 5xx carry a {@code google.rpc.Status} (code, message), in the
     * request's encoding. Written field by field (code = 1, message = 2): the message type is not in the OTLP jar.
     */
    public static byte[] status(int code, String message, Encoding encoding) {
        if (encoding == Encoding.JSON) {
            return ("{\"code\":" + code + ",\"message\":\"" + io.tierlog.core.JsonStrings.escape(message) + "\"}").getBytes(StandardCharsets.UTF_8);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            out.writeInt32(1, code);
            out.writeString(2, message);
            out.flush();
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory failed", e);
        }
        return bytes.toByteArray();
    }
}
