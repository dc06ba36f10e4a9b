package io.tierlog.hot;

import io.tierlog.core.Compression;
import io.tierlog.core.RecordBatch;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.testing.TempLogDir;
import io.tierlog.hot.testing.TestBatches;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the hot tier does for Kafka's batch format: the broker's own header fields on append, the segment minimum
 * timestamp (not in Kafka's header) kept across restarts, and zero-copy slices that pin their segment.
 */
class KafkaFormatLogTest {
    private static final TopicPartition TP = new TopicPartition("k", 0);
    private final TempLogDir tmp = new TempLogDir();
    private final Random rnd = new Random(7);

    @AfterEach
    void cleanup() {
        tmp.close();
    }

    @Test
    void appendAssignsOffsetsAndTheLeaderEpochAndKeepsTheCrcValid() {
        PartitionLog log = tmp.open(TP, TempLogDir.smallConfig());
        TestBatches.appendCommitted(log, TestBatches.batch(rnd, 1, 2, 3));
        ByteBuffer client = TestBatches.batch(rnd, Compression.LZ4, 5, 4);
        client.putInt(12, -1); // what producers send: no partition leader epoch
        TestBatches.appendCommitted(log, client);
        ByteBuffer stored = log.read(3, 1 << 20).batches();
        RecordBatch b = RecordBatch.wrap(stored);
        assertThat(b.baseOffset()).isEqualTo(3);
        assertThat(b.partitionLeaderEpoch()).isEqualTo(RecordBatch.LEADER_EPOCH);
        assertThat(b.isValidHeaderAndCrc()).isTrue();
    }

    @Test
    void theSegmentMinimumTimestampSurvivesARestartAndARebuiltIndex() throws IOException {
        PartitionLog log = tmp.open(TP, TempLogDir.smallConfig());
        // the minimum sits in the middle of a compressed batch: the header (max, first) cannot tell it
        TestBatches.appendCommitted(log, TestBatches.batch(rnd, Compression.ZSTD, 5_000, 1_000, 9_000));
        TestBatches.appendCommitted(log, TestBatches.batch(rnd, Compression.LZ4, 7_000, 2_000));
        log.roll();
        TestBatches.appendCommitted(log, TestBatches.batch(rnd, 500, 800));
        assertThat(log.closedSegments().getFirst().minTimestamp()).isEqualTo(1_000);
        tmp.manager().close();

        PartitionLog reopened = tmp.reopen().open(TP, TempLogDir.smallConfig());
        assertThat(reopened.closedSegments().getFirst().minTimestamp()).isEqualTo(1_000);
        assertThat(reopened.closedSegments().getFirst().maxTimestamp()).isEqualTo(9_000);
        tmp.manager().close();

        // without its index files, the closed segment is recovered by decoding its batches: same bounds
        try (Stream<Path> files = Files.list(tmp.partitionDir(TP))) {
            for (Path p : files.filter(p -> p.toString().endsWith("00000000000000000000.timeindex")).toList()) {
                Files.delete(p);
            }
        }
        PartitionLog recovered = tmp.reopen().open(TP, TempLogDir.smallConfig());
        SegmentInfo first = recovered.closedSegments().getFirst();
        assertThat(first.minTimestamp()).isEqualTo(1_000);
        assertThat(first.maxTimestamp()).isEqualTo(9_000);
        assertThat(TestBatches.readAll(recovered, 0, 1 << 20)).hasSize(7);
    }

    @Test
    void aSliceHoldsTheSameBytesAsAReadAndPinsItsSegmentAgainstDeletion() throws IOException {
        PartitionLog log = tmp.open(TP, TempLogDir.smallConfig());
        for (int i = 0; i < 40; i++) {
            TestBatches.appendCommitted(log, TestBatches.randomBatch(rnd, 10, 1_000_000L + i * 100));
            if (i % 10 == 9) {
                log.roll();
            }
        }
        List<SegmentInfo> closed = log.closedSegments();
        assertThat(closed).hasSizeGreaterThan(2);
        long offset = closed.getFirst().baseOffset() + 1;
        ByteBuffer copy = log.read(offset, 700).batches();
        try (FileSlice slice = log.readSlice(offset, 700).orElseThrow()) {
            assertThat(slice.size()).isEqualTo(copy.remaining());
            assertThat(log.deleteOldestSegmentsWhile(s -> true)).isGreaterThan(0);
            ByteBuffer viaFile = ByteBuffer.allocate(slice.size());
            while (viaFile.hasRemaining()) {
                slice.channel().read(viaFile, slice.position() + viaFile.position());
            }
            assertThat(viaFile.flip()).isEqualTo(copy);
        }
        long hw = log.highWatermark();
        try (FileSlice atEnd = log.readSlice(hw, 700).orElseThrow()) {
            assertThat(atEnd.size()).isZero();
        }
    }
}
