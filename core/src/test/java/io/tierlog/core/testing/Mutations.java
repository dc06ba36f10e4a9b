package io.tierlog.core.testing;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

import java.util.Arrays;
import java.util.List;

/**
 * The fuzzers' byte-mutation operators: a valid input (a batch, a request frame, a JSON or protobuf body) is changed
 * by a few {@link Mutation}s - a bit flipped, a byte set, a cut, a huge length or count written in, a run deleted or
 * repeated - so that the decoder under test meets damaged structure past its first checks.
 *
 * <p>Public, in core's test-jar, because the fuzz tests of core, kafka, metrics-receivers and server all mutate their
 * seeds this way; what differs between them is a parameter here: which {@link Kind}s and how often (a kind listed
 * twice is drawn twice as often), the bytes {@link Kind#SET} prefers, which {@link Huge} values are written, the
 * longest run and the most mutations per input. An instance is immutable; {@link #arbitrary()} generates mutations
 * and {@link #apply} applies them with the same parameters.
 */
public final class Mutations {
    /** What one mutation does at its position {@code p}. */
    public enum Kind {
        /** Flips bit {@code value & 7} of the byte at {@code p}. */
        FLIP,
        /**
         * Sets the byte at {@code p} to {@code value}, or to the {@code value}th character of the
         * {@linkplain #setAlphabet(String) set alphabet} when {@code value} is less than its length.
         */
        SET,
        /** Cuts the input at {@code p}. */
        TRUNCATE,
        /** Inserts a {@link Huge} value at {@code p}, shifting the rest. */
        INSERT_HUGE,
        /** Writes a {@link Huge} value over the bytes at {@code p} (cut short at the end of the input). */
        OVERWRITE_HUGE,
        /** Deletes up to {@code length} bytes at {@code p}. */
        DELETE,
        /** Repeats up to {@code length} bytes at {@code p} (repeated fields, nested messages, duplicated records). */
        DUPLICATE
    }

    /** The largest length or count a field can declare, in each of the encodings the decoders read. */
    public enum Huge {
        /** 2^31 - 1 as a zig-zag varint (Kafka's record lengths and counts): {@code fe ff ff ff 0f}. */
        ZIGZAG_VARINT(new byte[]{(byte) 0xfe, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f}),
        /** 2^31 - 1 as an unsigned varint (protobuf, snappy, Kafka's compact arrays): {@code ff ff ff ff 07}. */
        UNSIGNED_VARINT(new byte[]{(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x07}),
        /** 0x7fffffff as a big-endian int32 (Kafka's classic arrays and lengths): {@code 7f ff ff ff}. */
        INT32(new byte[]{0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff});

        private final byte[] bytes;

        Huge(byte[] bytes) {
            this.bytes = bytes;
        }

        /** A copy of the encoded value. */
        public byte[] bytes() {
            return bytes.clone();
        }
    }

    /**
     * One change to a byte string: {@code at} picks the position (modulo the mutable length), {@code value} the bit,
     * byte or {@link Huge} value, {@code length} the run. Its meaning depends on the {@link Mutations} that generated
     * it, which is also the one to {@linkplain Mutations#apply apply} it with.
     */
    public record Mutation(Kind kind, int at, int value, int length) {
    }

    private final List<Kind> kinds;
    private final String setAlphabet;
    private final List<Huge> huge;
    private final int maxRun;
    private final int maxCount;

    private Mutations(List<Kind> kinds, String setAlphabet, List<Huge> huge, int maxRun, int maxCount) {
        if (kinds.isEmpty()) {
            throw new IllegalArgumentException("no kinds");
        }
        if (maxRun < 1 || maxCount < 1) {
            throw new IllegalArgumentException("maxRun and maxCount must be positive");
        }
        this.kinds = List.copyOf(kinds);
        this.setAlphabet = setAlphabet;
        this.huge = List.copyOf(huge);
        this.maxRun = maxRun;
        this.maxCount = maxCount;
    }

    /**
     * Mutations of these kinds, each drawn with equal probability (list one twice to draw it twice as often); in this
     * order, as shrinking prefers the first. By default {@link Kind#SET} sets plain bytes, no {@link Huge} value is
     * set, runs are at most 64 bytes and an input gets at most 4 mutations.
     */
    public static Mutations of(Kind... kinds) {
        return new Mutations(List.of(kinds), "", List.of(), 64, 4);
    }

    /** {@link Kind#SET} with a {@code value} below {@code alphabet.length()} sets that character of it instead. */
    public Mutations setAlphabet(String alphabet) {
        return new Mutations(kinds, alphabet, huge, maxRun, maxCount);
    }

    /**
     * The values {@link Kind#INSERT_HUGE} and {@link Kind#OVERWRITE_HUGE} write: the one at index {@code value} modulo
     * their number.
     */
    public Mutations huge(Huge... values) {
        return new Mutations(kinds, setAlphabet, List.of(values), maxRun, maxCount);
    }

    /** The longest run {@link Kind#DELETE} and {@link Kind#DUPLICATE} take (1 to this many bytes). */
    public Mutations maxRun(int bytes) {
        return new Mutations(kinds, setAlphabet, huge, bytes, maxCount);
    }

    /** The most mutations in one generated list (at least one). */
    public Mutations maxCount(int mutations) {
        return new Mutations(kinds, setAlphabet, huge, maxRun, mutations);
    }

    /**
     * Lists of 1 to {@code maxCount} mutations: a kind, any position, a value of 0 to 255, a run of 1 to
     * {@code maxRun}.
     */
    public Arbitrary<List<Mutation>> arbitrary() {
        if (huge.isEmpty() && (kinds.contains(Kind.INSERT_HUGE) || kinds.contains(Kind.OVERWRITE_HUGE))) {
            throw new IllegalStateException("a huge-value kind needs at least one Huge value");
        }
        return Combinators.combine(Arbitraries.of(kinds), Arbitraries.integers(),
                        Arbitraries.integers().between(0, 255), Arbitraries.integers().between(1, maxRun))
                .as(Mutation::new).list().ofMinSize(1).ofMaxSize(maxCount);
    }

    /** {@code in} with {@code mutations} applied one after the other. */
    public byte[] apply(byte[] in, List<Mutation> mutations) {
        byte[] b = in;
        for (Mutation m : mutations) {
            b = apply(b, m);
        }
        return b;
    }

    /** {@code in} with {@code m} applied anywhere in it; an empty input is returned unchanged. */
    public byte[] apply(byte[] in, Mutation m) {
        return apply(in, m, 0);
    }

    /**
     * {@code in} with {@code m} applied at or after byte {@code from} (a header's earlier fields kept intact); an input
     * no longer than {@code from} is returned unchanged. {@code in} itself is never modified.
     */
    public byte[] apply(byte[] in, Mutation m, int from) {
        int lo = Math.min(from, in.length);
        if (in.length - lo <= 0) {
            return in;
        }
        int p = lo + Math.floorMod(m.at(), in.length - lo);
        return switch (m.kind()) {
            case FLIP -> {
                byte[] b = in.clone();
                b[p] ^= (byte) (1 << (m.value() & 7));
                yield b;
            }
            case SET -> {
                byte[] b = in.clone();
                b[p] = (byte) (m.value() < setAlphabet.length() ? setAlphabet.charAt(m.value()) : m.value());
                yield b;
            }
            case TRUNCATE -> Arrays.copyOf(in, p);
            case INSERT_HUGE -> {
                byte[] big = huge(m);
                byte[] b = Arrays.copyOf(in, in.length + big.length);
                System.arraycopy(in, p, b, p + big.length, in.length - p);
                System.arraycopy(big, 0, b, p, big.length);
                yield b;
            }
            case OVERWRITE_HUGE -> {
                byte[] big = huge(m);
                byte[] b = in.clone();
                System.arraycopy(big, 0, b, p, Math.min(big.length, b.length - p));
                yield b;
            }
            case DELETE -> {
                int n = Math.min(m.length(), in.length - p);
                byte[] b = new byte[in.length - n];
                System.arraycopy(in, 0, b, 0, p);
                System.arraycopy(in, p + n, b, p, in.length - p - n);
                yield b;
            }
            case DUPLICATE -> {
                int n = Math.min(m.length(), in.length - p);
                byte[] b = Arrays.copyOf(in, in.length + n);
                System.arraycopy(in, p, b, p + n, in.length - p);
                yield b;
            }
        };
    }

    private byte[] huge(Mutation m) {
        return huge.get(Math.floorMod(m.value(), huge.size())).bytes;
    }
}
