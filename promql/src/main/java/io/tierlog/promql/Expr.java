package io.tierlog.promql;

import java.util.List;

/**
 * A parsed PromQL expression: the tree {@link QueryParser} builds and {@link Engine} evaluates. Every node knows the
 * type of value it yields, checked at parse time as Prometheus does.
 */
public sealed interface Expr {
    /** What an expression evaluates to. */
    enum Type { SCALAR, INSTANT_VECTOR, RANGE_VECTOR, STRING }

    Type type();

    record NumberLiteral(double value) implements Expr {
        public Type type() {
            return Type.SCALAR;
        }
    }

    record StringLiteral(String value) implements Expr {
        public Type type() {
            return Type.STRING;
        }
    }

    /** {@code name{matchers} offset d}; {@code matchers} include the name as an {@code __name__} matcher. */
    record VectorSelector(List<Matcher> matchers, long offsetMs) implements Expr {
        public Type type() {
            return Type.INSTANT_VECTOR;
        }
    }

    /** {@code selector[range]}: every sample of the range before each evaluation time. */
    record MatrixSelector(VectorSelector selector, long rangeMs) implements Expr {
        public Type type() {
            return Type.RANGE_VECTOR;
        }
    }

    record Call(Functions.Function function, List<Expr> args) implements Expr {
        public Type type() {
            return function.returns();
        }
    }

    /** {@code op by|without (grouping) ([param,] expr)}. */
    record Aggregate(Aggregations.Op op, Expr param, Expr expr, boolean without, List<String> grouping) implements Expr {
        public Type type() {
            return Type.INSTANT_VECTOR;
        }
    }

    /** Unary minus (unary plus is dropped by the parser). */
    record Negation(Expr expr) implements Expr {
        public Type type() {
            return expr.type();
        }
    }

    record Binary(BinaryOp op, Expr lhs, Expr rhs, boolean returnBool, VectorMatching matching) implements Expr {
        public Type type() {
            return lhs.type() == Type.SCALAR && rhs.type() == Type.SCALAR ? Type.SCALAR : Type.INSTANT_VECTOR;
        }
    }

    /** How the two sides of a vector/vector operation pair their samples. */
    record VectorMatching(Cardinality cardinality, boolean on, List<String> labels, List<String> include) {
        public static final VectorMatching DEFAULT = new VectorMatching(Cardinality.ONE_TO_ONE, false, List.of(), List.of());
    }

    enum Cardinality { ONE_TO_ONE, MANY_TO_ONE, ONE_TO_MANY, MANY_TO_MANY }
}
