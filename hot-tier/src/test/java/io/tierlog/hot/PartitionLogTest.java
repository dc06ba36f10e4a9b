package io.tierlog.hot;

import io.tierlog.core.Record;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.testing.TempLogDir;
import io.tierlog.hot.testing.TestBatches;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PartitionLogTest {
    private static final TopicPartition TP = new TopicPartition("t", 0);
    private final TempLogDir tmp = new TempLogDir();
    private final Random rnd = new Random(42);

    @AfterEach
    void cleanup() {
        tmp.close();
    }

    @Test
    void appendAssignsDenseOffsetsAndReadsBack() {
        PartitionLog log = tmp.open(TP, TempLogDir.smallConfig());
        List<Record> expected = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            ByteBuffer b = TestBatches.randomBatch(rnd, 10, 1_000_000 + i * 100L);
            AppendInfo info = TestBatches.appendCommitted(log, b);
            assertThat(info.baseOffset()).isEqualTo(expected.size());
            expected.addAll(TestBatches.records(b));
        }
        assertThat(log.closedSegments()).isNotEmpty();
        assertThat(log.logEndOffset()).isEqualTo(expected.size());
        assertThat(TestBatches.readAll(log, 0, 1000)).isEqualTo(expected);
        log = tmp.reopen().open(TP, TempLogDir.smallConfig());
        assertThat(log.highWatermark()).isEqualTo(expected.size());
        assertThat(TestBatches.readAll(log, 0, 700)).isEqualTo(expected);
    }

    @Test
    void readOutOfRange() {
        PartitionLog log = tmp.open(TP, TempLogDir.smallConfig());
        TestBatches.appendCommitted(log, TestBatches.randomBatch(rnd, 5, 1000));
        long hw = log.highWatermark();
        assertThat(log.read(hw, 100).isEmpty()).isTrue();
        assertThatThrownBy(() -> log.read(hw + 1, 100)).isInstanceOf(OffsetOutOfRangeException.class);
        assertThatThrownBy(() -> log.read(-1, 100)).isInstanceOf(OffsetOutOfRangeException.class);
    }
}
