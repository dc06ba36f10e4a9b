package io.tierlog.core;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One stored record: the unit a consumer sees. Offsets are assigned by the log and dense per partition;
 * key and value are optional; headers are never null (empty when absent).
 */
public record Record(long offset, long timestamp, byte[] key, byte[] value, List<Header> headers) {
    public Record {
        headers = headers == null ? List.of() : List.copyOf(headers);
    }

    /** A record without headers. */
    public Record(long offset, long timestamp, byte[] key, byte[] value) {
        this(offset, timestamp, key, value, List.of());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Record r && offset == r.offset && timestamp == r.timestamp
                && Arrays.equals(key, r.key) && Arrays.equals(value, r.value) && headers.equals(r.headers);
    }

    @Override
    public int hashCode() {
        return Objects.hash(offset, timestamp, Arrays.hashCode(key), Arrays.hashCode(value), headers);
    }

    @Override
    public String toString() {
        return "Record[offset=" + offset + ", timestamp=" + timestamp
                + ", key=" + (key == null ? "null" : key.length + "B")
                + ", value=" + (value == null ? "null" : value.length + "B")
                + ", headers=" + headers.size() + "]";
    }
}
