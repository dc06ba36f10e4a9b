package io.tierlog.sdk;

import io.tierlog.core.CorruptBatchException;
import io.tierlog.core.MetricCodec;
import io.tierlog.core.MetricEvent;
import io.tierlog.core.MetricType;
import io.tierlog.core.SeriesKey;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * A metric event as a Kafka record and back: the key is the canonical series key ({@link SeriesKey#toBytes()}),
 * the value {@link MetricCodec}'s 9 bytes (type id, big-endian double), the timestamp the event's. This is the
 * stored format of a {@code metrics} topic (docs/format.md), so records written here are what the server
 * validates, and records written over HTTP read back the same.
 */
final class MetricSerde {
    private static final VarHandle DOUBLE_BE = MethodHandles.byteArrayViewVarHandle(double[].class, ByteOrder.BIG_ENDIAN);
    private static final MetricType[] TYPES = MetricType.values();

    private MetricSerde() {
    }

    static byte[] key(MetricEvent e) {
        return e.seriesKey().toBytes();
    }

    static byte[] value(MetricEvent e) {
        return MetricCodec.encodeValue(e.value(), e.type());
    }

    /**
     * The event a stored metric record holds. {@link SeriesKey#parse(byte[])} caches parsed keys: a topic holds few
     * series and many samples of each, so most keys were parsed before.
     */
    static MetricEvent decode(byte[] key, byte[] value, long timestamp, String where) {
        if (key == null || value == null || value.length != MetricCodec.VALUE_SIZE) {
            throw new CorruptBatchException("record " + where + " is not a metric sample");
        }
        SeriesKey k = SeriesKey.parse(key);
        return new MetricEvent(k.name(), k.tags(), timestamp, (double) DOUBLE_BE.get(value, 1), type(value[0]));
    }

    /** {@link MetricType#fromId} without its per-call {@code values()} copy. */
    private static MetricType type(int id) {
        for (MetricType t : TYPES) {
            if (t.id() == id) {
                return t;
            }
        }
        return MetricType.fromId(id); // throws the codec's own "unknown metric type id" error
    }
}
