package io.tierlog.receivers;

import com.google.protobuf.InvalidProtocolBufferException;
import io.prometheus.write.v2.Types.Request;
import io.tierlog.core.InvalidInputException;
import io.tierlog.core.Limits;
import io.tierlog.core.MetricType;
import io.tierlog.receivers.proto.prometheus.Remote.WriteRequest;
import io.tierlog.receivers.proto.prometheus.Types.Label;
import io.tierlog.receivers.proto.prometheus.Types.Sample;
import io.tierlog.receivers.proto.prometheus.Types.TimeSeries;
import org.xerial.snappy.Snappy;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Decodes a Prometheus remote_write request body, protocol 1.0 ({@code prometheus.WriteRequest}) or 2.0
 * ({@code io.prometheus.write.v2.Request}), chosen by Content-Type as both specifications say, into validated
 * {@link SampleSeries}. Everything is checked before the caller stores anything, so a refused request stores
 * nothing: the media type, the snappy framing and the declared uncompressed length (against a limit, before
 * decompressing), the protobuf, label names and values, and sample order per series.
 *
 * <p>Native histograms are not stored by Tierlog (a metric record holds one double): a request carrying them is
 * refused with a 400 that says so, never accepted with them silently dropped. Exemplars are not stored either;
 * they are counted in the result so that the door reports them (2.0's written-exemplars header, metrics).
 *
 * <p>Thread-safe and stateless.
 */
public final class RemoteWriteDecoder {
    /** The protocol a request used, from its Content-Type. */
    public enum Version {
        V1("prometheus.WriteRequest"),
        V2("io.prometheus.write.v2.Request");

        private final String protoMessage;

        Version(String protoMessage) {
            this.protoMessage = protoMessage;
        }

        /** The {@code proto=} parameter of the Content-Type that names this version. */
        public String protoMessage() {
            return protoMessage;
        }
    }

    /** What one request held: its series (to store) and what was received but is not stored. */
    public record Decoded(Version version, List<SampleSeries> series, int samples, int exemplarsNotStored) {
    }

    private static final String NAME_LABEL = "__name__";

    private final Limits limits;
    private final int maxDecodedBytes;

    /**
     * @param limits          name, tag and timestamp rules (the server's)
     * @param maxDecodedBytes largest uncompressed protobuf accepted; checked against snappy's declared length
     */
    public RemoteWriteDecoder(Limits limits, int maxDecodedBytes) {
        this.limits = limits;
        this.maxDecodedBytes = maxDecodedBytes;
    }

    /**
     * Which version a Content-Type asks for. 1.0 senders send {@code application/x-protobuf} without parameters
     * (2.0's spec says to treat that as 1.0); anything else is 415 as the 2.0 spec requires.
     */
    public static Version version(String contentType) {
        if (contentType == null || contentType.isBlank()) {
            throw new ReceiverException(ReceiverException.Reason.UNSUPPORTED_MEDIA_TYPE,
                    "Content-Type is missing; remote_write sends application/x-protobuf");
        }
        String[] parts = contentType.split(";");
        if (!parts[0].trim().equalsIgnoreCase("application/x-protobuf")) {
            throw new ReceiverException(ReceiverException.Reason.UNSUPPORTED_MEDIA_TYPE, "Content-Type '"
                    + contentType + "' is not supported; remote_write sends application/x-protobuf");
        }
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i].trim();
            int eq = p.indexOf('=');
            if (eq > 0 && p.substring(0, eq).trim().toLowerCase(Locale.ROOT).equals("proto")) {
                String message = p.substring(eq + 1).trim();
                for (Version v : Version.values()) {
                    if (v.protoMessage.equals(message)) {
                        return v;
                    }
                }
                throw new ReceiverException(ReceiverException.Reason.UNSUPPORTED_MEDIA_TYPE, "proto=" + message
                        + " is not supported; use prometheus.WriteRequest (1.0) or io.prometheus.write.v2.Request (2.0)");
            }
        }
        return Version.V1;
    }

    /** Decodes a whole request: Content-Type and Content-Encoding as sent, body as received (snappy). */
    public Decoded decode(String contentType, String contentEncoding, byte[] body) {
        Version version = version(contentType);
        if (contentEncoding == null || !contentEncoding.trim().equalsIgnoreCase("snappy")) {
            throw new ReceiverException(ReceiverException.Reason.UNSUPPORTED_MEDIA_TYPE, "Content-Encoding '"
                    + contentEncoding + "' is not supported; remote_write bodies are snappy block compressed");
        }
        byte[] raw = unsnappy(body);
        if (version == Version.V1) {
            WriteRequest request = parse(raw, version, WriteRequest::parseFrom);
            try {
                return v1(request);
            } catch (ReceiverException e) {
                long samples = 0;
                for (TimeSeries ts : request.getTimeseriesList()) {
                    samples += ts.getSamplesCount();
                }
                throw e.withSamplesRefused(samples);
            }
        }
        Request request = parse(raw, version, Request::parseFrom);
        try {
            return v2(request);
        } catch (ReceiverException e) {
            long samples = 0;
            for (io.prometheus.write.v2.Types.TimeSeries ts : request.getTimeseriesList()) {
                samples += ts.getSamplesCount();
            }
            throw e.withSamplesRefused(samples);
        }
    }

    private interface Parser<T> {
        T parse(byte[] bytes) throws InvalidProtocolBufferException;
    }

    private static <T> T parse(byte[] raw, Version version, Parser<T> parser) {
        try {
            return parser.parse(raw);
        } catch (InvalidProtocolBufferException e) {
            throw new ReceiverException(ReceiverException.Reason.MALFORMED, "body is not a valid "
                    + version.protoMessage + " protobuf: " + e.getMessage(), e);
        }
    }

    /** Snappy block format, with the declared length checked against the limit before anything is allocated. */
    private byte[] unsnappy(byte[] body) {
        int declared;
        try {
            declared = Snappy.uncompressedLength(body);
        } catch (IOException e) {
            throw new ReceiverException(ReceiverException.Reason.MALFORMED,
                    "body is not snappy block compressed (its length header is invalid): " + e.getMessage(), e);
        }
        if (declared < 0 || declared > maxDecodedBytes) {
            throw new ReceiverException(ReceiverException.Reason.TOO_LARGE, "body declares " + declared
                    + " uncompressed bytes; at most " + maxDecodedBytes + " are accepted");
        }
        try {
            if (!Snappy.isValidCompressedBuffer(body)) {
                throw ReceiverException.malformed("body is not valid snappy block compressed data");
            }
            return Snappy.uncompress(body);
        } catch (IOException e) {
            throw new ReceiverException(ReceiverException.Reason.MALFORMED,
                    "body is not valid snappy block compressed data: " + e.getMessage(), e);
        }
    }

    private Decoded v1(WriteRequest request) {
        SeriesCollector out = new SeriesCollector(limits);
        int exemplars = 0;
        for (int i = 0; i < request.getTimeseriesCount(); i++) {
            TimeSeries ts = request.getTimeseries(i);
            if (ts.getHistogramsCount() > 0) {
                throw nativeHistograms(ts.getHistogramsCount());
            }
            exemplars += ts.getExemplarsCount();
            if (ts.getSamplesCount() == 0) {
                continue;
            }
            TreeMap<String, String> tags = new TreeMap<>();
            String name = null;
            for (Label l : ts.getLabelsList()) {
                name = label(tags, name, l.getName(), l.getValue(), i);
            }
            SeriesCollector.Growing g = series(out, name, tags, MetricType.UNTYPED, i);
            for (Sample s : ts.getSamplesList()) {
                add(g, s.getTimestamp(), s.getValue(), i);
            }
        }
        return new Decoded(Version.V1, out.result(), out.samples(), exemplars);
    }

    private Decoded v2(Request request) {
        List<String> symbols = request.getSymbolsList();
        if (!symbols.isEmpty() && !symbols.getFirst().isEmpty()) {
            throw ReceiverException.malformed("symbols[0] must be the empty string");
        }
        SeriesCollector out = new SeriesCollector(limits);
        int exemplars = 0;
        for (int i = 0; i < request.getTimeseriesCount(); i++) {
            io.prometheus.write.v2.Types.TimeSeries ts = request.getTimeseries(i);
            if (ts.getHistogramsCount() > 0) {
                throw nativeHistograms(ts.getHistogramsCount());
            }
            exemplars += ts.getExemplarsCount();
            int refs = ts.getLabelsRefsCount();
            if (refs % 2 != 0) {
                throw ReceiverException.malformed("timeseries[" + i + "]: labels_refs holds an odd number of references");
            }
            if (ts.getSamplesCount() == 0) {
                continue;
            }
            TreeMap<String, String> tags = new TreeMap<>();
            String name = null;
            for (int r = 0; r < refs; r += 2) {
                name = label(tags, name, symbol(symbols, ts.getLabelsRefs(r), i), symbol(symbols, ts.getLabelsRefs(r + 1), i), i);
            }
            SeriesCollector.Growing g = series(out, name, tags, type(ts.getMetadata().getType()), i);
            for (io.prometheus.write.v2.Types.Sample s : ts.getSamplesList()) {
                add(g, s.getTimestamp(), s.getValue(), i);
            }
        }
        return new Decoded(Version.V2, out.result(), out.samples(), exemplars);
    }

    private static MetricType type(io.prometheus.write.v2.Types.Metadata.MetricType t) {
        return switch (t) {
            case METRIC_TYPE_COUNTER -> MetricType.COUNTER;
            case METRIC_TYPE_GAUGE -> MetricType.GAUGE;
            // classic histograms and summaries arrive as their _bucket/_sum/_count or quantile series
            case METRIC_TYPE_HISTOGRAM, METRIC_TYPE_GAUGEHISTOGRAM -> MetricType.HISTOGRAM;
            case METRIC_TYPE_SUMMARY -> MetricType.SUMMARY;
            default -> MetricType.UNTYPED;
        };
    }

    private static String symbol(List<String> symbols, int ref, int series) {
        if (ref < 0 || ref >= symbols.size()) {
            throw ReceiverException.malformed("timeseries[" + series + "]: label reference " + ref
                    + " is outside the symbol table of " + symbols.size() + " entries");
        }
        return symbols.get(ref);
    }

    /** Adds one label; returns the metric name (from {@code __name__}) seen so far. */
    private static String label(SortedMap<String, String> tags, String name, String key, String value, int series) {
        if (key.isEmpty()) {
            throw ReceiverException.malformed("timeseries[" + series + "]: a label has an empty name");
        }
        if (key.equals(NAME_LABEL)) {
            if (name != null) {
                throw ReceiverException.malformed("timeseries[" + series + "]: label __name__ appears twice");
            }
            return value;
        }
        if (value.isEmpty()) {
            return name; // Prometheus: a label with an empty value is the same as no label
        }
        if (tags.put(key, value) != null) {
            throw ReceiverException.malformed("timeseries[" + series + "]: label '" + key + "' appears twice");
        }
        return name;
    }

    private SeriesCollector.Growing series(SeriesCollector out, String name, SortedMap<String, String> tags,
                                           MetricType type, int series) {
        if (name == null || name.isEmpty()) {
            throw ReceiverException.malformed("timeseries[" + series + "]: the __name__ label is missing");
        }
        try {
            return out.series(name, tags, type);
        } catch (ReceiverException e) {
            throw e;
        } catch (InvalidInputException e) {
            throw ReceiverException.malformed("timeseries[" + series + "]: " + e.getMessage());
        }
    }

    private static void add(SeriesCollector.Growing g, long timestamp, double value, int series) {
        try {
            g.add(timestamp, value);
        } catch (ReceiverException e) {
            throw ReceiverException.malformed("timeseries[" + series + "]: " + e.getMessage());
        } catch (InvalidInputException e) {
            throw ReceiverException.malformed("timeseries[" + series + "]: " + e.getMessage());
        }
    }

    private static ReceiverException nativeHistograms(int count) {
        return ReceiverException.malformed("the request holds native histogram samples (" + count
                + " in one series), which Tierlog does not store; nothing of this request was stored. Send classic "
                + "histograms (send_native_histograms: false, the default) or convert them before remote_write");
    }
}
