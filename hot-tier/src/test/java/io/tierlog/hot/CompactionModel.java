package io.tierlog.hot;

import io.tierlog.core.BatchBuilder;
import io.tierlog.core.Compression;
import io.tierlog.core.Header;
import io.tierlog.core.Record;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Test model of a compacted topic: appends random keyed batches (small key space, tombstones, some keyless
 * records, mixed compression) to a log and remembers every record, so that tests can compute independently
 * which records compaction must keep.
 */
final class CompactionModel {
    final List<Record> appended = new ArrayList<>();
    private final Random rnd;
    private final int keySpace;

    CompactionModel(Random rnd, int keySpace) {
        this.rnd = rnd;
        this.keySpace = keySpace;
    }

    /** Appends one batch of 1..maxRecords records with timestamps from {@code ts}; returns its records. */
    List<Record> appendBatch(PartitionLog log, int maxRecords, long ts) {
        Compression c = Compression.values()[rnd.nextInt(Compression.values().length)];
        BatchBuilder b = new BatchBuilder(c);
        int n = 1 + rnd.nextInt(maxRecords);
        for (int i = 0; i < n; i++) {
            byte[] key = rnd.nextInt(12) == 0 ? null : ("key-" + rnd.nextInt(keySpace)).getBytes();
            byte[] value = null;
            if (rnd.nextInt(6) != 0) {
                value = new byte[rnd.nextInt(30)];
                rnd.nextBytes(value);
            }
            List<Header> headers = rnd.nextInt(5) == 0 ? List.of(new Header("h", new byte[]{(byte) i})) : List.of();
            b.add(ts + rnd.nextInt(50), key, value, headers);
        }
        ByteBuffer buf = b.build().buffer();
        List<Record> recs = io.tierlog.hot.testing.TestBatches.records(buf);
        AppendInfo info = io.tierlog.hot.testing.TestBatches.appendCommitted(log, buf);
        List<Record> out = new ArrayList<>();
        for (Record r : recs) {
            Record abs = new Record(r.offset() + info.baseOffset(), r.timestamp(), r.key(), r.value(), r.headers());
            appended.add(abs);
            out.add(abs);
        }
        return out;
    }

    /** Latest offset per key (as a string) over the records below {@code endOffset}. */
    Map<String, Long> latestPerKey(long endOffset) {
        Map<String, Long> latest = new HashMap<>();
        for (Record r : appended) {
            if (r.offset() < endOffset && r.key() != null) {
                latest.put(new String(r.key()), r.offset());
            }
        }
        return latest;
    }

    /**
     * The records a full compaction keeps, written independently of the implementation: everything at or after
     * {@code activeBase}; before it, the latest record of each key unless it is a tombstone at or before
     * {@code cutoff}.
     */
    List<Record> expectedAfterCompaction(long activeBase, long endOffset, long cutoff) {
        Map<String, Long> latest = latestPerKey(endOffset);
        List<Record> out = new ArrayList<>();
        for (Record r : appended) {
            if (r.offset() >= activeBase) {
                out.add(r);
            } else if (r.key() != null && latest.get(new String(r.key())) == r.offset()
                    && !(r.value() == null && r.timestamp() <= cutoff)) {
                out.add(r);
            }
        }
        return out;
    }

    /**
     * Like {@code TestBatches.readAll}, but a compacted log may answer an empty fetch below the high watermark
     * when everything from there to it was compacted away; then the read ends.
     */
    static List<Record> readAll(PartitionLog log, long from, int maxBytes) {
        List<Record> out = new ArrayList<>();
        long next = from;
        while (next < log.highWatermark()) {
            FetchData f = log.read(next, maxBytes);
            if (f.isEmpty()) {
                break;
            }
            for (Record r : io.tierlog.hot.testing.TestBatches.records(f.batches())) {
                if (r.offset() >= next && r.offset() < f.highWatermark()) {
                    out.add(r);
                }
            }
            long progressed = out.isEmpty() ? next : out.getLast().offset() + 1;
            if (progressed == next) {
                throw new AssertionError("read(" + next + ") returned batches but no record at or after it");
            }
            next = progressed;
        }
        return out;
    }

    static boolean sameContent(Record a, Record b) {
        return a.offset() == b.offset() && Arrays.equals(a.key(), b.key()) && Arrays.equals(a.value(), b.value());
    }
}
