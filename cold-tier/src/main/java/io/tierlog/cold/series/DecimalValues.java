package io.tierlog.cold.series;

import java.math.BigDecimal;
import java.util.Optional;

/**
 * Float values that are short decimals (counters, integer gauges, ratios such as 0.25) as integers scaled by one
 * power of ten per chunk, then delta-encoded, as VictoriaMetrics does: {@code 1000, 1001, 1003} cost a byte each
 * where XOR costs several. Applies only when every value round-trips bit for bit through the scaling, so NaN,
 * infinities, -0.0 and values needing more than 53 bits of mantissa leave the chunk to {@link GorillaValues}.
 *
 * <p>Layout: count (varint), scale S (zigzag varint, |S| <= 22: value = m / 10^S, or m * 10^-S when S < 0), first
 * mantissa (zigzag varint), then mantissa deltas (zigzag varints).
 */
public final class DecimalValues {
    static final int MAX_SCALE = 22; // 10^22 is the largest power of ten a double holds exactly
    private static final long MAX_MANTISSA = 1L << 53;
    private static final double[] POW10 = new double[MAX_SCALE + 1];

    static {
        double p = 1;
        for (int i = 0; i <= MAX_SCALE; i++) {
            POW10[i] = p;
            p *= 10;
        }
    }

    private DecimalValues() {
    }

    /** Values as integers scaled by one power of ten: {@code value = mantissas[i] / 10^scale}, exactly. */
    record Scaled(int scale, long[] mantissas) {
    }

    /**
     * The smallest non-negative scale at which every value is an integer below 2^53 that converts back to the very
     * same double, with the mantissas; null when there is none (NaN, infinities, -0.0, long fractions). Found with
     * double arithmetic and proven by the round trip, so no value is ever approximated.
     */
    static Scaled scaled(double[] values) {
        int scale = 0;
        for (double v : values) {
            if (!Double.isFinite(v) || Double.doubleToRawLongBits(v) == Long.MIN_VALUE) {
                return null;
            }
            while (scale <= MAX_SCALE && !exactAt(v, scale)) {
                scale++;
            }
            if (scale > MAX_SCALE) {
                return null;
            }
        }
        long[] mantissas = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            if (!exactAt(values[i], scale)) {
                return null; // exact at a smaller scale but not at the chunk's (a rounding edge): leave it to Gorilla
            }
            mantissas[i] = Math.round(values[i] * POW10[scale]);
        }
        return new Scaled(scale, mantissas);
    }

    private static boolean exactAt(double v, int scale) {
        double scaledValue = v * POW10[scale];
        if (!(Math.abs(scaledValue) < MAX_MANTISSA)) {
            return false;
        }
        long m = Math.round(scaledValue);
        return Double.doubleToRawLongBits(value(m, scale)) == Double.doubleToRawLongBits(v);
    }

    /** The doubles of {@code mantissas} at {@code scale}, each checked to fit 53 bits (damage otherwise). */
    static double[] unscale(long[] mantissas, long scale) {
        if (scale > MAX_SCALE || scale < -MAX_SCALE) {
            throw new SeriesFormatException("decimal scale " + scale + " outside [-" + MAX_SCALE + ", " + MAX_SCALE + "]");
        }
        double[] out = new double[mantissas.length];
        for (int i = 0; i < mantissas.length; i++) {
            long m = mantissas[i];
            if (m <= -MAX_MANTISSA || m >= MAX_MANTISSA) {
                throw new SeriesFormatException("decimal mantissa of value " + i + " exceeds 53 bits");
            }
            out[i] = value(m, (int) scale);
        }
        return out;
    }

    /** The column, or empty when some value is not a short decimal (then {@link GorillaValues} applies). */
    public static Optional<byte[]> encode(double[] values) {
        int scale = Integer.MIN_VALUE;
        BigDecimal[] exact = new BigDecimal[values.length];
        for (int i = 0; i < values.length; i++) {
            double v = values[i];
            if (!Double.isFinite(v) || Double.doubleToRawLongBits(v) == Long.MIN_VALUE) {
                return Optional.empty(); // NaN, infinities and -0.0 have no scaled-integer form
            }
            exact[i] = new BigDecimal(Double.toString(v)).stripTrailingZeros();
            scale = Math.max(scale, exact[i].scale());
        }
        if (values.length > 0 && (scale > MAX_SCALE || scale < -MAX_SCALE)) {
            return Optional.empty();
        }
        long[] mantissas = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            BigDecimal m = exact[i].movePointRight(scale);
            if (m.abs().compareTo(BigDecimal.valueOf(MAX_MANTISSA)) >= 0) {
                return Optional.empty();
            }
            mantissas[i] = m.longValueExact();
            if (Double.doubleToRawLongBits(value(mantissas[i], scale)) != Double.doubleToRawLongBits(values[i])) {
                return Optional.empty();
            }
        }
        BitWriter w = new BitWriter();
        w.writeVarint(values.length);
        if (values.length == 0) {
            return Optional.of(w.toByteArray());
        }
        w.writeVarint(BitReader.zigzag(scale));
        w.writeVarint(BitReader.zigzag(mantissas[0]));
        for (int i = 1; i < mantissas.length; i++) {
            w.writeVarint(BitReader.zigzag(mantissas[i] - mantissas[i - 1]));
        }
        return Optional.of(w.toByteArray());
    }

    /** Decodes a column of at most {@code maxCount} values; throws {@link SeriesFormatException} on damage. */
    public static double[] decode(byte[] column, int maxCount) {
        BitReader r = new BitReader(column);
        int n = r.readCount(maxCount, 8);
        double[] out = new double[n];
        if (n == 0) {
            return out;
        }
        long scale = BitReader.unzigzag(r.readVarint());
        if (scale > MAX_SCALE || scale < -MAX_SCALE) {
            throw new SeriesFormatException("decimal scale " + scale + " outside [-" + MAX_SCALE + ", " + MAX_SCALE + "]");
        }
        long m = 0;
        for (int i = 0; i < n; i++) {
            long d = BitReader.unzigzag(r.readVarint());
            m = i == 0 ? d : m + d;
            if (m <= -MAX_MANTISSA || m >= MAX_MANTISSA) {
                throw new SeriesFormatException("decimal mantissa of value " + i + " exceeds 53 bits");
            }
            out[i] = value(m, (int) scale);
        }
        return out;
    }

    static double value(long mantissa, int scale) {
        // both operands exact (|m| < 2^53, 10^|S| <= 10^22): one correctly rounded operation
        return scale >= 0 ? mantissa / POW10[scale] : mantissa * POW10[-scale];
    }
}
