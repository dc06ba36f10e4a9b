package io.tierlog.promql;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Evaluates PromQL over a {@link SeriesSource} with Prometheus' semantics: a sample is visible to an instant
 * selector for the lookback delta (5 minutes) after it was taken, a staleness marker ends a series at once, range
 * selectors take the samples of {@code [t - range, t]} (both ends included, as Prometheus 2.x does), and
 * {@code rate}/{@code increase}/{@code delta} extrapolate to the window's edges as Prometheus does. A range query
 * is the instant evaluation at {@code start, start + step, ..., end}.
 *
 * <p>Each selector's series are read once per query, for the whole time span the query needs, then looked up by
 * binary search at every step. {@code min/max/sum/count/avg/last/present_over_time} of a selector are answered from
 * the source's {@link RollupSeries rollups} when the range, offset and evaluation times fall on bucket ends and the
 * source has them (see {@link SeriesSource#rollups}); otherwise, and whenever the source declines, from samples.
 * Thread-safe: a query keeps its state to itself.
 */
public final class Engine {
    /** Prometheus' staleness marker: a NaN with this exact bit pattern ends a series. */
    public static final long STALE_NAN_BITS = 0x7ff0000000000002L;

    /** Prometheus' own limit on points per series in a range query. */
    public static final long MAX_STEPS = 11_000;

    /**
     * @param lookbackMs how long an instant selector sees a sample after its timestamp (Prometheus: 5 minutes)
     * @param maxSamples most samples one query may load from the source
     */
    public record Options(long lookbackMs, long maxSamples) {
        public static final Options DEFAULTS = new Options(5 * 60_000L, 50_000_000L);
    }

    private final SeriesSource source;
    private final Options options;

    public Engine(SeriesSource source, Options options) {
        this.source = source;
        this.options = options;
    }

    public Engine(SeriesSource source) {
        this(source, Options.DEFAULTS);
    }

    /** The value of {@code query} at {@code timeMs}: a scalar, a string or an instant vector. */
    public Value instant(String query, long timeMs) {
        Expr expr = QueryParser.parse(query);
        if (expr.type() == Expr.Type.RANGE_VECTOR) {
            Expr.MatrixSelector m = (Expr.MatrixSelector) expr;
            return new Evaluation(timeMs, timeMs, 0).matrixAt(m, timeMs);
        }
        Evaluation ev = new Evaluation(timeMs, timeMs, 0);
        Object v = ev.eval(expr, timeMs);
        return switch (v) {
            case Double d -> new Value.Scalar(timeMs, d);
            case String s -> new Value.StringValue(timeMs, s);
            case List<?> l -> new Value.Vector(checkedUnique(samples(l)));
            default -> throw new IllegalStateException(v.getClass().getName());
        };
    }

    /** The values of {@code query} at {@code start, start + step, ..., end}: series sorted by labels. */
    public Value.Matrix range(String query, long startMs, long endMs, long stepMs) {
        if (stepMs <= 0) {
            throw new BadQueryException("zero or negative query resolution step widths are not accepted. Try a positive integer");
        }
        if (endMs < startMs) {
            throw new BadQueryException("end timestamp must not be before start time");
        }
        if ((endMs - startMs) / stepMs + 1 > MAX_STEPS) {
            throw new BadQueryException("exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query "
                    + "resolution (?step=XX)");
        }
        Expr expr = QueryParser.parse(query);
        if (expr.type() != Expr.Type.INSTANT_VECTOR && expr.type() != Expr.Type.SCALAR) {
            throw new BadQueryException("invalid expression type \"" + QueryParser.typeName(expr.type())
                    + "\" for range query, must be Scalar or instant Vector");
        }
        Evaluation ev = new Evaluation(startMs, endMs, stepMs);
        Map<Labels, SeriesBuilder> out = new HashMap<>();
        for (long t = startMs; t <= endMs; t += stepMs) {
            Object v = ev.eval(expr, t);
            if (v instanceof Double d) {
                out.computeIfAbsent(Labels.EMPTY, SeriesBuilder::new).add(t, d);
                continue;
            }
            for (Value.Sample s : checkedUnique(samples((List<?>) v))) {
                out.computeIfAbsent(s.labels(), SeriesBuilder::new).add(t, s.value());
            }
        }
        List<Series> series = new ArrayList<>(out.size());
        out.values().forEach(b -> series.add(b.build()));
        series.sort(Comparator.comparing(Series::labels));
        return new Value.Matrix(series);
    }

    @SuppressWarnings("unchecked")
    private static List<Value.Sample> samples(List<?> l) {
        return (List<Value.Sample>) l;
    }

    private static List<Value.Sample> checkedUnique(List<Value.Sample> samples) {
        if (samples.size() > 1) {
            Set<Labels> seen = new HashSet<>();
            for (Value.Sample s : samples) {
                if (!seen.add(s.labels())) {
                    throw new QueryExecutionException("vector cannot contain metrics with the same labelset");
                }
            }
        }
        return samples;
    }

    static boolean isStale(double v) {
        return Double.doubleToRawLongBits(v) == STALE_NAN_BITS;
    }

    /** One query's evaluation: the selectors' data, read once, and the evaluation at each time. */
    private final class Evaluation {
        private final long start;
        private final long end;
        private final long step;
        private final Map<Expr.VectorSelector, List<Series>> data = new IdentityHashMap<>();
        /** Per range function's selector: its rollups, or empty when it is answered from samples. */
        private final Map<Expr.MatrixSelector, Optional<List<RollupSeries>>> rollups = new IdentityHashMap<>();
        private long loaded;

        /** Evaluation at {@code start, start + step, ..., end}; {@code step} 0 for the one time of an instant query. */
        Evaluation(long start, long end, long step) {
            this.start = start;
            this.end = end;
            this.step = step;
        }

        /** A Double (scalar), a String, or a List of samples (instant vector). */
        Object eval(Expr e, long t) {
            return switch (e) {
                case Expr.NumberLiteral n -> n.value();
                case Expr.StringLiteral s -> s.value();
                case Expr.VectorSelector vs -> instantSelect(vs, t);
                case Expr.MatrixSelector m -> throw new BadQueryException("range vector " + m + " where an instant vector is needed");
                case Expr.Negation n -> negate(eval(n.expr(), t));
                case Expr.Aggregate a -> Aggregations.aggregate(a.op(), a.param() == null ? 0 : scalar(a.param(), t),
                        vector(a.expr(), t), a.without(), a.grouping(), t);
                case Expr.Binary b -> binary(b, t);
                case Expr.Call c -> call(c, t);
            };
        }

        private double scalar(Expr e, long t) {
            return (Double) eval(e, t);
        }

        private List<Value.Sample> vector(Expr e, long t) {
            return samples((List<?>) eval(e, t));
        }

        private Object negate(Object v) {
            if (v instanceof Double d) {
                return -d;
            }
            List<Value.Sample> out = new ArrayList<>();
            for (Value.Sample s : samples((List<?>) v)) {
                out.add(new Value.Sample(s.labels().withoutMetricName(), s.timestampMs(), -s.value()));
            }
            return out;
        }

        // ---- selectors

        private List<Series> seriesOf(Expr.VectorSelector vs, long rangeMs) {
            List<Series> s = data.get(vs);
            if (s == null) {
                long from = start - vs.offsetMs() - rangeMs;
                long to = end - vs.offsetMs();
                s = source.select(vs.matchers(), from, to);
                for (Series one : s) {
                    loaded += one.size();
                }
                checkLoaded();
                data.put(vs, s);
            }
            return s;
        }

        private void checkLoaded() {
            if (loaded > options.maxSamples()) {
                throw new QueryExecutionException("query processing would load too many samples into memory in "
                        + "query execution (more than " + options.maxSamples() + ")");
            }
        }

        /**
         * The rollups that answer {@code function} over {@code m} at every evaluation time, read once per query; empty
         * when the query is not aligned to a resolution the source has, or the source or the data declines.
         */
        private Optional<List<RollupSeries>> rollupsOf(String function, Expr.MatrixSelector m) {
            Optional<List<RollupSeries>> r = rollups.get(m);
            if (r == null) {
                r = Optional.empty();
                OptionalLong res = RollupWindows.resolution(source.rollupResolutions(), m, start, end, step);
                if (res.isPresent()) {
                    long offset = m.selector().offsetMs();
                    r = source.rollups(m.selector().matchers(), start - offset - m.rangeMs(), end - offset, res.getAsLong());
                    if (r.isPresent()) {
                        for (RollupSeries one : r.get()) {
                            if (one.resolutionMs() != res.getAsLong()) {
                                throw new IllegalStateException("asked for rollups at " + res.getAsLong() + " ms, got "
                                        + one.resolutionMs() + " ms for " + one.labels());
                            }
                            loaded += one.size(); // a bucket costs what a sample does
                        }
                        checkLoaded();
                        if (!RollupWindows.exact(function, r.get())) {
                            r = Optional.empty();
                        }
                    }
                }
                rollups.put(m, r);
            }
            return r;
        }

        private List<Value.Sample> instantSelect(Expr.VectorSelector vs, long t) {
            List<Value.Sample> out = new ArrayList<>();
            long ref = t - vs.offsetMs();
            for (Series s : seriesOf(vs, options.lookbackMs())) {
                int i = lastAtOrBefore(s.timestamps(), ref);
                if (i < 0 || s.timestamps()[i] < ref - options.lookbackMs() || isStale(s.values()[i])) {
                    continue;
                }
                out.add(new Value.Sample(s.labels(), s.timestamps()[i], s.values()[i]));
            }
            return out;
        }

        /** The samples of each series in {@code [t - offset - range, t - offset]}, staleness markers left out. */
        private List<Window> windows(Expr.MatrixSelector m, long t) {
            Expr.VectorSelector vs = m.selector();
            long to = t - vs.offsetMs();
            long from = to - m.rangeMs();
            List<Window> out = new ArrayList<>();
            for (Series s : seriesOf(vs, m.rangeMs())) {
                int a = firstAtOrAfter(s.timestamps(), from);
                int b = lastAtOrBefore(s.timestamps(), to) + 1;
                if (a >= b) {
                    continue;
                }
                int stale = 0;
                for (int i = a; i < b; i++) {
                    stale += isStale(s.values()[i]) ? 1 : 0;
                }
                long[] ts = new long[b - a - stale];
                double[] vs2 = new double[ts.length];
                for (int i = a, j = 0; i < b; i++) {
                    if (!isStale(s.values()[i])) {
                        ts[j] = s.timestamps()[i];
                        vs2[j++] = s.values()[i];
                    }
                }
                if (ts.length > 0) {
                    out.add(new Window(s.labels(), ts, vs2, from, to, m.rangeMs()));
                }
            }
            return out;
        }

        Value.Matrix matrixAt(Expr.MatrixSelector m, long t) {
            List<Series> out = new ArrayList<>();
            for (Window w : windows(m, t)) {
                out.add(new Series(w.labels(), w.ts(), w.vs()));
            }
            out.sort(Comparator.comparing(Series::labels));
            return new Value.Matrix(out);
        }

        // ---- functions

        private Object call(Expr.Call c, long t) {
            Functions.Function f = c.function();
            return switch (f.kind()) {
                case RANGE -> rangeFunction(c, t);
                case MATH -> {
                    List<Value.Sample> out = new ArrayList<>();
                    for (Value.Sample s : vector(c.args().getFirst(), t)) {
                        out.add(new Value.Sample(s.labels().withoutMetricName(), t, f.math().applyAsDouble(s.value())));
                    }
                    yield checkedUnique(out);
                }
                case SPECIAL -> special(c, t);
            };
        }

        private List<Value.Sample> rangeFunction(Expr.Call c, long t) {
            String name = c.function().name();
            double param = 0;
            Expr.MatrixSelector m;
            if (name.equals("quantile_over_time")) {
                param = scalar(c.args().get(0), t);
                m = (Expr.MatrixSelector) c.args().get(1);
            } else {
                m = (Expr.MatrixSelector) c.args().getFirst();
            }
            boolean keepName = Functions.RANGE_KEEPS_NAME.contains(name);
            List<Value.Sample> out = new ArrayList<>();
            Optional<List<RollupSeries>> fromRollups = RollupWindows.FUNCTIONS.contains(name)
                    ? rollupsOf(name, m) : Optional.empty();
            if (fromRollups.isPresent()) {
                for (RollupSeries r : fromRollups.get()) {
                    Double v = RollupWindows.apply(name, r, t - m.selector().offsetMs(), m.rangeMs());
                    if (v != null) {
                        out.add(new Value.Sample(keepName ? r.labels() : r.labels().withoutMetricName(), t, v));
                    }
                }
                return checkedUnique(out);
            }
            for (Window w : windows(m, t)) {
                Double v = RangeFunctions.apply(name, param, w);
                if (v != null) {
                    out.add(new Value.Sample(keepName ? w.labels() : w.labels().withoutMetricName(), t, v));
                }
            }
            return checkedUnique(out);
        }

        private Object special(Expr.Call c, long t) {
            List<Expr> args = c.args();
            switch (c.function().name()) {
                case "time":
                    return t / 1000.0;
                case "vector":
                    return List.of(new Value.Sample(Labels.EMPTY, t, scalar(args.getFirst(), t)));
                case "scalar": {
                    List<Value.Sample> v = vector(args.getFirst(), t);
                    return v.size() == 1 ? v.getFirst().value() : Double.NaN;
                }
                case "timestamp": {
                    List<Value.Sample> out = new ArrayList<>();
                    for (Value.Sample s : vector(args.getFirst(), t)) {
                        out.add(new Value.Sample(s.labels().withoutMetricName(), t, s.timestampMs() / 1000.0));
                    }
                    return checkedUnique(out);
                }
                case "sort", "sort_desc": {
                    List<Value.Sample> out = new ArrayList<>(vector(args.getFirst(), t));
                    Comparator<Value.Sample> byValue = Comparator.comparingDouble(Value.Sample::value);
                    out.sort(c.function().name().equals("sort") ? byValue : byValue.reversed());
                    return out;
                }
                case "round": {
                    double toNearest = args.size() > 1 ? scalar(args.get(1), t) : 1;
                    double inverse = 1.0 / toNearest;
                    return mapValues(vector(args.getFirst(), t), t, v -> Math.floor(v * inverse + 0.5) / inverse);
                }
                case "clamp": {
                    double min = scalar(args.get(1), t);
                    double max = scalar(args.get(2), t);
                    if (max < min) {
                        return List.of();
                    }
                    return mapValues(vector(args.getFirst(), t), t, v -> Math.max(min, Math.min(max, v)));
                }
                case "clamp_min": {
                    double min = scalar(args.get(1), t);
                    return mapValues(vector(args.getFirst(), t), t, v -> Math.max(v, min));
                }
                case "clamp_max": {
                    double max = scalar(args.get(1), t);
                    return mapValues(vector(args.getFirst(), t), t, v -> Math.min(v, max));
                }
                case "histogram_quantile":
                    return histogramQuantile(scalar(args.get(0), t), vector(args.get(1), t), t);
                case "label_replace":
                    return labelReplace(vector(args.get(0), t), (String) eval(args.get(1), t), (String) eval(args.get(2), t),
                            (String) eval(args.get(3), t), (String) eval(args.get(4), t));
                default:
                    throw new BadQueryException("function " + c.function().name() + " is not evaluated");
            }
        }

        private List<Value.Sample> mapValues(List<Value.Sample> in, long t, java.util.function.DoubleUnaryOperator f) {
            List<Value.Sample> out = new ArrayList<>(in.size());
            for (Value.Sample s : in) {
                out.add(new Value.Sample(s.labels().withoutMetricName(), t, f.applyAsDouble(s.value())));
            }
            return checkedUnique(out);
        }

        private List<Value.Sample> histogramQuantile(double q, List<Value.Sample> in, long t) {
            Map<Labels, List<double[]>> buckets = new LinkedHashMap<>();
            for (Value.Sample s : in) {
                String le = s.labels().get("le");
                double upper;
                try {
                    upper = parseGoFloat(le);
                } catch (NumberFormatException e) {
                    continue; // not a bucket: Prometheus skips it
                }
                Labels key = s.labels().without(List.of(Labels.NAME, "le"));
                buckets.computeIfAbsent(key, k -> new ArrayList<>()).add(new double[] {upper, s.value()});
            }
            List<Value.Sample> out = new ArrayList<>();
            buckets.forEach((labels, b) -> out.add(new Value.Sample(labels, t, Histograms.bucketQuantile(q, b))));
            return out;
        }

        private List<Value.Sample> labelReplace(List<Value.Sample> in, String dst, String replacement, String src, String regex) {
            Pattern p;
            try {
                p = Pattern.compile("^(?:" + regex + ")$", Pattern.DOTALL);
            } catch (PatternSyntaxException e) {
                throw new BadQueryException("invalid regular expression in label_replace(): " + regex);
            }
            if (!dst.matches("[a-zA-Z_][a-zA-Z0-9_]*")) {
                throw new BadQueryException("invalid destination label name in label_replace(): " + dst);
            }
            List<Value.Sample> out = new ArrayList<>(in.size());
            for (Value.Sample s : in) {
                com.google.re2j.Matcher m = p.matcher(s.labels().get(src));
                Labels labels = s.labels();
                if (m.matches()) {
                    labels = labels.with(dst, Templates.expand(replacement, m));
                }
                out.add(new Value.Sample(labels, s.timestampMs(), s.value()));
            }
            return checkedUnique(out);
        }

        // ---- binary operators

        private Object binary(Expr.Binary b, long t) {
            Object l = eval(b.lhs(), t);
            Object r = eval(b.rhs(), t);
            BinaryOp op = b.op();
            if (l instanceof Double lv && r instanceof Double rv) {
                return op.apply(lv, rv);
            }
            if (l instanceof Double lv) {
                return vectorScalar(op, samples((List<?>) r), lv, true, b.returnBool(), t);
            }
            if (r instanceof Double rv) {
                return vectorScalar(op, samples((List<?>) l), rv, false, b.returnBool(), t);
            }
            List<Value.Sample> lhs = samples((List<?>) l);
            List<Value.Sample> rhs = samples((List<?>) r);
            return switch (op) {
                case AND -> setOp(lhs, rhs, b.matching(), true);
                case UNLESS -> setOp(lhs, rhs, b.matching(), false);
                case OR -> or(lhs, rhs, b.matching());
                default -> vectorVector(op, lhs, rhs, b.matching(), b.returnBool(), t);
            };
        }

        private List<Value.Sample> vectorScalar(BinaryOp op, List<Value.Sample> vector, double scalar, boolean scalarOnLeft,
                                                boolean returnBool, long t) {
            List<Value.Sample> out = new ArrayList<>();
            for (Value.Sample s : vector) {
                double lv = scalarOnLeft ? scalar : s.value();
                double rv = scalarOnLeft ? s.value() : scalar;
                double value;
                boolean keep = true;
                if (op.isComparison()) {
                    keep = op.apply(lv, rv) == 1;
                    value = s.value(); // a comparison filters: the vector's own value stays
                } else {
                    value = op.apply(lv, rv);
                }
                if (returnBool) {
                    value = keep ? 1 : 0;
                    keep = true;
                }
                if (keep) {
                    Labels labels = op.dropsMetricName() || returnBool ? s.labels().withoutMetricName() : s.labels();
                    out.add(new Value.Sample(labels, t, value));
                }
            }
            return out;
        }

        private List<Value.Sample> vectorVector(BinaryOp op, List<Value.Sample> lhs, List<Value.Sample> rhs,
                                                Expr.VectorMatching matching, boolean returnBool, long t) {
            boolean swapped = matching.cardinality() == Expr.Cardinality.ONE_TO_MANY;
            List<Value.Sample> many = swapped ? rhs : lhs;
            List<Value.Sample> one = swapped ? lhs : rhs;
            Map<Labels, Value.Sample> oneBySignature = new HashMap<>();
            for (Value.Sample s : one) {
                Value.Sample dup = oneBySignature.put(signature(s.labels(), matching), s);
                if (dup != null) {
                    throw new QueryExecutionException("found duplicate series for the match group "
                            + signature(s.labels(), matching) + " on the " + (swapped ? "left" : "right")
                            + " hand-side of the operation: [" + s.labels() + ", " + dup.labels()
                            + "];many-to-many matching not allowed: matching labels must be unique on one side");
                }
            }
            Map<Labels, Set<Labels>> matched = new HashMap<>();
            List<Value.Sample> out = new ArrayList<>();
            for (Value.Sample s : many) {
                Labels sig = signature(s.labels(), matching);
                Value.Sample o = oneBySignature.get(sig);
                if (o == null) {
                    continue;
                }
                double vl = swapped ? o.value() : s.value();
                double vr = swapped ? s.value() : o.value();
                double value;
                boolean keep = true;
                if (op.isComparison()) {
                    keep = op.apply(vl, vr) == 1;
                    value = vl;
                } else {
                    value = op.apply(vl, vr);
                }
                if (returnBool) {
                    value = keep ? 1 : 0;
                } else if (!keep) {
                    continue;
                }
                Labels labels = resultLabels(s.labels(), o.labels(), op, matching);
                if (returnBool) {
                    labels = labels.withoutMetricName();
                }
                Set<Labels> inserted = matched.get(sig);
                if (matching.cardinality() == Expr.Cardinality.ONE_TO_ONE) {
                    if (inserted != null) {
                        throw new QueryExecutionException("multiple matches for labels: many-to-one matching must be explicit "
                                + "(group_left/group_right)");
                    }
                    matched.put(sig, Set.of());
                } else {
                    if (inserted == null) {
                        inserted = new HashSet<>();
                        matched.put(sig, inserted);
                    }
                    if (!inserted.add(labels)) {
                        throw new QueryExecutionException("multiple matches for labels: grouping labels must ensure unique matches");
                    }
                }
                out.add(new Value.Sample(labels, t, value));
            }
            return out;
        }

        private Labels resultLabels(Labels many, Labels one, BinaryOp op, Expr.VectorMatching matching) {
            Labels l = op.dropsMetricName() ? many.withoutMetricName() : many;
            if (matching.cardinality() == Expr.Cardinality.ONE_TO_ONE) {
                l = matching.on() ? l.keep(matching.labels()) : l.without(matching.labels());
            }
            for (String name : matching.include()) {
                l = l.with(name, one.get(name));
            }
            return l;
        }

        private List<Value.Sample> setOp(List<Value.Sample> lhs, List<Value.Sample> rhs, Expr.VectorMatching matching,
                                         boolean and) {
            Set<Labels> right = new HashSet<>();
            rhs.forEach(s -> right.add(signature(s.labels(), matching)));
            List<Value.Sample> out = new ArrayList<>();
            for (Value.Sample s : lhs) {
                if (right.contains(signature(s.labels(), matching)) == and) {
                    out.add(s);
                }
            }
            return out;
        }

        private List<Value.Sample> or(List<Value.Sample> lhs, List<Value.Sample> rhs, Expr.VectorMatching matching) {
            Set<Labels> left = new HashSet<>();
            lhs.forEach(s -> left.add(signature(s.labels(), matching)));
            List<Value.Sample> out = new ArrayList<>(lhs);
            for (Value.Sample s : rhs) {
                if (!left.contains(signature(s.labels(), matching))) {
                    out.add(s);
                }
            }
            return out;
        }

        private Labels signature(Labels labels, Expr.VectorMatching matching) {
            if (matching.on()) {
                return labels.keep(matching.labels());
            }
            Set<String> drop = new HashSet<>(matching.labels());
            drop.add(Labels.NAME);
            return labels.without(drop);
        }
    }

    /** One series' samples in a range selector's window. */
    record Window(Labels labels, long[] ts, double[] vs, long from, long to, long rangeMs) {
        int size() {
            return ts.length;
        }
    }

    /** Accumulates one output series of a range query. */
    private static final class SeriesBuilder {
        private final Labels labels;
        private long[] ts = new long[16];
        private double[] vs = new double[16];
        private int n;

        SeriesBuilder(Labels labels) {
            this.labels = labels;
        }

        void add(long t, double v) {
            if (n == ts.length) {
                ts = java.util.Arrays.copyOf(ts, n * 2);
                vs = java.util.Arrays.copyOf(vs, n * 2);
            }
            ts[n] = t;
            vs[n++] = v;
        }

        Series build() {
            return new Series(labels, java.util.Arrays.copyOf(ts, n), java.util.Arrays.copyOf(vs, n));
        }
    }

    static int lastAtOrBefore(long[] ts, long t) {
        int lo = 0;
        int hi = ts.length - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (ts[mid] <= t) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

    static int firstAtOrAfter(long[] ts, long t) {
        int lo = 0;
        int hi = ts.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (ts[mid] < t) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Go's ParseFloat as Prometheus applies it to {@code le} labels: also "+Inf", "-Inf", "Inf", "NaN". */
    static double parseGoFloat(String s) {
        String t = s.toLowerCase(java.util.Locale.ROOT);
        return switch (t) {
            case "+inf", "inf", "+infinity", "infinity" -> Double.POSITIVE_INFINITY;
            case "-inf", "-infinity" -> Double.NEGATIVE_INFINITY;
            case "nan" -> Double.NaN;
            default -> {
                if (t.isEmpty() || t.endsWith("d") || t.endsWith("f")) {
                    throw new NumberFormatException(s);
                }
                yield Double.parseDouble(t);
            }
        };
    }
}
