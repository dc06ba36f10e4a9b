package io.tierlog.query;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tierlog.core.Record;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every read of the query service against the linear scan of all appended records, for random data split at
 * random between the cold tier (a prefix of uploaded segments, maybe trimmed by remote retention) and the hot
 * log (maybe overlapping it), with timestamps in random (late) order.
 */
class QueryPropertiesTest {
    static final long MAX_TS = 500;

    /** Batches of timestamps, where the log rolls, and how much is tiered. */
    record Layout(List<List<Long>> batches, List<Boolean> rolls, int uploadPct, int deletePct, int remoteDropPct) {
        void build(Fixture f, int p) {
            for (int i = 0; i < batches.size(); i++) {
                f.append(p, batches.get(i).stream().mapToLong(Long::longValue).toArray());
                if (rolls.get(i % rolls.size())) {
                    f.roll(p);
                }
            }
            int closed = f.log(p).closedSegments().size();
            int upload = closed * uploadPct / 100;
            int delete = upload * deletePct / 100;
            f.tier(p, upload, delete);
            int drop = delete * remoteDropPct / 100;
            for (int i = 0; i < drop; i++) {
                f.remote.deleteOldest(f.tp(p));
            }
        }
    }

    @Provide
    Arbitrary<Layout> layouts() {
        Arbitrary<List<Long>> batch = Arbitraries.longs().between(0, MAX_TS).list().ofMinSize(1).ofMaxSize(6);
        return Combinators.combine(
                batch.list().ofMinSize(1).ofMaxSize(30),
                Arbitraries.of(true, false, false).list().ofMinSize(1).ofMaxSize(30),
                Arbitraries.integers().between(0, 100),
                Arbitraries.integers().between(0, 100),
                Arbitraries.integers().between(0, 100)).as(Layout::new);
    }

    /** One directory for every try: these properties commit no consumer offsets. */
    private static final Path OFFSETS_DIR = tempDir();

    private static Path tempDir() {
        try {
            Path dir = Files.createTempDirectory("query-prop");
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static QueryService service(Fixture f, int sliceRecords) {
        return new QueryService(f.lookup(), f.remote, OFFSETS_DIR, new SimpleMeterRegistry(), sliceRecords);
    }

    private static QueryService service(Fixture f, int sliceRecords, int indexBudget) {
        return new QueryService(f.lookup(), f.remote, OFFSETS_DIR, new SimpleMeterRegistry(), sliceRecords, indexBudget);
    }

    private static long logStart(QueryService s, Fixture f, int p) {
        return s.state(f.tp(p)).logStartOffset();
    }

    @Property(tries = 200)
    void offsetPagingEqualsLinearScan(@ForAll("layouts") Layout layout, @ForAll @IntRange(min = 1, max = 40) int maxRecords,
                                      @ForAll @IntRange(min = 1, max = 3000) int maxBytes,
                                      @ForAll @IntRange(min = 0, max = 100) int startPct) {
        Fixture f = new Fixture("p", 1);
        layout.build(f, 0);
        try (QueryService s = service(f, 100)) {
            long start = logStart(s, f, 0);
            long hw = f.log(0).highWatermark();
            long offset = start + (hw - start) * startPct / 100;
            long localStart = f.log(0).logStartOffset();
            List<Record> got = new ArrayList<>();
            int hot = 0;
            int cold = 0;
            while (true) {
                PartitionRead r = s.read(f.tp(0), offset, maxRecords, maxBytes);
                if (r.records().isEmpty()) {
                    break;
                }
                assertThat(r.records().size()).isLessThanOrEqualTo(maxRecords);
                got.addAll(r.records());
                hot += r.hotCount();
                cold += r.coldCount();
                offset = r.nextOffset();
            }
            long first = start + (hw - start) * startPct / 100;
            assertThat(got).isEqualTo(f.records(0).subList((int) first, (int) hw));
            assertThat(cold).isEqualTo((int) Math.max(0, localStart - first));
            assertThat(hot + cold).isEqualTo(got.size());
        }
    }

    @Property(tries = 200)
    void timeRangePagingEqualsLinearScan(@ForAll("layouts") Layout layout,
                                         @ForAll @LongRange(min = 0, max = MAX_TS + 10) long a,
                                         @ForAll @LongRange(min = 0, max = MAX_TS + 10) long b,
                                         @ForAll @IntRange(min = 1, max = 30) int maxRecords) {
        long from = Math.min(a, b);
        long to = Math.max(a, b);
        Fixture f = new Fixture("p", 1);
        layout.build(f, 0);
        try (QueryService s = service(f, 100)) {
            long start = logStart(s, f, 0);
            List<Record> expected = f.records(0).stream()
                    .filter(r -> r.offset() >= start && r.timestamp() >= from && r.timestamp() < to).toList();
            List<Record> got = new ArrayList<>();
            PartitionRead page = s.readTimeRange(f.tp(0), from, to, maxRecords);
            got.addAll(page.records());
            while (page.records().size() == maxRecords) {
                page = s.readTimeRange(f.tp(0), from, to, page.nextOffset(), maxRecords);
                got.addAll(page.records());
            }
            assertThat(page.nextOffset()).isEqualTo(f.log(0).highWatermark());
            assertThat(got).isEqualTo(expected);
        }
    }

    @Property(tries = 200)
    void offsetForTimestampEqualsLinearScan(@ForAll("layouts") Layout layout,
                                            @ForAll @LongRange(min = 0, max = MAX_TS + 10) long t) {
        Fixture f = new Fixture("p", 1);
        layout.build(f, 0);
        try (QueryService s = service(f, 100)) {
            long start = logStart(s, f, 0);
            long expected = f.records(0).stream().filter(r -> r.offset() >= start && r.timestamp() >= t)
                    .mapToLong(Record::offset).findFirst().orElse(f.log(0).highWatermark());
            assertThat(s.offsetForTimestamp(f.tp(0), t)).isEqualTo(expected);
        }
    }

    @Property(tries = 150)
    void mergedQueryEqualsSortedLinearScan(@ForAll @Size(min = 1, max = 4) List<@net.jqwik.api.From("layouts") Layout> layouts,
                                           @ForAll @LongRange(min = 0, max = MAX_TS + 10) long a,
                                           @ForAll @LongRange(min = 0, max = MAX_TS + 10) long b,
                                           @ForAll @IntRange(min = 1, max = 25) int sliceRecords,
                                           @ForAll @IntRange(min = 0, max = 3) int modulus,
                                           @ForAll @IntRange(min = 2, max = 40) int indexBudget) {
        long from = Math.min(a, b);
        long to = Math.max(a, b);
        Fixture f = new Fixture("m", layouts.size());
        for (int p = 0; p < layouts.size(); p++) {
            layouts.get(p).build(f, p);
        }
        Predicate<Record> filter = modulus == 0 ? null : r -> r.offset() % (modulus + 1) != 0;
        // A tiny index budget forces the batch index to merge neighbours: still exact, only less selective.
        try (QueryService s = service(f, sliceRecords, indexBudget)) {
            List<TopicRecord> expected = new ArrayList<>();
            for (int p = 0; p < layouts.size(); p++) {
                long start = logStart(s, f, p);
                for (Record r : f.records(p)) {
                    if (r.offset() >= start && r.timestamp() >= from && r.timestamp() < to
                            && (filter == null || filter.test(r))) {
                        expected.add(new TopicRecord(p, r));
                    }
                }
            }
            expected.sort(Comparator.comparingLong((TopicRecord r) -> r.record().timestamp())
                    .thenComparingInt(TopicRecord::partition).thenComparingLong(r -> r.record().offset()));
            List<TopicRecord> got = new ArrayList<>();
            Iterator<TopicRecord> it = s.queryTimeRange("m", layouts.size(), from, to, filter);
            it.forEachRemaining(got::add);
            assertThat(got).isEqualTo(expected);
        }
    }
}
