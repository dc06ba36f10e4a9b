package io.tierlog.query;

import io.tierlog.core.Record;

/** A record of a cross-partition query: the partition is needed for the (timestamp, partition, offset) order. */
public record TopicRecord(int partition, Record record) {
}
