package io.tierlog.query;

import io.tierlog.hot.testing.DelegatingLog;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tierlog.core.InvalidInputException;
import io.tierlog.core.Record;
import io.tierlog.core.RecordBatch;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.OffsetOutOfRangeException;
import io.tierlog.hot.PartitionLog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class QueryServiceBoundaryTest {
    @TempDir
    Path dir;
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    QueryService service;

    @AfterEach
    void close() {
        if (service != null) {
            service.close();
        }
    }

    /** Three segments of 4 batches x 5 records (60 records, timestamps = 1000 + offset) plus an active one. */
    Fixture threeSegments() {
        Fixture f = new Fixture("t", 1);
        for (int seg = 0; seg < 3; seg++) {
            for (int b = 0; b < 4; b++) {
                long base = f.records(0).size();
                f.append(0, 1000 + base, 1001 + base, 1002 + base, 1003 + base, 1004 + base);
            }
            f.roll(0);
        }
        long base = f.records(0).size();
        f.append(0, 1000 + base, 1001 + base);
        return f;
    }

    QueryService service(Fixture f) {
        service = new QueryService(f.lookup(), f.remote, dir.resolve("offsets"), registry);
        return service;
    }

    List<Record> readAll(QueryService s, TopicPartition tp, long from, int maxRecords, int maxBytes, int[] tiers) {
        List<Record> out = new ArrayList<>();
        long offset = from;
        while (true) {
            PartitionRead r = s.read(tp, offset, maxRecords, maxBytes);
            if (r.records().isEmpty()) {
                assertThat(r.nextOffset()).isEqualTo(r.highWatermark());
                return out;
            }
            assertThat(r.records().get(0).offset()).isEqualTo(offset);
            assertThat(r.records()).hasSizeLessThanOrEqualTo(maxRecords);
            assertThat(r.hotCount() + r.coldCount()).isEqualTo(r.records().size());
            tiers[0] += r.hotCount();
            tiers[1] += r.coldCount();
            out.addAll(r.records());
            offset = r.nextOffset();
        }
    }

    @Test
    void adjacentTiersAreReadWithoutGapOrDuplicate() {
        Fixture f = threeSegments();
        f.tier(0, 2, 2); // cold [0,40), hot [40,62)
        QueryService s = service(f);
        assertThat(f.log(0).logStartOffset()).isEqualTo(40);
        int[] tiers = new int[2];
        assertThat(readAll(s, f.tp(0), 0, 7, 1 << 20, tiers)).isEqualTo(f.records(0));
        assertThat(tiers).containsExactly(22, 40);
        PartitionRead whole = s.read(f.tp(0), 0, 1000, 1 << 20);
        assertThat(whole.records()).isEqualTo(f.records(0));
        assertThat(whole.coldCount()).isEqualTo(40);
        assertThat(whole.hotCount()).isEqualTo(22);
        assertThat(whole.nextOffset()).isEqualTo(62);
        assertThat(whole.highWatermark()).isEqualTo(62);
    }

    @Test
    void overlappingTiersPreferHot() {
        Fixture f = threeSegments();
        f.tier(0, 3, 1); // cold [0,60), hot [20,62): overlap [20,60)
        QueryService s = service(f);
        int[] tiers = new int[2];
        assertThat(readAll(s, f.tp(0), 3, 9, 1 << 20, tiers)).isEqualTo(f.records(0).subList(3, 62));
        assertThat(tiers).containsExactly(42, 17);
        int coldReads = f.remote.reads;
        s.read(f.tp(0), 20, 100, 1 << 20);
        assertThat(f.remote.reads).as("offsets held by both tiers come from hot").isEqualTo(coldReads);
    }

    @Test
    void aRemoteSegmentReachingIntoTheHotRangeIsCutAtTheLocalStart() {
        Fixture f = threeSegments();
        f.remote.uploadMerged(f.log(0), 0, 2); // one remote segment [0,60)
        f.log(0).deleteOldestSegmentsWhile(seg -> seg.baseOffset() == 0); // hot [20,62)
        QueryService s = service(f);
        PartitionRead r = s.read(f.tp(0), 2, 1000, 1 << 20);
        assertThat(r.records()).isEqualTo(f.records(0).subList(2, 62));
        assertThat(r.coldCount()).isEqualTo(18);
        assertThat(r.hotCount()).isEqualTo(42);
        List<Record> viaTime = s.readTimeRange(f.tp(0), 0, Long.MAX_VALUE, 1000).records();
        assertThat(viaTime).isEqualTo(f.records(0));
        List<ByteBuffer> batches = s.readBatches(f.tp(0), 0, 1 << 20);
        assertThat(batches).extracting(b -> RecordBatch.wrap(b).baseOffset())
                .containsExactly(0L, 5L, 10L, 15L, 20L, 25L, 30L, 35L, 40L, 45L, 50L, 55L, 60L);
    }

    @Test
    void aReadStartingInsideABatchSkipsEarlierRecords() {
        Fixture f = threeSegments();
        f.tier(0, 1, 1);
        QueryService s = service(f);
        PartitionRead cold = s.read(f.tp(0), 7, 3, 1 << 20);
        assertThat(cold.records()).extracting(Record::offset).containsExactly(7L, 8L, 9L);
        assertThat(cold.coldCount()).isEqualTo(3);
        PartitionRead hot = s.read(f.tp(0), 43, 2, 1 << 20);
        assertThat(hot.records()).extracting(Record::offset).containsExactly(43L, 44L);
        assertThat(hot.hotCount()).isEqualTo(2);
    }

    @Test
    void offsetsHeldByNeitherTierAreSkippedRatherThanBlockingTheConsumer() {
        Fixture f = threeSegments();
        f.tier(0, 1, 2); // cold [0,20); [20,40) was deleted locally without an upload; hot [40,62)
        QueryService s = service(f);
        PartitionRead r = s.read(f.tp(0), 15, 1000, 1 << 20);
        List<Record> expected = new ArrayList<>(f.records(0).subList(15, 20));
        expected.addAll(f.records(0).subList(40, 62));
        assertThat(r.records()).isEqualTo(expected);
        assertThat(s.read(f.tp(0), 25, 3, 1 << 20).records()).extracting(Record::offset).containsExactly(40L, 41L, 42L);
    }

    @Test
    void maxBytesBoundsThePageButAlwaysReturnsOneRecord() {
        Fixture f = threeSegments();
        QueryService s = service(f);
        int one = QueryService.sizeOf(f.records(0).get(0));
        PartitionRead tiny = s.read(f.tp(0), 0, 100, 1);
        assertThat(tiny.records()).hasSize(1);
        PartitionRead three = s.read(f.tp(0), 0, 100, 3 * one + one / 2);
        assertThat(three.records()).hasSize(3);
        assertThat(three.nextOffset()).isEqualTo(3);
        int[] tiers = new int[2];
        assertThat(readAll(s, f.tp(0), 0, 100, 2 * one, tiers)).isEqualTo(f.records(0));
    }

    @Test
    void readAtTheHighWatermarkIsEmptyAndOutOfRangeCarriesOverallBounds() {
        Fixture f = threeSegments();
        f.tier(0, 2, 2);
        f.remote.deleteOldest(f.tp(0)); // remote retention: cold [20,40)
        QueryService s = service(f);
        PartitionRead end = s.read(f.tp(0), 62, 10, 1000);
        assertThat(end.records()).isEmpty();
        assertThat(end.nextOffset()).isEqualTo(62);
        assertThatThrownBy(() -> s.read(f.tp(0), 19, 10, 1000))
                .isInstanceOfSatisfying(OffsetOutOfRangeException.class, e -> {
                    assertThat(e.logStartOffset()).isEqualTo(20);
                    assertThat(e.highWatermark()).isEqualTo(62);
                });
        assertThatThrownBy(() -> s.read(f.tp(0), 63, 10, 1000))
                .isInstanceOfSatisfying(OffsetOutOfRangeException.class, e -> {
                    assertThat(e.logStartOffset()).isEqualTo(20);
                    assertThat(e.highWatermark()).isEqualTo(62);
                });
        assertThatThrownBy(() -> s.readBatches(f.tp(0), 0, 1000)).isInstanceOf(OffsetOutOfRangeException.class);
        assertThatThrownBy(() -> s.readOrWait(f.tp(0), 70, 10, 1000, 100)).isInstanceOf(OffsetOutOfRangeException.class);
    }

    @Test
    void unknownPartitionsAndBadArgumentsAreRejectedClearly() {
        Fixture f = threeSegments();
        QueryService s = service(f);
        assertThatThrownBy(() -> s.read(new TopicPartition("t", 5), 0, 10, 100))
                .isInstanceOf(UnknownPartitionException.class).hasMessageContaining("partition 5 of topic 't'");
        assertThatThrownBy(() -> s.state(new TopicPartition("other", 0))).isInstanceOf(UnknownPartitionException.class);
        assertThatThrownBy(() -> s.queryTimeRange("t", 3, 0, 10, null)).isInstanceOf(UnknownPartitionException.class);
        assertThatThrownBy(() -> s.read(f.tp(0), -1, 10, 100)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("offset");
        assertThatThrownBy(() -> s.read(f.tp(0), 0, 0, 100)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("maxRecords");
        assertThatThrownBy(() -> s.read(f.tp(0), 0, 10, 0)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("maxBytes");
        assertThatThrownBy(() -> s.readTimeRange(f.tp(0), 10, 5, 10)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("from");
        assertThatThrownBy(() -> s.offsetForTimestamp(f.tp(0), -3)).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> s.awaitData(f.tp(0), 0, -1)).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> s.readOrWait(f.tp(0), 0, 10, 100, -1)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("maxWaitMs");
    }

    @Test
    void timeRangeContinuationOffsetsAreClampedToTheLog() {
        Fixture f = threeSegments();
        f.tier(0, 2, 2);
        f.remote.deleteOldest(f.tp(0)); // log [20, 62)
        QueryService s = service(f);
        PartitionRead below = s.readTimeRange(f.tp(0), 0, 5000, 3, 100);
        assertThat(below.records()).isEqualTo(f.records(0).subList(20, 62));
        assertThat(below.coldCount()).isEqualTo(20);
        PartitionRead above = s.readTimeRange(f.tp(0), 0, 5000, 500, 100);
        assertThat(above.records()).isEmpty();
        assertThat(above.nextOffset()).isEqualTo(62);
        PartitionRead page = s.readTimeRange(f.tp(0), 1030, 1040, 4);
        assertThat(page.records()).extracting(Record::offset).containsExactly(30L, 31L, 32L, 33L);
        assertThat(page.nextOffset()).isEqualTo(34);
        assertThat(s.readTimeRange(f.tp(0), 1030, 1040, page.nextOffset(), 100).records())
                .extracting(Record::offset).containsExactly(34L, 35L, 36L, 37L, 38L, 39L);
    }

    @Test
    void stateDescribesBothTiers() {
        Fixture f = threeSegments();
        QueryService s = service(f);
        assertThat(s.state(f.tp(0))).isEqualTo(new PartitionState(0, 0, 62, 0, 4, 0));
        f.tier(0, 2, 1);
        assertThat(s.state(f.tp(0))).isEqualTo(new PartitionState(0, 20, 62, 40, 3, 2));
        f.remote.deleteOldest(f.tp(0));
        assertThat(s.state(f.tp(0))).isEqualTo(new PartitionState(20, 20, 62, 40, 3, 1));
    }

    @Test
    void readBatchesReturnsWholeStoredBatchesAcrossTiers() {
        Fixture f = threeSegments();
        f.tier(0, 2, 1); // cold [0,40), hot [20,62)
        QueryService s = service(f);
        List<Record> seen = new ArrayList<>();
        long offset = 12;
        while (offset < 62) {
            List<ByteBuffer> batches = s.readBatches(f.tp(0), offset, 64);
            assertThat(batches).hasSize(1); // 64 bytes: one batch per call, still at least one
            for (ByteBuffer b : batches) {
                RecordBatch batch = RecordBatch.parseAll(b).get(0);
                assertThat(batch.baseOffset()).isLessThanOrEqualTo(offset);
                for (Record r : batch.records()) {
                    if (r.offset() >= offset) {
                        seen.add(r);
                    }
                }
                offset = batch.nextOffset();
            }
        }
        assertThat(seen).isEqualTo(f.records(0).subList(12, 62));
        List<ByteBuffer> big = s.readBatches(f.tp(0), 0, 1 << 20);
        assertThat(big.stream().mapToInt(b -> RecordBatch.wrap(b).recordCount()).sum()).isEqualTo(62);
        assertThat(s.readBatches(f.tp(0), 62, 1000)).isEmpty();
    }

    @Test
    void aSegmentDeletedLocallyDuringAReadIsServedByTheColdTier() {
        Fixture f = threeSegments();
        f.tier(0, 2, 0); // both tiers hold [0,40)
        MemoryLog real = f.log(0);
        // The first hot read races with local retention: the segment disappears just before it is read.
        PartitionLog racing = new DelegatingLog(real) {
            boolean deleted;

            @Override
            public io.tierlog.hot.FetchData read(long offset, int maxBytes) {
                if (!deleted) {
                    deleted = true;
                    real.deleteOldestSegmentsWhile(seg -> seg.nextOffset() <= 40);
                }
                return real.read(offset, maxBytes);
            }
        };
        service = new QueryService(tp -> Optional.of(racing), f.remote, dir, registry);
        PartitionRead r = service.read(f.tp(0), 5, 100, 1 << 20);
        assertThat(r.records()).isEqualTo(f.records(0).subList(5, 62));
        assertThat(r.coldCount()).isEqualTo(35);
        assertThat(r.hotCount()).isEqualTo(22);
    }

    @Test
    void withoutAColdTierEverythingComesFromHot() {
        Fixture f = threeSegments();
        service = new QueryService(f.lookup(), null, dir, registry);
        assertThat(service.read(f.tp(0), 0, 1000, 1 << 20).records()).isEqualTo(f.records(0));
        assertThat(service.state(f.tp(0)).remoteEndOffset()).isZero();
        assertThat(service.offsetForTimestamp(f.tp(0), 1030)).isEqualTo(30);
    }

    @Test
    void slicesOfAMergedQueryReadOnlyTheBatchesTheyOverlap() {
        Fixture f = new Fixture("slices", 1);
        for (int b = 0; b < 100; b++) { // one active segment (no time bounds) of 100 batches in time order
            long t = b * 10L;
            f.append(0, t, t + 1, t + 2, t + 3, t + 4, t + 5, t + 6, t + 7, t + 8, t + 9);
        }
        service = new QueryService(f.lookup(), f.remote, dir, registry, 25, 1 << 18);
        List<TopicRecord> got = new ArrayList<>();
        service.queryTimeRange("slices", 1, 0, 1000, null).forEachRemaining(got::add);
        assertThat(got).extracting(TopicRecord::record).isEqualTo(f.records(0));
        long timeSlices = registry.get("tierlog.query.read.latency").tag("kind", "query").timer().count();
        assertThat(timeSlices).as("the window needs many slices of <= 25 records").isGreaterThan(40);
        // Without the index every slice would skip ~99 batches of the active segment.
        assertThat(registry.get("tierlog.query.batches.skipped").counter().count()).isLessThan(3.0 * timeSlices);
        // Records of slices discarded for holding too many are not counted as served.
        assertThat(registry.get("tierlog.query.records.served").tag("tier", "hot").counter().count()).isEqualTo(1000);
    }

    @Test
    void metricsCountRecordsPerTierAndTimeReads() {
        Fixture f = threeSegments();
        f.tier(0, 1, 1);
        QueryService s = service(f);
        s.read(f.tp(0), 0, 1000, 1 << 20);
        assertThat(registry.get("tierlog.query.records.served").tag("tier", "cold").counter().count()).isEqualTo(20);
        assertThat(registry.get("tierlog.query.records.served").tag("tier", "hot").counter().count()).isEqualTo(42);
        assertThat(registry.get("tierlog.query.read.latency").tag("kind", "offset").timer().count()).isEqualTo(1);
        s.readTimeRange(f.tp(0), 1050, 1051, 10); // batches wholly before the window are skipped by their max timestamp
        assertThat(registry.get("tierlog.query.read.latency").tag("kind", "time").timer().count()).isEqualTo(1);
        assertThat(registry.get("tierlog.query.batches.skipped").counter().count()).isPositive();
    }
}
