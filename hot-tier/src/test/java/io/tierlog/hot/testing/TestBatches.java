package io.tierlog.hot.testing;

import io.tierlog.core.BatchBuilder;
import io.tierlog.core.Compression;
import io.tierlog.core.Header;
import io.tierlog.core.Record;
import io.tierlog.core.RecordBatch;
import io.tierlog.hot.FetchData;
import io.tierlog.hot.PartitionLog;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Builds batches for hot-tier based tests and reads logs back record by record, so that tests of the tiers
 * above (ingest, cold tier, query) compare whole logs without re-implementing decoding loops.
 */
public final class TestBatches {
    private TestBatches() {
    }

    /** One uncompressed batch with a record per timestamp; values are random, keys every other record. */
    public static ByteBuffer batch(Random rnd, long... timestamps) {
        return batch(rnd, Compression.NONE, timestamps);
    }

    public static ByteBuffer batch(Random rnd, Compression compression, long... timestamps) {
        BatchBuilder b = new BatchBuilder(compression);
        for (int i = 0; i < timestamps.length; i++) {
            byte[] value = new byte[rnd.nextInt(40)];
            rnd.nextBytes(value);
            byte[] key = i % 2 == 0 ? ("k" + rnd.nextInt(1000)).getBytes() : null;
            List<Header> headers = rnd.nextInt(8) == 0 ? List.of(new Header("h", value)) : List.of();
            b.add(timestamps[i], key, value, headers);
        }
        return b.build().buffer();
    }

    /**
     * A batch of 1..maxRecords records with timestamps around {@code baseTs}; about one batch in five holds
     * late records (up to 10 s older), so timestamps are not monotonic across batches.
     */
    public static ByteBuffer randomBatch(Random rnd, int maxRecords, long baseTs) {
        int n = 1 + rnd.nextInt(maxRecords);
        long[] ts = new long[n];
        boolean late = rnd.nextInt(5) == 0;
        for (int i = 0; i < n; i++) {
            ts[i] = Math.max(0, baseTs + rnd.nextInt(1000) - (late ? 10_000 : 0));
        }
        return batch(rnd, ts);
    }

    /** Decodes every batch of a buffer of concatenated batches. */
    public static List<Record> records(ByteBuffer batches) {
        List<Record> out = new ArrayList<>();
        for (RecordBatch b : RecordBatch.iterate(batches)) {
            out.addAll(b.records());
        }
        return out;
    }

    /** Every record of {@code log} from {@code from} up to its high watermark, read in chunks of {@code maxBytes}. */
    public static List<Record> readAll(PartitionLog log, long from, int maxBytes) {
        List<Record> out = new ArrayList<>();
        long next = from;
        while (next < log.highWatermark()) {
            FetchData f = log.read(next, maxBytes);
            for (Record r : records(f.batches())) {
                if (r.offset() >= next && r.offset() < f.highWatermark()) {
                    out.add(r);
                }
            }
            long progressed = out.isEmpty() ? next : out.get(out.size() - 1).offset() + 1;
            if (progressed == next) {
                throw new AssertionError("read(" + next + ") of " + log.topicPartition() + " returned no record at or after it"
                        + " below the high watermark " + f.highWatermark());
            }
            next = progressed;
        }
        return out;
    }

    /** Appends and makes the data readable at once (what the ingest writer does after acknowledging). */
    public static io.tierlog.hot.AppendInfo appendCommitted(PartitionLog log, ByteBuffer batches) {
        io.tierlog.hot.AppendInfo info = log.append(batches);
        log.advanceHighWatermark(info.nextOffset());
        return info;
    }
}
