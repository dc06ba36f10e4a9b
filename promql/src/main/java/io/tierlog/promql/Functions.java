package io.tierlog.promql;

import static io.tierlog.promql.Expr.Type.INSTANT_VECTOR;
import static io.tierlog.promql.Expr.Type.RANGE_VECTOR;
import static io.tierlog.promql.Expr.Type.SCALAR;
import static io.tierlog.promql.Expr.Type.STRING;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.DoubleUnaryOperator;

/**
 * The PromQL functions Tierlog evaluates, with their signatures (checked at parse time) and, for the ones that map
 * a sample or a window of samples to a number, their arithmetic. Anything else is a {@link BadQueryException}
 * naming the function, so a dashboard learns at once what is missing.
 */
public final class Functions {
    private Functions() {
    }

    /** How the engine applies a function. */
    public enum Kind {
        /** Over each series' samples in a range: {@code rate(x[5m])}, {@code *_over_time}. */
        RANGE,
        /** Sample by sample, dropping the metric name: {@code abs}, {@code ceil}. */
        MATH,
        /** Evaluated by the engine itself: {@code histogram_quantile}, {@code label_replace}, {@code time}. */
        SPECIAL
    }

    /**
     * A function's signature: argument types (the last {@code optional} may be left out) and result type.
     */
    public record Function(String name, List<Expr.Type> args, int optional, Expr.Type returns, Kind kind,
                           DoubleUnaryOperator math) {
    }

    private static final Map<String, Function> FUNCTIONS = new LinkedHashMap<>();

    /** Range functions whose result is one of the window's own samples, so the series keeps its metric name. */
    static final Set<String> RANGE_KEEPS_NAME = Set.of("last_over_time");

    static {
        for (String f : List.of("rate", "irate", "increase", "delta", "idelta", "changes", "resets", "avg_over_time",
                "min_over_time", "max_over_time", "sum_over_time", "count_over_time", "last_over_time",
                "stddev_over_time", "stdvar_over_time", "present_over_time")) {
            add(new Function(f, List.of(RANGE_VECTOR), 0, INSTANT_VECTOR, Kind.RANGE, null));
        }
        add(new Function("quantile_over_time", List.of(SCALAR, RANGE_VECTOR), 0, INSTANT_VECTOR, Kind.RANGE, null));
        math("abs", Math::abs);
        math("ceil", Math::ceil);
        math("floor", Math::floor);
        math("exp", Math::exp);
        math("sqrt", Math::sqrt);
        math("ln", Math::log);
        math("log2", v -> Math.log(v) / Math.log(2));
        math("log10", Math::log10);
        math("sgn", Math::signum);
        special("round", List.of(INSTANT_VECTOR, SCALAR), 1, INSTANT_VECTOR);
        special("clamp", List.of(INSTANT_VECTOR, SCALAR, SCALAR), 0, INSTANT_VECTOR);
        special("clamp_min", List.of(INSTANT_VECTOR, SCALAR), 0, INSTANT_VECTOR);
        special("clamp_max", List.of(INSTANT_VECTOR, SCALAR), 0, INSTANT_VECTOR);
        special("histogram_quantile", List.of(SCALAR, INSTANT_VECTOR), 0, INSTANT_VECTOR);
        special("label_replace", List.of(INSTANT_VECTOR, STRING, STRING, STRING, STRING), 0, INSTANT_VECTOR);
        special("scalar", List.of(INSTANT_VECTOR), 0, SCALAR);
        special("vector", List.of(SCALAR), 0, INSTANT_VECTOR);
        special("time", List.of(), 0, SCALAR);
        special("timestamp", List.of(INSTANT_VECTOR), 0, INSTANT_VECTOR);
        special("sort", List.of(INSTANT_VECTOR), 0, INSTANT_VECTOR);
        special("sort_desc", List.of(INSTANT_VECTOR), 0, INSTANT_VECTOR);
    }

    private static void add(Function f) {
        FUNCTIONS.put(f.name(), f);
    }

    private static void math(String name, DoubleUnaryOperator op) {
        add(new Function(name, List.of(INSTANT_VECTOR), 0, INSTANT_VECTOR, Kind.MATH, op));
    }

    private static void special(String name, List<Expr.Type> args, int optional, Expr.Type returns) {
        add(new Function(name, args, optional, returns, Kind.SPECIAL, null));
    }

    /** The function called {@code name}; a {@link BadQueryException} when Tierlog does not evaluate it. */
    public static Function named(String name) {
        Function f = FUNCTIONS.get(name);
        if (f == null) {
            throw new BadQueryException("unknown or unsupported function \"" + name + "\" (Tierlog evaluates: "
                    + String.join(", ", FUNCTIONS.keySet()) + ")");
        }
        return f;
    }
}
