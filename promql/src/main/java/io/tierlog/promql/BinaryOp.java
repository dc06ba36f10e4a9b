package io.tierlog.promql;

/** PromQL's binary operators, with what each does to samples and labels. */
public enum BinaryOp {
    ADD("+"), SUB("-"), MUL("*"), DIV("/"), MOD("%"), POW("^"), ATAN2("atan2"),
    EQ("=="), NE("!="), GT(">"), LT("<"), GE(">="), LE("<="),
    AND("and"), OR("or"), UNLESS("unless");

    private final String symbol;

    BinaryOp(String symbol) {
        this.symbol = symbol;
    }

    public String symbol() {
        return symbol;
    }

    public boolean isComparison() {
        return this == EQ || this == NE || this == GT || this == LT || this == GE || this == LE;
    }

    public boolean isSetOperator() {
        return this == AND || this == OR || this == UNLESS;
    }

    /** Arithmetic drops the metric name from its results; comparisons (without bool) and set operators keep it. */
    public boolean dropsMetricName() {
        return !isComparison() && !isSetOperator();
    }

    static BinaryOp ofSymbol(String s) {
        for (BinaryOp op : values()) {
            if (op.symbol.equalsIgnoreCase(s)) {
                return op;
            }
        }
        throw new BadQueryException("unknown operator " + s);
    }

    /**
     * {@code l op r} for two numbers; for comparisons, 1 when true and 0 when false ({@link Engine} turns that into
     * filtering or into bool values).
     */
    double apply(double l, double r) {
        return switch (this) {
            case ADD -> l + r;
            case SUB -> l - r;
            case MUL -> l * r;
            case DIV -> l / r;
            case MOD -> l % r;
            case POW -> Math.pow(l, r);
            case ATAN2 -> Math.atan2(l, r);
            case EQ -> l == r ? 1 : 0;
            case NE -> l != r ? 1 : 0;
            case GT -> l > r ? 1 : 0;
            case LT -> l < r ? 1 : 0;
            case GE -> l >= r ? 1 : 0;
            case LE -> l <= r ? 1 : 0;
            case AND, OR, UNLESS -> throw new IllegalStateException(this + " is not arithmetic");
        };
    }
}
