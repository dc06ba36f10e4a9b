package io.tierlog.receivers;

import io.prometheus.write.v2.Types.Request;
import io.tierlog.core.Limits;
import io.tierlog.receivers.proto.prometheus.Remote.WriteRequest;
import io.tierlog.receivers.proto.prometheus.Types.Label;
import io.tierlog.receivers.proto.prometheus.Types.Sample;
import io.tierlog.receivers.proto.prometheus.Types.TimeSeries;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.xerial.snappy.Snappy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Any valid set of series, sent as remote_write 1.0 or as 2.0 (with its symbol table), decodes to exactly the
 * series and samples that were sent, the same for both versions.
 */
class RemoteWriteRoundTripTest {
    private final RemoteWriteDecoder decoder = new RemoteWriteDecoder(Limits.DEFAULTS, 1 << 24);

    /** One generated series: name, labels (sorted, non-empty values) and samples in increasing time order. */
    record Gen(String name, TreeMap<String, String> labels, long[] ts, double[] values) {
        String key() {
            return io.tierlog.core.SeriesKey.of(name, labels).canonical();
        }
    }

    @Provide
    Arbitrary<List<Gen>> requests() {
        Arbitrary<String> names = Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(8)
                .map(s -> "m_" + s);
        Arbitrary<TreeMap<String, String>> labels = Arbitraries.maps(
                Arbitraries.strings().withCharRange('a', 'e').ofMinLength(1).ofMaxLength(3),
                Arbitraries.strings().alpha().numeric().withChars(',', '=', '{', '}', '\\', ' ').ofMinLength(1).ofMaxLength(6))
                .ofMaxSize(4).map(TreeMap::new);
        Arbitrary<long[]> times = Arbitraries.longs().between(1, 10_000).array(long[].class).ofMinSize(1).ofMaxSize(5)
                .map(deltas -> {
                    long[] ts = new long[deltas.length];
                    long t = 1_600_000_000_000L;
                    for (int i = 0; i < deltas.length; i++) {
                        t += deltas[i];
                        ts[i] = t;
                    }
                    return ts;
                });
        Arbitrary<Gen> series = Combinators.combine(names, labels, times).as((n, l, t) -> {
            double[] v = new double[t.length];
            for (int i = 0; i < t.length; i++) {
                v[i] = (t[i] % 1000) / 7.0;
            }
            return new Gen(n, l, t, v);
        });
        // one entry per series key: merging of repeated series is tested by example
        return series.list().ofMaxSize(20).map(list -> {
            Map<String, Gen> unique = new LinkedHashMap<>();
            list.forEach(g -> unique.putIfAbsent(g.key(), g));
            return new ArrayList<>(unique.values());
        });
    }

    @Property(tries = 200)
    void v1_and_v2_decode_to_what_was_sent(@ForAll("requests") List<Gen> sent) throws IOException {
        Map<String, List<String>> expected = new TreeMap<>();
        for (Gen g : sent) {
            expected.put(g.key(), samples(g.ts, g.values));
        }
        assertThat(asMap(decoder.decode("application/x-protobuf", "snappy", Snappy.compress(v1(sent).toByteArray()))))
                .isEqualTo(expected);
        assertThat(asMap(decoder.decode("application/x-protobuf;proto=io.prometheus.write.v2.Request", "snappy",
                Snappy.compress(v2(sent).toByteArray())))).isEqualTo(expected);
    }

    private static Map<String, List<String>> asMap(RemoteWriteDecoder.Decoded d) {
        Map<String, List<String>> out = new TreeMap<>();
        for (SampleSeries s : d.series()) {
            out.put(s.key().canonical(), samples(s.timestamps(), s.values()));
        }
        return out;
    }

    private static List<String> samples(long[] ts, double[] vs) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < ts.length; i++) {
            out.add(ts[i] + "=" + vs[i]);
        }
        return out;
    }

    private static WriteRequest v1(List<Gen> sent) {
        WriteRequest.Builder b = WriteRequest.newBuilder();
        for (Gen g : sent) {
            TimeSeries.Builder ts = TimeSeries.newBuilder().addLabels(Label.newBuilder().setName("__name__").setValue(g.name));
            g.labels.forEach((k, v) -> ts.addLabels(Label.newBuilder().setName(k).setValue(v)));
            for (int i = 0; i < g.ts.length; i++) {
                ts.addSamples(Sample.newBuilder().setTimestamp(g.ts[i]).setValue(g.values[i]));
            }
            b.addTimeseries(ts);
        }
        return b.build();
    }

    private static Request v2(List<Gen> sent) {
        Map<String, Integer> symbols = new LinkedHashMap<>();
        symbols.put("", 0);
        Request.Builder b = Request.newBuilder();
        for (Gen g : sent) {
            io.prometheus.write.v2.Types.TimeSeries.Builder ts = io.prometheus.write.v2.Types.TimeSeries.newBuilder();
            ts.addLabelsRefs(ref(symbols, "__name__")).addLabelsRefs(ref(symbols, g.name));
            g.labels.forEach((k, v) -> ts.addLabelsRefs(ref(symbols, k)).addLabelsRefs(ref(symbols, v)));
            for (int i = 0; i < g.ts.length; i++) {
                ts.addSamples(io.prometheus.write.v2.Types.Sample.newBuilder().setTimestamp(g.ts[i]).setValue(g.values[i]));
            }
            b.addTimeseries(ts);
        }
        return b.addAllSymbols(symbols.keySet()).build();
    }

    private static int ref(Map<String, Integer> symbols, String s) {
        return symbols.computeIfAbsent(s, x -> symbols.size());
    }
}
