package io.tierlog.hot;

import io.tierlog.core.BatchBuilder;
import io.tierlog.core.Compression;
import io.tierlog.core.Record;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.testing.TempLogDir;
import io.tierlog.hot.testing.TestBatches;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CompactionTest {
    private static final TopicPartition TP = new TopicPartition("compacted", 0);
    private static final String[] SUFFIXES = {".log", ".index", ".timeindex"};
    private final TempLogDir tmp = new TempLogDir();

    @AfterEach
    void cleanup() {
        tmp.close();
    }

    private static Map<String, byte[]> snapshot(Path dir) throws IOException {
        Map<String, byte[]> out = new HashMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                out.put(p.getFileName().toString(), Files.readAllBytes(p));
            }
        }
        return out;
    }

    private static List<String> namesEndingWith(Path dir, String suffix) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(suffix)).toList();
        }
    }

    /**
     * A crash at any point of a compaction leaves, per segment, the old files (maybe with {@code .cleaned}
     * copies), the new ones, or a new log with the old indexes (between the renames). Every such mix opens to
     * the old or the compacted records of each segment, removes the leftovers and rebuilds mismatched indexes,
     * and a new compaction run then reaches the fully compacted state.
     */
    @Test
    void anyCrashPointOfTheSwapOpensToOldOrNewSegments() throws IOException {
        for (int round = 0; round < 6; round++) {
            Random rnd = new Random(100 + round);
            LogConfig config = TempLogDir.smallConfig().withSegmentBytes(1024).withIndexIntervalBytes(64);
            try (TempLogDir src = new TempLogDir()) {
                PartitionLog log = src.open(TP, config);
                CompactionModel model = new CompactionModel(rnd, 4);
                for (int i = 0; i < 80; i++) {
                    model.appendBatch(log, 5, 1_000_000L + i * 100L);
                }
                List<SegmentInfo> closed = log.closedSegments();
                long end = log.logEndOffset();
                long activeBase = closed.getLast().nextOffset();
                Path dir = src.partitionDir(TP);
                Map<String, byte[]> before = snapshot(dir);
                long now = 2_000_000L;
                CompactionResult result = log.compact(now, 0);
                assertThat(result.segmentsRewritten() + result.segmentsDeleted()).isPositive();
                src.manager().close();
                Map<String, byte[]> after = snapshot(dir);
                List<Record> compacted = model.expectedAfterCompaction(activeBase, end, now);

                // one crash state: each closed segment independently old, old + .cleaned, torn rename, or new
                Path target = tmp.partitionDir(TP);
                Files.createDirectories(target);
                List<Record> expected = new ArrayList<>();
                for (SegmentInfo s : closed) {
                    String name = Segment.fileName(s.baseOffset());
                    boolean rewritten = !after.containsKey(name + ".log") || !java.util.Arrays.equals(after.get(name + ".log"), before.get(name + ".log"));
                    int state = rewritten ? rnd.nextInt(4) : 0;
                    for (String suffix : SUFFIXES) {
                        String f = name + suffix;
                        byte[] content = switch (state) {
                            case 0, 1 -> before.get(f);
                            case 2 -> suffix.equals(".log") ? after.get(f) : before.get(f);
                            default -> after.get(f);
                        };
                        if (content != null) {
                            Files.write(target.resolve(f), content);
                        }
                        if (state == 1 && after.containsKey(f)) {
                            Files.write(target.resolve(f + ".cleaned"), after.get(f));
                        }
                        if (state == 3 && !after.containsKey(f)) {
                            Files.write(target.resolve(f + ".deleted"), before.get(f)); // a deletion not yet unlinked
                        }
                    }
                    boolean useNew = state >= 2;
                    (useNew ? compacted : model.appended).stream()
                            .filter(r -> r.offset() >= s.baseOffset() && r.offset() < s.nextOffset())
                            .forEach(expected::add);
                }
                for (String suffix : SUFFIXES) {
                    String f = Segment.fileName(activeBase) + suffix;
                    Files.write(target.resolve(f), after.get(f));
                }
                model.appended.stream().filter(r -> r.offset() >= activeBase).forEach(expected::add);

                PartitionLog reopened = tmp.reopen().open(TP, config);
                assertThat(namesEndingWith(target, ".cleaned")).isEmpty();
                assertThat(namesEndingWith(target, ".deleted")).isEmpty();
                assertThat(reopened.logEndOffset()).isEqualTo(end);
                assertThat(CompactionModel.readAll(reopened, reopened.logStartOffset(), 700)).isEqualTo(expected);
                assertThat(reopened.logStartOffset()).isLessThanOrEqualTo(expected.getFirst().offset());

                reopened.compact(now, 0);
                PartitionLog again = tmp.reopen().open(TP, config);
                assertThat(CompactionModel.readAll(again, again.logStartOffset(), 500)).isEqualTo(compacted);
                tmp.manager().deleteTopic(TP.topic());
            }
        }
    }

    @Test
    void readersAndTheWriterRunThroughRepeatedCompactions() throws Exception {
        PartitionLog log = tmp.open(TP, TempLogDir.smallConfig().withSegmentBytes(2048).withIndexIntervalBytes(200));
        Map<Long, Record> written = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        AtomicLong recordsRead = new AtomicLong();
        AtomicLong writes = new AtomicLong();
        CountDownLatch done = new CountDownLatch(3);
        CountDownLatch writerDone = new CountDownLatch(1);
        Thread writer = new Thread(() -> {
            Random rnd = new Random(1);
            try {
                while (!stop.get() && writes.get() < 3000) {
                    BatchBuilder b = new BatchBuilder(rnd.nextBoolean() ? Compression.NONE : Compression.LZ4);
                    int n = 1 + rnd.nextInt(8);
                    for (int i = 0; i < n; i++) {
                        byte[] value = rnd.nextInt(8) == 0 ? null : ("v" + rnd.nextInt()).getBytes();
                        b.add(1_000_000L + writes.get(), ("key-" + rnd.nextInt(30)).getBytes(), value);
                    }
                    ByteBuffer buf = b.build().buffer();
                    List<Record> recs = TestBatches.records(buf);
                    AppendInfo info = log.append(buf);
                    for (Record r : recs) {
                        written.put(r.offset() + info.baseOffset(), new Record(r.offset() + info.baseOffset(), r.timestamp(), r.key(), r.value()));
                    }
                    log.advanceHighWatermark(info.nextOffset());
                    writes.incrementAndGet();
                }
            } catch (Throwable t) {
                failures.add(t);
            } finally {
                writerDone.countDown();
                done.countDown();
            }
        });
        Runnable reading = () -> {
            try {
                long next = log.logStartOffset();
                while (!stop.get()) {
                    try {
                        if (next >= log.highWatermark()) {
                            next = log.logStartOffset(); // start another pass over the whole log
                            continue;
                        }
                        FetchData f = log.read(next, 600);
                        long last = next - 1;
                        for (Record r : TestBatches.records(f.batches())) {
                            if (r.offset() < next || r.offset() >= f.highWatermark()) {
                                continue;
                            }
                            assertThat(r.offset()).isGreaterThan(last);
                            assertThat(r).isEqualTo(written.get(r.offset()));
                            last = r.offset();
                            recordsRead.incrementAndGet();
                        }
                        next = f.isEmpty() ? log.logStartOffset() : last + 1;
                    } catch (OffsetOutOfRangeException e) {
                        assertThat(next).isLessThan(e.logStartOffset());
                        next = e.logStartOffset();
                    }
                }
            } catch (Throwable t) {
                failures.add(t);
            } finally {
                done.countDown();
            }
        };
        writer.start();
        new Thread(reading).start();
        new Thread(reading).start();
        int rewritten = 0;
        int runs = 0;
        // compaction runs while the writer appends (3000 batches) and at least 10 times, each after the readers
        // made progress, so that reads overlap swaps of segments they hold
        while (failures.isEmpty() && (writerDone.getCount() > 0 || runs < 10)) {
            long readBefore = recordsRead.get();
            Awaitility.await().atMost(10, TimeUnit.SECONDS).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
                    .until(() -> recordsRead.get() > readBefore + 50 || !failures.isEmpty());
            CompactionResult r = log.compact(System.currentTimeMillis(), 0);
            rewritten += r.segmentsRewritten() + r.segmentsDeleted();
            runs++;
        }
        stop.set(true);
        assertThat(done.await(20, TimeUnit.SECONDS)).isTrue();
        assertThat(failures).isEmpty();
        assertThat(rewritten).isPositive();

        // quiet now: one more run leaves exactly the latest record per key in the closed segments
        CompactionResult last = log.compact(System.currentTimeMillis(), 0);
        assertThat(last.keyMapFull()).isFalse();
        CompactionModel model = new CompactionModel(new Random(), 1);
        written.values().stream().sorted(java.util.Comparator.comparingLong(Record::offset)).forEach(model.appended::add);
        List<SegmentInfo> closed = log.closedSegments();
        long activeBase = closed.isEmpty() ? 0 : closedActiveBase(log);
        assertThat(CompactionModel.readAll(log, log.logStartOffset(), 1000))
                .isEqualTo(model.expectedAfterCompaction(activeBase, log.logEndOffset(), Long.MAX_VALUE));
    }

    /** Base offset of the active segment: the newest .log file. */
    private long closedActiveBase(PartitionLog log) throws IOException {
        List<String> logs = new ArrayList<>(namesEndingWith(tmp.partitionDir(TP), ".log"));
        logs.sort(null);
        return Long.parseLong(logs.getLast().substring(0, 20));
    }

    @Test
    void aFullKeyMapCompactsOnlyTheSegmentsItCovers() throws IOException {
        PartitionLog log = tmp.open(TP, TempLogDir.smallConfig());
        List<Record> all = new ArrayList<>();
        // keys 0..499, then 0..499 again (superseding the first round), then 500..2999 once
        int[] keys = java.util.stream.IntStream.concat(java.util.stream.IntStream.range(0, 1000).map(i -> i % 500),
                java.util.stream.IntStream.range(500, 3000)).toArray();
        for (int i = 0; i < keys.length; i += 10) {
            BatchBuilder b = new BatchBuilder(Compression.NONE);
            for (int j = i; j < i + 10; j++) {
                b.add(1_000_000L + j, ("key-" + keys[j]).getBytes(), ("value-" + j).getBytes());
            }
            ByteBuffer buf = b.build().buffer();
            List<Record> recs = TestBatches.records(buf);
            AppendInfo info = TestBatches.appendCommitted(log, buf);
            recs.forEach(r -> all.add(new Record(r.offset() + info.baseOffset(), r.timestamp(), r.key(), r.value())));
        }
        Path dir = tmp.partitionDir(TP);
        Map<String, byte[]> before = snapshot(dir);

        // 16 KiB = 1024 slots = 768 keys: 500 keys of the first two rounds plus 268 new ones fit
        CompactionResult r = log.compact(2_000_000L, 0, 16 * 1024);
        assertThat(r.keyMapFull()).isTrue();
        assertThat(r.keys()).isEqualTo(768);
        assertThat(r.cleanedUpToOffset()).isEqualTo(1000 + 268);
        assertThat(r.recordsRemoved()).isEqualTo(500);
        assertThat(CompactionModel.readAll(log, log.logStartOffset(), 4000)).isEqualTo(all.subList(500, all.size()));
        // segments from the one holding the cut onwards were not examined, let alone rewritten
        for (SegmentInfo s : log.closedSegments()) {
            String f = Segment.fileName(s.baseOffset()) + ".log";
            if (s.baseOffset() >= r.cleanedUpToOffset()) {
                assertThat(Files.readAllBytes(dir.resolve(f))).isEqualTo(before.get(f));
            }
        }

        CompactionResult full = log.compact(2_000_000L, 0);
        assertThat(full.keyMapFull()).isFalse();
        assertThat(full.cleanedUpToOffset()).isEqualTo(log.logEndOffset());
        assertThat(full.recordsRemoved()).isZero();
    }

    @Test
    void keylessRecordsGoAndTheFirstSegmentsStartMovesWhenItEmpties() {
        PartitionLog log = tmp.open(TP, TempLogDir.smallConfig());
        BatchBuilder b = new BatchBuilder(Compression.ZSTD);
        for (int i = 0; i < 5; i++) {
            b.add(1_000L + i, null, ("keyless-" + i).getBytes());
        }
        TestBatches.appendCommitted(log, b.build().buffer());
        log.roll();
        AppendInfo kept = TestBatches.appendCommitted(log, new BatchBuilder(Compression.NONE)
                .add(2_000L, "k".getBytes(), "v1".getBytes()).add(2_001L, "k".getBytes(), "v2".getBytes()).build().buffer());
        log.roll();
        TestBatches.appendCommitted(log, new BatchBuilder(Compression.NONE).add(3_000L, "other".getBytes(), "x".getBytes()).build().buffer());

        CompactionResult r = log.compact(10_000L, 1_000L);
        assertThat(r.segmentsDeleted()).isEqualTo(1);
        assertThat(r.segmentsRewritten()).isEqualTo(1);
        assertThat(r.recordsRemoved()).isEqualTo(6);
        assertThat(log.logStartOffset()).isEqualTo(5);
        assertThat(log.closedSegments()).singleElement().satisfies(s -> {
            assertThat(s.baseOffset()).isEqualTo(5);
            assertThat(s.nextOffset()).isEqualTo(kept.nextOffset());
        });
        // a read below the first survivor of the segment answers with it
        List<Record> read = TestBatches.records(log.read(5, 100).batches());
        assertThat(read.getFirst().offset()).isEqualTo(6);
        assertThat(read.getFirst().value()).isEqualTo("v2".getBytes());
        assertThatThrownBy(() -> log.read(4, 100)).isInstanceOf(OffsetOutOfRangeException.class);
    }

    @Test
    void onlyAcknowledgedRecordsSupersedeOthers() {
        PartitionLog log = tmp.open(TP, TempLogDir.smallConfig());
        TestBatches.appendCommitted(log, new BatchBuilder(Compression.NONE).add(1_000L, "k".getBytes(), "v1".getBytes()).build().buffer());
        log.roll();
        AppendInfo pending = log.append(new BatchBuilder(Compression.NONE).add(2_000L, "k".getBytes(), "v2".getBytes()).build().buffer());

        assertThat(log.compact(10_000L, 0).recordsRemoved()).isZero();
        assertThat(TestBatches.records(log.read(0, 100).batches()).getFirst().value()).isEqualTo("v1".getBytes());

        log.advanceHighWatermark(pending.nextOffset());
        assertThat(log.compact(10_000L, 0).recordsRemoved()).isEqualTo(1);
        assertThat(log.flushedOffset()).isEqualTo(pending.nextOffset());
        assertThat(TestBatches.readAll(log, log.logStartOffset(), 100)).singleElement()
                .satisfies(r -> assertThat(r.value()).isEqualTo("v2".getBytes()));
    }

    @Test
    void badArgumentsAndAClosedLogAreRefused() {
        PartitionLog log = tmp.open(TP, TempLogDir.smallConfig());
        assertThatThrownBy(() -> log.compact(0, -1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("deleteRetentionMs");
        assertThatThrownBy(() -> log.compact(0, 0, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxKeyMapBytes");
        log.close();
        assertThatThrownBy(() -> log.compact(0, 0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void keyHashesSpreadAndTheMapUpdatesInPlace() {
        KeyOffsetMap map = new KeyOffsetMap(2 << 20);
        for (int i = 0; i < 50_000; i++) {
            assertThat(map.put(("series{host=h" + i + "}").getBytes(), i)).isTrue();
        }
        assertThat(map.size()).isEqualTo(50_000);
        assertThat(map.put("series{host=h7}".getBytes(), 99_999)).isTrue();
        assertThat(map.size()).isEqualTo(50_000);
        assertThat(map.get("series{host=h7}".getBytes())).isEqualTo(99_999);
        assertThat(map.get("series{host=h8}".getBytes())).isEqualTo(8);
        assertThat(map.get("absent".getBytes())).isEqualTo(-1);
        java.util.Set<Long> hashes = new java.util.HashSet<>();
        for (int i = 0; i < 50_000; i++) {
            hashes.add(KeyOffsetMap.hash(("k" + i).getBytes()));
        }
        assertThat(hashes).hasSize(50_000);
        assertThat(KeyOffsetMap.hash(new byte[0])).isNotEqualTo(KeyOffsetMap.hash(new byte[1]));
    }
}
