package io.tierlog.query;

import io.tierlog.core.BatchBuilder;
import io.tierlog.core.Compression;
import io.tierlog.core.Header;
import io.tierlog.core.Limits;
import io.tierlog.core.MetricCodec;
import io.tierlog.core.MetricEvent;
import io.tierlog.core.Record;
import io.tierlog.core.RecordBatch;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.AppendInfo;
import io.tierlog.hot.PartitionLog;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * One topic's partitions built from real batches in {@link MemoryLog}s, with a shared {@link MemoryRemoteLog},
 * and the linear-scan oracle: every record appended, in offset order, per partition.
 */
final class Fixture {
    final String topic;
    final MemoryRemoteLog remote = new MemoryRemoteLog();
    final Map<Integer, MemoryLog> logs = new HashMap<>();
    final Map<Integer, List<Record>> all = new HashMap<>();

    Fixture(String topic, int partitions) {
        this.topic = topic;
        for (int p = 0; p < partitions; p++) {
            logs.put(p, new MemoryLog(new TopicPartition(topic, p), 0, 1 << 30));
            all.put(p, new ArrayList<>());
        }
    }

    TopicPartition tp(int p) {
        return new TopicPartition(topic, p);
    }

    MemoryLog log(int p) {
        return logs.get(p);
    }

    Function<TopicPartition, Optional<PartitionLog>> lookup() {
        return tp -> tp.topic().equals(topic) ? Optional.ofNullable(logs.get(tp.partition())) : Optional.empty();
    }

    /** Appends one batch of byte records with these timestamps (compressed every other batch). */
    AppendInfo append(int p, long... timestamps) {
        BatchBuilder b = new BatchBuilder(all.get(p).size() % 2 == 0 ? Compression.NONE : Compression.LZ4);
        int n = all.get(p).size();
        for (int i = 0; i < timestamps.length; i++) {
            byte[] key = ("k" + (n + i)).getBytes(StandardCharsets.UTF_8);
            byte[] value = ("value-" + p + "-" + (n + i)).getBytes(StandardCharsets.UTF_8);
            b.add(timestamps[i], key, value, i % 3 == 0 ? List.of(new Header("h", new byte[]{(byte) i})) : null);
        }
        return commit(p, b.build());
    }

    /** Appends one batch of metric samples. */
    AppendInfo appendMetrics(int p, List<MetricEvent> events) {
        return commit(p, MetricCodec.encode(events, Compression.NONE, Limits.DEFAULTS));
    }

    private AppendInfo commit(int p, RecordBatch batch) {
        List<Record> decoded = batch.records();
        AppendInfo info = log(p).appendCommitted(batch);
        for (Record r : decoded) {
            all.get(p).add(new Record(info.baseOffset() + r.offset(), r.timestamp(), r.key(), r.value(), r.headers()));
        }
        return info;
    }

    void roll(int p) {
        log(p).roll();
    }

    /** Uploads the first {@code count} closed segments, then deletes the first {@code deleteLocal} of them locally. */
    void tier(int p, int count, int deleteLocal) {
        remote.upload(log(p), count);
        int[] left = {deleteLocal};
        log(p).deleteOldestSegmentsWhile(s -> left[0]-- > 0);
    }

    List<Record> records(int p) {
        return all.get(p);
    }
}
