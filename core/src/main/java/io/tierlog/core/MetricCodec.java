package io.tierlog.core;

import java.nio.ByteBuffer;
import java.util.Collection;

/**
 * Maps metric events to records and back. A metric record's key is the canonical {@link SeriesKey}; its
 * value is 9 bytes: the {@link MetricType} id, then the IEEE-754 double, big-endian.
 */
public final class MetricCodec {
    /** Size of an encoded sample value. */
    public static final int VALUE_SIZE = 9;

    private MetricCodec() {
    }

    public static byte[] encodeValue(double value, MetricType type) {
        return ByteBuffer.allocate(VALUE_SIZE).put((byte) type.id()).putDouble(value).array();
    }

    /** Adds one event to a batch under construction (validated against {@code limits} first). */
    public static void append(BatchBuilder builder, MetricEvent event, Limits limits) {
        Validation.metricEvent(event, limits);
        builder.add(event.timestamp(), SeriesKey.canonical(event.name(), event.tags()).getBytes(java.nio.charset.StandardCharsets.UTF_8),
                encodeValue(event.value(), event.type()));
    }

    /** Encodes events into one batch, in the given order. */
    public static RecordBatch encode(Collection<MetricEvent> events, Compression compression, Limits limits) {
        BatchBuilder b = new BatchBuilder(compression);
        for (MetricEvent e : events) {
            append(b, e, limits);
        }
        return b.build();
    }

    /** Decodes a stored metric record; throws {@link CorruptBatchException} when it is not one. */
    public static MetricEvent decode(Record record) {
        if (record.key() == null || record.value() == null || record.value().length != VALUE_SIZE) {
            throw new CorruptBatchException("record at offset " + record.offset() + " is not a metric sample");
        }
        SeriesKey key = SeriesKey.parse(record.key());
        ByteBuffer v = ByteBuffer.wrap(record.value());
        MetricType type = MetricType.fromId(v.get());
        return new MetricEvent(key.name(), key.tags(), record.timestamp(), v.getDouble(), type);
    }
}
