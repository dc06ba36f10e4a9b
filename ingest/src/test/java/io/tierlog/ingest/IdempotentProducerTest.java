package io.tierlog.ingest;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tierlog.core.BatchBuilder;
import io.tierlog.core.Compression;
import io.tierlog.core.Record;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.LogConfig;
import io.tierlog.hot.LogManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The single writer's idempotent-producer checks: duplicates get their original offsets, gaps and zombies are refused. */
class IdempotentProducerTest {
    private static final TopicPartition TP = new TopicPartition("events", 0);
    private static final long PID = 4711;

    @TempDir
    Path dir;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private LogManager manager;
    private IngestPipeline pipeline;

    private IngestPipeline open() {
        manager = new LogManager(dir);
        pipeline = new IngestPipeline(IngestConfig.defaults().withShards(1).withRingSize(64)
                .withPublishTimeout(Duration.ofSeconds(5)), TestData.Logs.onDisk(manager, LogConfig.DEFAULTS), registry);
        return pipeline;
    }

    private void closeAll() {
        pipeline.close();
        manager.close();
    }

    @AfterEach
    void tearDown() {
        if (pipeline != null) {
            closeAll();
        }
    }

    /** A batch of {@code count} records of producer {@link #PID}, values naming their sequence numbers. */
    static ByteBuffer batch(short epoch, int firstSeq, int count) {
        BatchBuilder b = new BatchBuilder(Compression.LZ4).producer(PID, epoch, firstSeq);
        for (int i = 0; i < count; i++) {
            b.add(TestData.BASE_TS + firstSeq + i, "k".getBytes(StandardCharsets.UTF_8),
                    ("seq-" + (firstSeq + i)).getBytes(StandardCharsets.UTF_8));
        }
        return b.build().buffer();
    }

    private AppendAck append(ByteBuffer b, Acks acks) throws Exception {
        return pipeline.append(TP, b, acks).get(5, TimeUnit.SECONDS);
    }

    private List<String> stored() {
        List<String> out = new ArrayList<>();
        for (Record r : TestData.readAll(manager.get(TP).orElseThrow())) {
            out.add(new String(r.value(), StandardCharsets.UTF_8));
        }
        return out;
    }

    @Test
    void aRetryOfAnyOfTheLastFiveBatchesGetsItsOriginalOffsetsAndIsNotStoredAgain() throws Exception {
        open();
        List<AppendAck> acks = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            acks.add(append(batch((short) 0, i * 3, 3), Acks.LEADER));
        }
        for (int i = 1; i < 6; i++) {
            assertThat(append(batch((short) 0, i * 3, 3), i % 2 == 0 ? Acks.LEADER : Acks.DURABLE))
                    .as("retry of batch %d", i).isEqualTo(acks.get(i));
        }
        assertThat(stored()).hasSize(18).doesNotHaveDuplicates();
        assertThat(registry.get("tierlog.ingest.producer.duplicates").counter().count()).isEqualTo(5);
    }

    @Test
    void aDuplicatePublishedRightBehindItsOriginalGetsTheSameOffsets() throws Exception {
        open();
        append(batch((short) 0, 0, 2), Acks.LEADER);
        CompletableFuture<AppendAck> original = pipeline.append(TP, batch((short) 0, 2, 4), Acks.LEADER);
        CompletableFuture<AppendAck> retry = pipeline.append(TP, batch((short) 0, 2, 4), Acks.DURABLE);
        assertThat(retry.get(5, TimeUnit.SECONDS)).isEqualTo(original.get(5, TimeUnit.SECONDS))
                .isEqualTo(new AppendAck(TP, 2, 4));
        assertThat(stored()).hasSize(6);
    }

    @Test
    void aSequenceGapIsRefusedAndNothingIsStored() throws Exception {
        open();
        append(batch((short) 0, 0, 5), Acks.LEADER);
        assertThatThrownBy(() -> append(batch((short) 0, 6, 2), Acks.LEADER))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(ProducerSequenceException.class)
                .hasMessageContaining("sequence 6").hasMessageContaining("where 5 was expected")
                .extracting(e -> ((ProducerSequenceException) e).kind())
                .isEqualTo(ProducerSequenceException.Kind.OUT_OF_ORDER_SEQUENCE);
        assertThat(append(batch((short) 0, 5, 2), Acks.LEADER)).isEqualTo(new AppendAck(TP, 5, 2));
        assertThat(stored()).containsExactly("seq-0", "seq-1", "seq-2", "seq-3", "seq-4", "seq-5", "seq-6");
    }

    @Test
    void anOlderEpochIsFencedAndANewEpochStartsAtSequenceZero() throws Exception {
        open();
        append(batch((short) 1, 0, 2), Acks.LEADER);
        assertThatThrownBy(() -> append(batch((short) 0, 2, 1), Acks.LEADER))
                .cause().isInstanceOf(ProducerSequenceException.class)
                .extracting(e -> ((ProducerSequenceException) e).kind())
                .isEqualTo(ProducerSequenceException.Kind.INVALID_PRODUCER_EPOCH);
        assertThatThrownBy(() -> append(batch((short) 2, 7, 1), Acks.LEADER))
                .cause().isInstanceOf(ProducerSequenceException.class).hasMessageContaining("instead of 0");
        assertThat(append(batch((short) 2, 0, 1), Acks.LEADER)).isEqualTo(new AppendAck(TP, 2, 1));
        assertThat(stored()).hasSize(3);
    }

    @Test
    void theStateIsRebuiltFromTheLogAfterARestart() throws Exception {
        open();
        append(batch((short) 3, 0, 4), Acks.DURABLE);
        AppendAck last = append(batch((short) 3, 4, 4), Acks.DURABLE);
        closeAll();

        open();
        assertThat(append(batch((short) 3, 4, 4), Acks.LEADER)).as("a retry after the restart").isEqualTo(last);
        assertThatThrownBy(() -> append(batch((short) 3, 9, 1), Acks.LEADER))
                .cause().isInstanceOf(ProducerSequenceException.class);
        assertThat(append(batch((short) 3, 8, 1), Acks.LEADER)).isEqualTo(new AppendAck(TP, 8, 1));
        assertThat(stored()).hasSize(9).doesNotHaveDuplicates();
    }

    @Test
    void batchesWithoutAProducerIdAreNeverDeduplicated() throws Exception {
        open();
        ByteBuffer plain = TestData.batch(0, 0, 3);
        append(plain.duplicate(), Acks.LEADER);
        append(TestData.batch(0, 0, 3), Acks.LEADER);
        assertThat(TestData.readAll(manager.get(TP).orElseThrow())).hasSize(6);
    }
}
