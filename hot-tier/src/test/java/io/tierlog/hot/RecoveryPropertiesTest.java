package io.tierlog.hot;

import io.tierlog.core.Record;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.testing.TempLogDir;
import io.tierlog.hot.testing.TestBatches;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Recovery keeps exactly the longest valid prefix of batches of a damaged active segment (cut at any byte, or
 * any one byte flipped) and the log continues at the right offset afterwards.
 */
class RecoveryPropertiesTest {
    private static final TopicPartition TP = new TopicPartition("rec", 0);

    /** An appended batch: where it went and what it held. */
    record Appended(long baseOffset, int size, List<Record> records) {
    }

    @Property(tries = 1000)
    void recoveryKeepsLongestValidPrefix(@ForAll @IntRange(min = 1, max = 40) int batches,
                                         @ForAll long seed,
                                         @ForAll boolean flip,
                                         @ForAll @DoubleRange(min = 0, max = 1, maxIncluded = false) double where) throws IOException {
        Random rnd = new Random(seed);
        LogConfig config = TempLogDir.smallConfig().withSegmentBytes(2048).withIndexIntervalBytes(128);
        try (TempLogDir tmp = new TempLogDir()) {
            PartitionLog log = tmp.open(TP, config);
            List<Appended> appended = new ArrayList<>();
            for (int i = 0; i < batches; i++) {
                ByteBuffer b = TestBatches.randomBatch(rnd, 8, 1_000_000L + i * 500L);
                List<Record> recs = TestBatches.records(b);
                AppendInfo info = TestBatches.appendCommitted(log, b);
                appended.add(new Appended(info.baseOffset(), info.sizeInBytes(), recs.stream()
                        .map(r -> new Record(r.offset() + info.baseOffset(), r.timestamp(), r.key(), r.value(), r.headers()))
                        .toList()));
            }
            tmp.manager().close();

            Path activeFile = lastSegmentFile(tmp.partitionDir(TP));
            long activeBase = Long.parseLong(activeFile.getFileName().toString().substring(0, 20));
            long fileSize = Files.size(activeFile);
            long damageAt = (long) (where * fileSize);
            try (FileChannel ch = FileChannel.open(activeFile, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                if (flip) {
                    ByteBuffer one = ByteBuffer.allocate(1);
                    ch.read(one, damageAt);
                    one.put(0, (byte) (one.get(0) ^ (1 << rnd.nextInt(8))));
                    ch.write(one.rewind(), damageAt);
                } else {
                    ch.truncate(damageAt);
                }
            }

            // expected: every batch before the active segment, plus the active segment's batches that end
            // before a cut / do not contain the flipped byte
            List<Record> expected = new ArrayList<>();
            long pos = 0;
            for (Appended a : appended) {
                if (a.baseOffset() >= activeBase) {
                    boolean intact = flip ? damageAt >= pos + a.size() : pos + a.size() <= damageAt;
                    if (!intact) {
                        break;
                    }
                    pos += a.size();
                }
                expected.addAll(a.records());
            }

            PartitionLog reopened = tmp.reopen().open(TP, config);
            assertThat(reopened.logEndOffset()).isEqualTo(expected.size());
            assertThat(reopened.highWatermark()).isEqualTo(expected.size());
            assertThat(Files.size(activeFile)).isEqualTo(pos);
            assertThat(TestBatches.readAll(reopened, 0, 1 + rnd.nextInt(3000))).isEqualTo(expected);

            ByteBuffer next = TestBatches.randomBatch(rnd, 5, 2_000_000L);
            AppendInfo info = TestBatches.appendCommitted(reopened, next);
            assertThat(info.baseOffset()).isEqualTo(expected.size());
            List<Record> all = TestBatches.readAll(reopened, 0, 4096);
            assertThat(all).hasSize(expected.size() + info.recordCount());
            for (int i = 0; i < all.size(); i++) {
                assertThat(all.get(i).offset()).isEqualTo(i);
            }
            // and the recovered state survives another clean restart unchanged
            PartitionLog again = tmp.reopen().open(TP, config);
            assertThat(TestBatches.readAll(again, 0, 4096)).isEqualTo(all);
        }
    }

    static Path lastSegmentFile(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".log"))
                    .max(Comparator.comparing(p -> p.getFileName().toString())).orElseThrow();
        }
    }
}
