package io.tierlog.promql;

import com.google.re2j.Pattern;

/**
 * One label matcher of a selector ({@code job="api"}, {@code code=~"5.."}): a series matches when its value of
 * {@code name} ("" when absent) satisfies the test. Regular expressions are RE2, as in Prometheus, and anchored at
 * both ends. Immutable.
 */
public record Matcher(Type type, String name, String value, Pattern pattern) {
    /** The four matcher operators. */
    public enum Type {
        EQUAL("="), NOT_EQUAL("!="), REGEX("=~"), NOT_REGEX("!~");

        private final String symbol;

        Type(String symbol) {
            this.symbol = symbol;
        }

        public String symbol() {
            return symbol;
        }
    }

    /** A matcher; a regular expression that does not compile is a {@link BadQueryException}. */
    public static Matcher of(Type type, String name, String value) {
        Pattern p = null;
        if (type == Type.REGEX || type == Type.NOT_REGEX) {
            try {
                p = Pattern.compile("^(?:" + value + ")$", Pattern.DOTALL);
            } catch (com.google.re2j.PatternSyntaxException e) {
                throw new BadQueryException("invalid regular expression in " + name + type.symbol + "\"" + value
                        + "\": " + e.getDescription());
            }
        }
        return new Matcher(type, name, value, p);
    }

    public boolean matches(String v) {
        return switch (type) {
            case EQUAL -> v.equals(value);
            case NOT_EQUAL -> !v.equals(value);
            case REGEX -> pattern.matcher(v).matches();
            case NOT_REGEX -> !pattern.matcher(v).matches();
        };
    }

    /** True when this matcher also selects series that lack the label (Prometheus requires one that does not). */
    public boolean matchesEmpty() {
        return matches("");
    }

    @Override
    public String toString() {
        return name + type.symbol + '"' + value + '"';
    }
}
