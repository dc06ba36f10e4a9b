package io.tierlog.promql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Edges the generated oracle data rarely hits: lookback and range boundaries, staleness, and refusals. */
class EngineTest {
    private static final long MIN = 60_000;

    private static Engine engineOf(Series... series) {
        return new Engine(new InMemorySource(List.of(series)));
    }

    private static Series series(String name, long[] ts, double[] vs) {
        return new Series(Labels.of("__name__", name, "job", "a"), ts, vs);
    }

    @Test
    void aSampleIsVisibleForExactlyTheLookbackAfterItWasTaken() {
        Engine e = engineOf(series("x", new long[] {0}, new double[] {7}));
        assertThat(((Value.Vector) e.instant("x", 5 * MIN)).samples()).hasSize(1);
        assertThat(((Value.Vector) e.instant("x", 5 * MIN + 1)).samples()).isEmpty();
    }

    @Test
    void aRangeHoldsTheSamplesAtBothOfItsEnds() {
        Engine e = engineOf(series("x", new long[] {0, MIN, 2 * MIN}, new double[] {1, 2, 3}));
        Value.Vector v = (Value.Vector) e.instant("count_over_time(x[2m])", 2 * MIN);
        assertThat(v.samples().getFirst().value()).isEqualTo(3);
    }

    @Test
    void aStalenessMarkerEndsTheSeriesAtOnce() {
        double stale = Double.longBitsToDouble(Engine.STALE_NAN_BITS);
        Engine e = engineOf(series("x", new long[] {0, MIN}, new double[] {1, stale}));
        assertThat(((Value.Vector) e.instant("x", 30_000)).samples()).hasSize(1);
        assertThat(((Value.Vector) e.instant("x", MIN)).samples()).isEmpty();
        assertThat(((Value.Vector) e.instant("count_over_time(x[5m])", 2 * MIN)).samples().getFirst().value()).isEqualTo(1);
    }

    @Test
    void badQueriesAreRefusedWithTheReason() {
        Engine e = engineOf();
        assertThatThrownBy(() -> e.instant("rate(x)", 0)).isInstanceOf(BadQueryException.class)
                .hasMessageContaining("expected type range vector in call to function \"rate\"");
        assertThatThrownBy(() -> e.instant("sum(", 0)).isInstanceOf(BadQueryException.class).hasMessageContaining("parse error");
        assertThatThrownBy(() -> e.instant("{job=~\".*\"}", 0)).isInstanceOf(BadQueryException.class)
                .hasMessageContaining("at least one non-empty matcher");
        assertThatThrownBy(() -> e.instant("1 > 2", 0)).isInstanceOf(BadQueryException.class).hasMessageContaining("BOOL");
        assertThatThrownBy(() -> e.instant("holt_winters(x[5m], 0.1, 0.1)", 0)).isInstanceOf(BadQueryException.class)
                .hasMessageContaining("unsupported function");
        assertThatThrownBy(() -> e.instant("x{a=~\"(\"}", 0)).isInstanceOf(BadQueryException.class)
                .hasMessageContaining("invalid regular expression");
        assertThatThrownBy(() -> e.range("x", 0, 20_000 * MIN, 1)).isInstanceOf(BadQueryException.class)
                .hasMessageContaining("11,000 points");
        assertThatThrownBy(() -> e.instant("x".repeat(QueryParser.MAX_QUERY_CHARS + 1), 0)).isInstanceOf(BadQueryException.class);
    }

    @Test
    void operatorsBindAsInPrometheus() {
        Engine e = engineOf();
        assertThat(((Value.Scalar) e.instant("-2 ^ 2", 0)).value()).isEqualTo(-4);
        assertThat(((Value.Scalar) e.instant("2 ^ 3 ^ 2", 0)).value()).isEqualTo(512);
        assertThat(((Value.Scalar) e.instant("1 + 2 * 3 - 4 / 2", 0)).value()).isEqualTo(5);
        assertThat(((Value.Scalar) e.instant("1 < bool 2 + 0", 0)).value()).isEqualTo(1);
    }

    @Test
    void tooManySamplesIsAnExecutionError() {
        long[] ts = new long[100];
        double[] vs = new double[100];
        for (int i = 0; i < ts.length; i++) {
            ts[i] = i * 1000L;
        }
        Engine e = new Engine(new InMemorySource(List.of(series("x", ts, vs))), new Engine.Options(5 * MIN, 50));
        assertThatThrownBy(() -> e.instant("sum_over_time(x[5m])", 100_000)).isInstanceOf(QueryExecutionException.class);
    }
}
