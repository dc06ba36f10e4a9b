package io.tierlog.hot;

import io.tierlog.core.Record;
import io.tierlog.core.RecordBatch;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.testing.TempLogDir;
import io.tierlog.hot.testing.TestBatches;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Offset reads and offset-for-timestamp lookups agree with a linear scan over every appended record, across
 * segment rolls, with late (non-monotonic) timestamps, a high watermark below the log end, and after reopen.
 */
class LookupPropertiesTest {
    private static final TopicPartition TP = new TopicPartition("look", 3);

    @Property(tries = 1000)
    void lookupsEqualLinearScan(@ForAll @IntRange(min = 1, max = 40) int batches,
                                @ForAll @IntRange(min = 0, max = 5) int uncommittedBatches,
                                @ForAll long seed) {
        Random rnd = new Random(seed);
        LogConfig config = TempLogDir.smallConfig().withSegmentBytes(1024 + rnd.nextInt(3000))
                .withIndexIntervalBytes(1 + rnd.nextInt(600));
        try (TempLogDir tmp = new TempLogDir()) {
            PartitionLog log = tmp.open(TP, config);
            List<Record> all = new ArrayList<>();
            for (int i = 0; i < batches + uncommittedBatches; i++) {
                ByteBuffer b = TestBatches.randomBatch(rnd, 12, 1_000_000L + i * 300L);
                List<Record> recs = TestBatches.records(b);
                AppendInfo info = log.append(b);
                assertThat(info.baseOffset()).isEqualTo(all.size());
                for (Record r : recs) {
                    all.add(new Record(r.offset() + info.baseOffset(), r.timestamp(), r.key(), r.value(), r.headers()));
                }
                if (i < batches) {
                    log.advanceHighWatermark(info.nextOffset());
                }
            }
            long hw = log.highWatermark();
            List<Record> visible = all.subList(0, (int) hw);
            checkLookups(log, visible, rnd);

            // after a clean restart the high watermark is the log end and everything is visible
            PartitionLog reopened = tmp.reopen().open(TP, config);
            assertThat(reopened.highWatermark()).isEqualTo(all.size());
            checkLookups(reopened, all, rnd);
        }
    }

    private static void checkLookups(PartitionLog log, List<Record> visible, Random rnd) {
        long hw = log.highWatermark();
        for (int q = 0; q < 10 && hw > 0; q++) {
            long offset = rnd.nextLong(hw);
            int maxBytes = 1 + rnd.nextInt(2500);
            FetchData f = log.read(offset, maxBytes);
            assertThat(f.highWatermark()).isEqualTo(hw);
            List<RecordBatch> got = new ArrayList<>();
            RecordBatch.iterate(f.batches()).forEach(got::add);
            assertThat(got).isNotEmpty();
            assertThat(got.getFirst().baseOffset()).isLessThanOrEqualTo(offset);
            assertThat(got.getFirst().lastOffset()).isGreaterThanOrEqualTo(offset);
            assertThat(got.stream().mapToInt(RecordBatch::sizeInBytes).sum()).isEqualTo(f.batches().remaining());
            if (got.size() > 1) {
                assertThat(f.batches().remaining()).isLessThanOrEqualTo(maxBytes);
            }
            long expectNext = got.getFirst().baseOffset();
            for (RecordBatch b : got) {
                b.validate();
                assertThat(b.baseOffset()).isEqualTo(expectNext).isLessThan(hw);
                for (Record r : b.records()) {
                    assertThat(r).isEqualTo(visible.get((int) r.offset()));
                }
                expectNext = b.nextOffset();
            }
        }
        long minTs = visible.stream().mapToLong(Record::timestamp).min().orElse(0);
        long maxTs = visible.stream().mapToLong(Record::timestamp).max().orElse(0);
        for (int q = 0; q < 10; q++) {
            long t = minTs - 5 + rnd.nextLong(maxTs - minTs + 10);
            long expected = visible.stream().filter(r -> r.timestamp() >= t).mapToLong(Record::offset).findFirst().orElse(-1);
            assertThat(log.offsetForTimestamp(t)).as("offsetForTimestamp(%d)", t).isEqualTo(expected);
        }
    }
}
