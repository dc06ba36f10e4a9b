package io.tierlog.cold.series;

/**
 * Float values by XOR with the previous value (the Gorilla paper, section 4.1.2), on the raw IEEE bits: NaN payloads,
 * infinities and -0.0 round-trip bit for bit. Best for gauges whose values are not short decimals.
 *
 * <p>Layout: count (varint), first value (64 bits), then per value: {@code 0} = same bits; {@code 10} + the XOR's
 * meaningful bits inside the previous window; {@code 11} + leading zeros (5 bits, at most 31) + meaningful bit count
 * (6 bits, 0 meaning 64) + those bits.
 */
public final class GorillaValues {
    private GorillaValues() {
    }

    public static byte[] encode(double[] values) {
        BitWriter w = new BitWriter();
        w.writeVarint(values.length);
        if (values.length == 0) {
            return w.toByteArray();
        }
        long prev = Double.doubleToRawLongBits(values[0]);
        w.write(prev, 64);
        int prevLead = -1;
        int prevTrail = 0;
        for (int i = 1; i < values.length; i++) {
            long bits = Double.doubleToRawLongBits(values[i]);
            long xor = bits ^ prev;
            prev = bits;
            if (xor == 0) {
                w.writeBit(0);
                continue;
            }
            w.writeBit(1);
            int lead = Math.min(31, Long.numberOfLeadingZeros(xor));
            int trail = Long.numberOfTrailingZeros(xor);
            if (prevLead >= 0 && lead >= prevLead && trail >= prevTrail) {
                w.writeBit(0);
                w.write(xor >>> prevTrail, 64 - prevLead - prevTrail);
            } else {
                int sig = 64 - lead - trail;
                w.writeBit(1);
                w.write(lead, 5);
                w.write(sig & 63, 6);
                w.write(xor >>> trail, sig);
                prevLead = lead;
                prevTrail = trail;
            }
        }
        return w.toByteArray();
    }

    /** Decodes a column of at most {@code maxCount} values; throws {@link SeriesFormatException} on damage. */
    public static double[] decode(byte[] column, int maxCount) {
        BitReader r = new BitReader(column);
        int n = r.readCount(maxCount, 1);
        double[] out = new double[n];
        if (n == 0) {
            return out;
        }
        long prev = r.read(64);
        out[0] = Double.longBitsToDouble(prev);
        int lead = -1;
        int trail = 0;
        for (int i = 1; i < n; i++) {
            if (r.readBit() == 1) {
                if (r.readBit() == 0) {
                    if (lead < 0) {
                        throw new SeriesFormatException("value " + i + " reuses a window before one was set");
                    }
                } else {
                    lead = (int) r.read(5);
                    int sig = (int) r.read(6);
                    sig = sig == 0 ? 64 : sig;
                    if (lead + sig > 64) {
                        throw new SeriesFormatException("value " + i + ": " + lead + " leading zeros and " + sig
                                + " meaningful bits exceed 64");
                    }
                    trail = 64 - lead - sig;
                }
                prev ^= r.read(64 - lead - trail) << trail;
            }
            out[i] = Double.longBitsToDouble(prev);
        }
        return out;
    }
}
