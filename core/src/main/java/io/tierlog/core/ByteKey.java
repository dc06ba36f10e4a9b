package io.tierlog.core;

import java.util.Arrays;

/**
 * A byte array as a map key, compared by content with its hash computed once: series keys are looked up once per
 * record on the hot paths (caches of parsed keys, the series dictionary of a block), so hashing them twice or
 * comparing them by identity would both be wrong or slow. The array is not copied; callers that keep a key copy it.
 */
public record ByteKey(byte[] bytes, int hash) {
    public ByteKey(byte[] bytes) {
        this(bytes, Arrays.hashCode(bytes));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ByteKey k && k.hash == hash && Arrays.equals(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return "ByteKey[" + bytes.length + " bytes]";
    }
}
