package io.tierlog.promql;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;
import org.antlr.v4.runtime.Token;

/**
 * Turns PromQL text into an {@link Expr} tree with ANTLR (grammar {@code PromQL.g4}) and checks it as Prometheus'
 * parser does: argument types and counts, ranges only on selectors, a selector that selects something. Every
 * problem is a {@link BadQueryException} with the position. Stateless and thread-safe.
 */
public final class QueryParser {
    /** Longest query text accepted: a bound before the lexer allocates anything. */
    public static final int MAX_QUERY_CHARS = 64 * 1024;

    private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|[smhdwy])");

    private QueryParser() {
    }

    public static Expr parse(String query) {
        if (query == null || query.isBlank()) {
            throw new BadQueryException("empty query");
        }
        if (query.length() > MAX_QUERY_CHARS) {
            throw new BadQueryException("query of " + query.length() + " characters is longer than " + MAX_QUERY_CHARS);
        }
        BaseErrorListener errors = new BaseErrorListener() {
            @Override
            public void syntaxError(Recognizer<?, ?> r, Object symbol, int line, int col, String msg, RecognitionException e) {
                throw new BadQueryException("parse error at line " + line + ", char " + (col + 1) + ": " + msg);
            }
        };
        PromQLLexer lexer = new PromQLLexer(CharStreams.fromString(query));
        lexer.removeErrorListeners();
        lexer.addErrorListener(errors);
        PromQLParser parser = new PromQLParser(new CommonTokenStream(lexer));
        parser.removeErrorListeners();
        parser.addErrorListener(errors);
        return new Builder().visit(parser.query().expr());
    }

    /** A duration such as {@code 5m}, {@code 1h30m} or {@code 250ms}, in milliseconds. */
    public static long parseDuration(String text) {
        var m = DURATION.matcher(text);
        long total = 0;
        int at = 0;
        while (m.find() && m.start() == at) {
            long n = Long.parseLong(m.group(1));
            long unit = switch (m.group(2)) {
                case "ms" -> 1L;
                case "s" -> 1_000L;
                case "m" -> 60_000L;
                case "h" -> 3_600_000L;
                case "d" -> 86_400_000L;
                case "w" -> 7 * 86_400_000L;
                default -> 365 * 86_400_000L;
            };
            total = Math.addExact(total, Math.multiplyExact(n, unit));
            at = m.end();
        }
        if (at != text.length() || at == 0) {
            throw new BadQueryException("not a duration: \"" + text + "\"");
        }
        return total;
    }

    /** The tree of one parse, checked as it is built. */
    private static final class Builder extends PromQLBaseVisitor<Expr> {
        @Override
        public Expr visitParen(PromQLParser.ParenContext ctx) {
            return visit(ctx.expr());
        }

        @Override
        public Expr visitNumber(PromQLParser.NumberContext ctx) {
            return new Expr.NumberLiteral(number(ctx.NUMBER().getText()));
        }

        @Override
        public Expr visitString(PromQLParser.StringContext ctx) {
            return new Expr.StringLiteral(unquote(ctx.STRING().getSymbol()));
        }

        @Override
        public Expr visitUnary(PromQLParser.UnaryContext ctx) {
            Expr e = visit(ctx.expr());
            if (e.type() != Expr.Type.SCALAR && e.type() != Expr.Type.INSTANT_VECTOR) {
                throw new BadQueryException("unary expression only allowed on expressions of type scalar or instant vector, got "
                        + typeName(e.type()));
            }
            if (ctx.op.getType() == PromQLLexer.ADD) {
                return e;
            }
            return e instanceof Expr.NumberLiteral n ? new Expr.NumberLiteral(-n.value()) : new Expr.Negation(e);
        }

        @Override
        public Expr visitBinary(PromQLParser.BinaryContext ctx) {
            BinaryOp op = BinaryOp.ofSymbol(ctx.op.getText());
            Expr lhs = visit(ctx.expr(0));
            Expr rhs = visit(ctx.expr(1));
            for (Expr side : List.of(lhs, rhs)) {
                if (side.type() != Expr.Type.SCALAR && side.type() != Expr.Type.INSTANT_VECTOR) {
                    throw new BadQueryException("binary expression must contain only scalar and instant vector types");
                }
            }
            var mods = ctx.binModifiers();
            boolean returnBool = mods.BOOL() != null;
            boolean bothScalar = lhs.type() == Expr.Type.SCALAR && rhs.type() == Expr.Type.SCALAR;
            if (returnBool && !op.isComparison()) {
                throw new BadQueryException("bool modifier can only be used on comparison operators");
            }
            if (op.isComparison() && bothScalar && !returnBool) {
                throw new BadQueryException("comparisons between scalars must use BOOL modifier");
            }
            if (op.isSetOperator() && (lhs.type() == Expr.Type.SCALAR || rhs.type() == Expr.Type.SCALAR)) {
                throw new BadQueryException("set operator \"" + op.symbol() + "\" not allowed in binary scalar expression");
            }
            Expr.VectorMatching matching = op.isSetOperator()
                    ? new Expr.VectorMatching(Expr.Cardinality.MANY_TO_MANY, false, List.of(), List.of())
                    : Expr.VectorMatching.DEFAULT;
            boolean bothVectors = lhs.type() == Expr.Type.INSTANT_VECTOR && rhs.type() == Expr.Type.INSTANT_VECTOR;
            if (mods.matching != null && !bothVectors) {
                // Prometheus ignores matching without labels where a side is a scalar, and refuses it with labels
                if (!labelList(mods.labelList(0)).isEmpty()) {
                    throw new BadQueryException("vector matching only allowed between instant vectors");
                }
            } else if (mods.matching != null) {
                boolean on = mods.matching.getType() == PromQLLexer.ON;
                List<String> labels = labelList(mods.labelList(0));
                Expr.Cardinality card = matching.cardinality();
                List<String> include = List.of();
                if (mods.side != null) {
                    if (op.isSetOperator()) {
                        throw new BadQueryException("no grouping allowed for \"" + op.symbol() + "\" operation");
                    }
                    card = mods.side.getType() == PromQLLexer.GROUP_LEFT ? Expr.Cardinality.MANY_TO_ONE
                            : Expr.Cardinality.ONE_TO_MANY;
                    include = mods.labelList().size() > 1 ? labelList(mods.labelList(1)) : List.of();
                    if (on) {
                        for (String l : include) {
                            if (labels.contains(l)) {
                                throw new BadQueryException("label \"" + l + "\" must not occur in ON and GROUP clause at once");
                            }
                        }
                    }
                }
                matching = new Expr.VectorMatching(card, on, labels, include);
            }
            return new Expr.Binary(op, lhs, rhs, returnBool, matching);
        }

        @Override
        public Expr visitAggregate(PromQLParser.AggregateContext ctx) {
            var a = ctx.aggregation();
            Aggregations.Op op = Aggregations.Op.named(a.AGGREGATOR().getText().toLowerCase(Locale.ROOT));
            List<Expr> args = new ArrayList<>();
            a.expr().forEach(e -> args.add(visit(e)));
            if (args.size() != (op.hasParameter() ? 2 : 1)) {
                throw new BadQueryException("wrong number of arguments for aggregate expression provided, expected "
                        + (op.hasParameter() ? 2 : 1) + ", got " + args.size());
            }
            Expr param = op.hasParameter() ? args.get(0) : null;
            Expr inner = args.getLast();
            if (inner.type() != Expr.Type.INSTANT_VECTOR) {
                throw new BadQueryException("expected type instant vector in aggregation expression, got " + typeName(inner.type()));
            }
            if (param != null && param.type() != Expr.Type.SCALAR) {
                throw new BadQueryException("expected type scalar in aggregation parameter, got " + typeName(param.type()));
            }
            boolean without = a.grouping() != null && a.grouping().WITHOUT() != null;
            List<String> grouping = a.grouping() == null ? List.of() : labelList(a.grouping().labelList());
            return new Expr.Aggregate(op, param, inner, without, grouping);
        }

        @Override
        public Expr visitCall(PromQLParser.CallContext ctx) {
            Functions.Function f = Functions.named(ctx.IDENT().getText());
            List<Expr> args = new ArrayList<>();
            ctx.expr().forEach(e -> args.add(visit(e)));
            int max = f.args().size();
            int min = max - f.optional();
            if (args.size() < min || args.size() > max) {
                throw new BadQueryException("expected " + (min == max ? "" : "at least ") + min + " argument(s) in call to \""
                        + f.name() + "\", got " + args.size());
            }
            for (int i = 0; i < args.size(); i++) {
                Expr.Type want = f.args().get(i);
                if (args.get(i).type() != want) {
                    throw new BadQueryException("expected type " + typeName(want) + " in call to function \"" + f.name()
                            + "\", got " + typeName(args.get(i).type()));
                }
            }
            return new Expr.Call(f, List.copyOf(args));
        }

        @Override
        public Expr visitSelector(PromQLParser.SelectorContext ctx) {
            var vs = ctx.vectorSelector();
            List<Matcher> matchers = new ArrayList<>();
            String name = vs.IDENT() == null ? null : vs.IDENT().getText();
            if (name != null) {
                matchers.add(Matcher.of(Matcher.Type.EQUAL, Labels.NAME, name));
            }
            if (vs.labelMatchers() != null) {
                for (var m : vs.labelMatchers().labelMatcher()) {
                    String label = labelName(m.labelName());
                    if (label.equals(Labels.NAME) && name != null) {
                        throw new BadQueryException("metric name must not be set twice: \"" + name + "\"");
                    }
                    Matcher.Type type = switch (m.op.getType()) {
                        case PromQLLexer.ASSIGN -> Matcher.Type.EQUAL;
                        case PromQLLexer.NE -> Matcher.Type.NOT_EQUAL;
                        case PromQLLexer.RE -> Matcher.Type.REGEX;
                        default -> Matcher.Type.NOT_REGEX;
                    };
                    matchers.add(Matcher.of(type, label, unquote(m.STRING().getSymbol())));
                }
            }
            if (matchers.stream().allMatch(Matcher::matchesEmpty)) {
                throw new BadQueryException("vector selector must contain at least one non-empty matcher");
            }
            long offset = 0;
            if (ctx.offset() != null) {
                offset = parseDuration(ctx.offset().DURATION().getText()) * (ctx.offset().SUB() != null ? -1 : 1);
            }
            Expr.VectorSelector selector = new Expr.VectorSelector(List.copyOf(matchers), offset);
            if (ctx.DURATION() == null) {
                return selector;
            }
            long range = parseDuration(ctx.DURATION().getText());
            if (range <= 0) {
                throw new BadQueryException("range must be positive: " + ctx.DURATION().getText());
            }
            return new Expr.MatrixSelector(selector, range);
        }

        private static List<String> labelList(PromQLParser.LabelListContext ctx) {
            List<String> names = new ArrayList<>();
            for (var n : ctx.labelName()) {
                names.add(labelName(n));
            }
            return List.copyOf(names);
        }

        private static String labelName(PromQLParser.LabelNameContext ctx) {
            String name = ctx.getText();
            if (!LABEL_NAME.matcher(name).matches()) {
                throw new BadQueryException("invalid label name \"" + name + "\"");
            }
            return name;
        }
    }

    static String typeName(Expr.Type t) {
        return switch (t) {
            case SCALAR -> "scalar";
            case INSTANT_VECTOR -> "instant vector";
            case RANGE_VECTOR -> "range vector";
            case STRING -> "string";
        };
    }

    static double number(String text) {
        String t = text.toLowerCase(Locale.ROOT);
        if (t.equals("inf")) {
            return Double.POSITIVE_INFINITY;
        }
        if (t.equals("nan")) {
            return Double.NaN;
        }
        if (t.startsWith("0x")) {
            return Long.parseLong(t.substring(2), 16);
        }
        return Double.parseDouble(text);
    }

    /** Go's string literal rules: "..." and '...' with escapes, `...` raw. */
    static String unquote(Token token) {
        String s = token.getText();
        char q = s.charAt(0);
        String body = s.substring(1, s.length() - 1);
        if (q == '`') {
            return body;
        }
        StringBuilder out = new StringBuilder(body.length());
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char e = body.charAt(++i);
            switch (e) {
                case 'a' -> out.append('\u0007');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'v' -> out.append('\u000b');
                case '\\', '"', '\'' -> out.append(e);
                case 'x' -> {
                    out.append((char) hex(body, i + 1, 2, token));
                    i += 2;
                }
                case 'u' -> {
                    out.appendCodePoint(hex(body, i + 1, 4, token));
                    i += 4;
                }
                case 'U' -> {
                    out.appendCodePoint(hex(body, i + 1, 8, token));
                    i += 8;
                }
                default -> {
                    if (e >= '0' && e <= '7' && i + 2 < body.length()) {
                        out.append((char) Integer.parseInt(body.substring(i, i + 3), 8));
                        i += 2;
                    } else {
                        throw new BadQueryException("unknown escape sequence \\" + e + " at char " + (token.getCharPositionInLine() + 1));
                    }
                }
            }
        }
        return out.toString();
    }

    private static int hex(String s, int from, int digits, Token token) {
        try {
            return Integer.parseInt(s.substring(from, from + digits), 16);
        } catch (RuntimeException e) {
            throw new BadQueryException("invalid escape in string at char " + (token.getCharPositionInLine() + 1));
        }
    }
}
