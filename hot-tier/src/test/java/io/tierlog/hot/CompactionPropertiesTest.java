package io.tierlog.hot;

import io.tierlog.core.Record;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.testing.TempLogDir;
import io.tierlog.hot.testing.TestBatches;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Compaction against an independent model: after random keyed appends (small key space, tombstones, keyless
 * records, rolls, mixed compression) and a compaction, the log holds exactly the model's survivors at their
 * original offsets, reads of any offset (including gaps) and timestamp lookups agree with a linear scan, the
 * active segment's file is byte for byte untouched, a second run finds nothing to do, and a restart and further
 * appends keep all of that.
 *
 * <p>400 tries rather than 1000: each try writes, compacts (with fsyncs), rewrites and reopens up to ~40
 * segments; 1000 tries took 22 s on the shared 2-core dev VM, 400 keep this class under ten seconds and the
 * module's default run near a minute.
 */
class CompactionPropertiesTest {
    private static final TopicPartition TP = new TopicPartition("compact", 0);

    @Property(tries = 400)
    void compactionKeepsExactlyTheLatestRecordPerKey(@ForAll @IntRange(min = 1, max = 120) int batches,
                                                    @ForAll @IntRange(min = 1, max = 15) int keySpace,
                                                    @ForAll long seed) throws IOException {
        Random rnd = new Random(seed);
        LogConfig config = TempLogDir.smallConfig().withSegmentBytes(1024 + rnd.nextInt(2048))
                .withIndexIntervalBytes(1 + rnd.nextInt(400));
        try (TempLogDir tmp = new TempLogDir()) {
            PartitionLog log = tmp.open(TP, config);
            CompactionModel model = new CompactionModel(rnd, keySpace);
            long ts = 1_000_000;
            for (int i = 0; i < batches; i++) {
                model.appendBatch(log, 6, ts);
                ts += 100;
                if (rnd.nextInt(10) == 0) {
                    log.roll();
                }
            }
            long end = log.logEndOffset();
            List<SegmentInfo> closedBefore = log.closedSegments();
            long activeBase = closedBefore.isEmpty() ? 0 : closedBefore.getLast().nextOffset();
            Path activeFile = tmp.partitionDir(TP).resolve(Segment.fileName(activeBase) + ".log");
            byte[] activeBytes = Files.readAllBytes(activeFile);
            long now = ts + 50;
            long retention = rnd.nextInt((int) (now - 1_000_000) + 1);
            List<Record> tombstones = model.appended.stream().filter(r -> r.key() != null && r.value() == null).toList();
            if (!tombstones.isEmpty() && rnd.nextBoolean()) {
                // the boundary: a tombstone exactly at the cutoff is expired
                retention = now - tombstones.get(rnd.nextInt(tombstones.size())).timestamp();
            }
            long cutoff = now - retention;

            CompactionResult result = log.compact(now, retention, 1 << 20);
            List<Record> expected = model.expectedAfterCompaction(activeBase, end, cutoff);
            assertThat(result.keyMapFull()).isFalse();
            assertThat(result.cleanedUpToOffset()).isEqualTo(end);
            assertThat(result.segmentsExamined()).isEqualTo(closedBefore.size());
            assertThat(result.recordsRemoved()).isEqualTo(model.appended.size() - expected.size());
            assertThat(Files.readAllBytes(activeFile)).isEqualTo(activeBytes);
            long expectedStart = expectedLogStart(closedBefore, expected, activeBase);
            check(log, model, expected, expectedStart, end, rnd);

            CompactionResult again = log.compact(now, retention, 1 << 20);
            assertThat(again.recordsRemoved()).isZero();
            assertThat(again.segmentsRewritten() + again.segmentsDeleted()).isZero();

            PartitionLog reopened = tmp.reopen().open(TP, config);
            assertThat(reopened.logEndOffset()).isEqualTo(end);
            check(reopened, model, expected, expectedStart, end, rnd);

            List<Record> more = model.appendBatch(reopened, 6, ts);
            assertThat(more.getFirst().offset()).isEqualTo(end);
            List<Record> all = new ArrayList<>(expected);
            all.addAll(more);
            assertThat(CompactionModel.readAll(reopened, reopened.logStartOffset(), 1 + rnd.nextInt(2000))).isEqualTo(all);
        }
    }

    /** The first pre-compaction segment that keeps a record (segments left empty are deleted). */
    private static long expectedLogStart(List<SegmentInfo> closedBefore, List<Record> expected, long activeBase) {
        for (SegmentInfo s : closedBefore) {
            if (expected.stream().anyMatch(r -> r.offset() >= s.baseOffset() && r.offset() < s.nextOffset())) {
                return s.baseOffset();
            }
        }
        return activeBase;
    }

    private static void check(PartitionLog log, CompactionModel model, List<Record> expected, long expectedStart,
                              long end, Random rnd) {
        assertThat(log.logStartOffset()).isEqualTo(expectedStart);
        List<Record> read = CompactionModel.readAll(log, log.logStartOffset(), 1 + rnd.nextInt(2000));
        assertThat(read).isEqualTo(expected);
        for (int i = 1; i < read.size(); i++) {
            assertThat(read.get(i).offset()).isGreaterThan(read.get(i - 1).offset());
        }
        // every key's latest record is still there, at its offset, with its value (unless an expired tombstone)
        for (Map.Entry<String, Long> e : model.latestPerKey(end).entrySet()) {
            Record latest = model.appended.get(e.getValue().intValue());
            if (expected.contains(latest)) {
                Record got = firstAtOrAfter(log, latest.offset());
                assertThat(CompactionModel.sameContent(got, latest)).as("latest record of %s", e.getKey()).isTrue();
            }
        }
        // a read of any offset, in a gap or not, starts at the first surviving record at or after it
        for (int i = 0; i < 20 && !expected.isEmpty(); i++) {
            long o = expectedStart + (long) (rnd.nextDouble() * (end - expectedStart));
            Record want = expected.stream().filter(r -> r.offset() >= o).findFirst().orElse(null);
            assertThat(firstAtOrAfter(log, o)).isEqualTo(want);
        }
        // offsetForTimestamp agrees with a linear scan over the survivors
        for (int i = 0; i < 10 && !expected.isEmpty(); i++) {
            Record pick = expected.get(rnd.nextInt(expected.size()));
            long t = pick.timestamp() + rnd.nextInt(200) - 100;
            long want = expected.stream().filter(r -> r.timestamp() >= t).mapToLong(Record::offset).findFirst().orElse(-1);
            assertThat(log.offsetForTimestamp(t)).as("offsetForTimestamp(%d)", t).isEqualTo(want);
        }
    }

    private static Record firstAtOrAfter(PartitionLog log, long offset) {
        FetchData f = log.read(offset, 1);
        return TestBatches.records(f.batches()).stream().filter(r -> r.offset() >= offset).findFirst().orElse(null);
    }
}
