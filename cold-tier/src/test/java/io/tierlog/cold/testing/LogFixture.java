package io.tierlog.cold.testing;

import io.tierlog.core.BatchBuilder;
import io.tierlog.core.Compression;
import io.tierlog.core.Record;
import io.tierlog.core.RecordBatch;
import io.tierlog.hot.AppendInfo;
import io.tierlog.hot.FetchData;
import io.tierlog.hot.PartitionLog;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Builds real hot-tier partition logs with random batches and decodes fetched data, for cold-tier tests. */
public final class LogFixture {
    private LogFixture() {
    }

    /** Appends one batch of {@code records} records (random keys/values of up to {@code maxValue} bytes) and commits it. */
    public static AppendInfo appendBatch(PartitionLog log, Random rnd, int records, int maxValue, long baseTs) {
        BatchBuilder b = new BatchBuilder(rnd.nextInt(4) == 0 ? Compression.LZ4 : Compression.NONE);
        for (int i = 0; i < records; i++) {
            byte[] key = ("k" + rnd.nextInt(100)).getBytes();
            byte[] value = new byte[rnd.nextInt(maxValue + 1)];
            rnd.nextBytes(value);
            b.add(baseTs + rnd.nextInt(1000), key, value);
        }
        AppendInfo info = log.append(b.build().buffer());
        log.advanceHighWatermark(info.nextOffset());
        return info;
    }

    /** Decodes every record of the fetched batches (including records before the fetch offset). */
    public static List<Record> records(ByteBuffer batches) {
        List<Record> out = new ArrayList<>();
        for (RecordBatch b : RecordBatch.iterate(batches)) {
            out.addAll(b.records());
        }
        return out;
    }

    /** Records from {@code fetch.fetchOffset()} on (what a consumer would keep). */
    public static List<Record> fromOffset(FetchData fetch) {
        return records(fetch.batches()).stream().filter(r -> r.offset() >= fetch.fetchOffset()).toList();
    }

    public static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
