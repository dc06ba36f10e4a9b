package io.tierlog.query;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tierlog.core.BatchBuilder;
import io.tierlog.core.Compression;
import io.tierlog.core.Record;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.AppendInfo;
import io.tierlog.hot.LogConfig;
import io.tierlog.hot.LogManager;
import io.tierlog.hot.PartitionLog;
import io.tierlog.hot.SegmentInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The query service over the real hot tier ({@link LogManager}, segment files and indexes) and a cold tier
 * holding byte copies of its closed segment files, with late (out-of-order) timestamps.
 */
class RealHotTierTest {
    @TempDir
    Path dir;
    LogManager logs;
    final MemoryRemoteLog remote = new MemoryRemoteLog();
    final List<List<Record>> all = List.of(new ArrayList<>(), new ArrayList<>());
    QueryService service;
    final Random random = new Random(7);

    @BeforeEach
    void setUp() {
        logs = new LogManager(dir.resolve("data"));
        for (int p = 0; p < 2; p++) {
            PartitionLog log = logs.open(new TopicPartition("real", p), LogConfig.DEFAULTS.withSegmentBytes(2048));
            for (int i = 0; i < 150; i++) {
                append(p, log, 1 + random.nextInt(8));
            }
            List<SegmentInfo> closed = log.closedSegments();
            assertThat(closed.size()).isGreaterThan(6);
            int upload = closed.size() * 2 / 3;
            for (int i = 0; i < upload; i++) {
                remote.uploadFile(closed.get(i));
            }
            int[] delete = {closed.size() / 3};
            log.deleteOldestSegmentsWhile(s -> delete[0]-- > 0);
        }
        service = new QueryService(logs::get, remote, dir.resolve("offsets"), new SimpleMeterRegistry());
    }

    @AfterEach
    void tearDown() {
        if (service != null) {
            service.close();
        }
        logs.close();
    }

    private AppendInfo append(int p, PartitionLog log, int records) {
        BatchBuilder b = new BatchBuilder(random.nextBoolean() ? Compression.ZSTD : Compression.NONE);
        long now = 10_000 + all.get(p).size() * 10L;
        long[] ts = new long[records];
        for (int i = 0; i < records; i++) {
            ts[i] = Math.max(0, now + random.nextInt(400) - 300); // late records: up to 300 ms back
            b.add(ts[i], ("k" + i).getBytes(StandardCharsets.UTF_8), ("v" + all.get(p).size() + i).getBytes(StandardCharsets.UTF_8));
        }
        List<Record> decoded = b.build().records();
        AppendInfo info = log.append(b.build().buffer());
        log.advanceHighWatermark(info.nextOffset());
        for (Record r : decoded) {
            all.get(p).add(new Record(info.baseOffset() + r.offset(), r.timestamp(), r.key(), r.value(), r.headers()));
        }
        return info;
    }

    private TopicPartition tp(int p) {
        return new TopicPartition("real", p);
    }

    @Test
    void offsetPagingCrossesFromColdIntoHotExactly() {
        PartitionState state = service.state(tp(0));
        assertThat(state.logStartOffset()).isZero();
        assertThat(state.localLogStartOffset()).isPositive().isLessThan(state.remoteEndOffset());
        List<Record> got = new ArrayList<>();
        int cold = 0;
        long offset = 0;
        while (offset < state.highWatermark()) {
            PartitionRead r = service.read(tp(0), offset, 37, 1 << 20);
            got.addAll(r.records());
            cold += r.coldCount();
            offset = r.nextOffset();
        }
        assertThat(got).isEqualTo(all.get(0));
        assertThat(cold).isEqualTo((int) state.localLogStartOffset());
    }

    @Test
    void timeRangesAndOffsetForTimestampMatchALinearScan() {
        for (long from = 9_500; from < 10_000 + all.get(0).size() * 10L; from += 777) {
            long to = from + 1_234;
            long f = from;
            List<Record> expected = all.get(0).stream().filter(r -> r.timestamp() >= f && r.timestamp() < to).toList();
            assertThat(service.readTimeRange(tp(0), from, to, 100_000).records()).isEqualTo(expected);
            long firstAtOrAfter = all.get(0).stream().filter(r -> r.timestamp() >= f).mapToLong(Record::offset)
                    .findFirst().orElse(all.get(0).size());
            assertThat(service.offsetForTimestamp(tp(0), from)).as("offset for %d", from).isEqualTo(firstAtOrAfter);
        }
    }

    /**
     * Records deleted on request (Kafka's DeleteRecords), at points in the cold-only part, where both tiers hold the
     * data, in the hot-only part and at the end: every read answers as if the log began there, although the
     * segments below are still held.
     */
    @Test
    void recordsDeletedOnRequestAreGoneFromEveryReadInBothTiers() {
        PartitionLog log = logs.get(tp(0)).orElseThrow();
        PartitionState before = service.state(tp(0));
        long hw = before.highWatermark();
        long[] points = {3, before.localLogStartOffset() - 2, (before.localLogStartOffset() + before.remoteEndOffset()) / 2,
                before.remoteEndOffset() + 5, hw - 1, hw};
        for (long deleted : points) {
            assertThat(log.deleteRecordsBefore(deleted)).isEqualTo(deleted);
            List<Record> left = all.get(0).subList((int) deleted, all.get(0).size());
            PartitionState state = service.state(tp(0));
            assertThat(state.logStartOffset()).as("log start after deleting below %d", deleted).isEqualTo(deleted);
            assertThat(state.localLogStartOffset()).isGreaterThanOrEqualTo(deleted);
            assertThat(service.logStartOffset(tp(0))).isEqualTo(deleted);
            assertThatThrownBy(() -> service.read(tp(0), deleted - 1, 10, 1 << 20))
                    .isInstanceOf(io.tierlog.hot.OffsetOutOfRangeException.class);
            List<Record> got = new ArrayList<>();
            for (long offset = deleted; offset < hw; ) {
                PartitionRead r = service.read(tp(0), offset, 37, 1 << 20);
                got.addAll(r.records());
                offset = r.nextOffset();
            }
            assertThat(got).as("offset reads from %d", deleted).isEqualTo(left);
            assertThat(service.readTimeRange(tp(0), 0, Long.MAX_VALUE / 2, 100_000).records())
                    .as("a time range over everything, deleted below %d", deleted).isEqualTo(left);
            for (long t = 9_500; t < 10_000 + all.get(0).size() * 10L; t += 333) {
                long at = t;
                long expected = left.stream().filter(r -> r.timestamp() >= at).mapToLong(Record::offset).findFirst().orElse(hw);
                assertThat(service.offsetForTimestamp(tp(0), t)).as("offset for %d, deleted below %d", t, deleted)
                        .isEqualTo(expected);
            }
            java.util.Optional<Record> max = left.stream().reduce((a, b) -> b.timestamp() > a.timestamp() ? b : a);
            assertThat(service.maxTimestampRecord(tp(0))).as("max timestamp, deleted below %d", deleted).isEqualTo(max);
        }
    }

    @Test
    void mergedQueryOverTwoRealPartitions() {
        List<TopicRecord> expected = new ArrayList<>();
        for (int p = 0; p < 2; p++) {
            for (Record r : all.get(p)) {
                if (r.timestamp() >= 10_200 && r.timestamp() < 13_000) {
                    expected.add(new TopicRecord(p, r));
                }
            }
        }
        expected.sort(Comparator.comparingLong((TopicRecord r) -> r.record().timestamp())
                .thenComparingInt(TopicRecord::partition).thenComparingLong(r -> r.record().offset()));
        List<TopicRecord> got = new ArrayList<>();
        service.queryTimeRange("real", 2, 10_200, 13_000, null).forEachRemaining(got::add);
        assertThat(got).isEqualTo(expected);
    }

    @Test
    void longPollOnTheRealLogIsWokenByOnAppend() throws Exception {
        PartitionLog log = logs.get(tp(1)).orElseThrow();
        long hw = log.highWatermark();
        CompletableFuture<PartitionRead> wait = service.readOrWait(tp(1), hw, 100, 1 << 20, 30_000);
        assertThat(wait).isNotDone();
        AppendInfo info = append(1, log, 3);
        service.onAppend(tp(1), info.nextOffset());
        PartitionRead r = wait.get(5, TimeUnit.SECONDS); // woken, not timed out (30 s); latency: LongPollTest
        assertThat(r.records()).isEqualTo(all.get(1).subList((int) hw, (int) hw + 3));
    }
}
