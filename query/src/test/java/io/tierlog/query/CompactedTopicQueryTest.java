package io.tierlog.query;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tierlog.core.BatchBuilder;
import io.tierlog.core.Compression;
import io.tierlog.core.Record;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.AppendInfo;
import io.tierlog.hot.CompactionResult;
import io.tierlog.hot.LogConfig;
import io.tierlog.hot.LogManager;
import io.tierlog.hot.PartitionLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A compacted topic (hot tier only, offsets with gaps) read through the query service: offset paging skips the
 * gaps without losing or repeating a survivor, and time-range reads see exactly the survivors.
 */
class CompactedTopicQueryTest {
    @TempDir
    Path dir;

    @Test
    void readsAcrossCompactionGapsReturnExactlyTheSurvivors() {
        TopicPartition tp = new TopicPartition("compacted", 0);
        try (LogManager logs = new LogManager(dir.resolve("data"));
             QueryService service = new QueryService(logs::get, null, dir.resolve("offsets"), new SimpleMeterRegistry())) {
            PartitionLog log = logs.open(tp, LogConfig.DEFAULTS.withSegmentBytes(2048));
            Map<String, Record> latest = new LinkedHashMap<>();
            List<Record> written = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                // keys k0..k6 stop early, so their latest records sit in closed segments, between gaps
                String key = i < 250 ? "k" + (i % 7) : "x" + (i % 3);
                BatchBuilder b = new BatchBuilder(i % 2 == 0 ? Compression.NONE : Compression.LZ4);
                b.add(1_000 + i, key.getBytes(StandardCharsets.UTF_8), ("v" + i).getBytes(StandardCharsets.UTF_8));
                AppendInfo info = log.append(b.build().buffer());
                log.advanceHighWatermark(info.nextOffset());
                Record r = new Record(info.baseOffset(), 1_000 + i, key.getBytes(StandardCharsets.UTF_8),
                        ("v" + i).getBytes(StandardCharsets.UTF_8));
                written.add(r);
                latest.put(key, r);
            }
            long activeBase = log.closedSegments().getLast().nextOffset();
            CompactionResult result = log.compact(System.currentTimeMillis(), 0);
            assertThat(result.recordsRemoved()).isPositive();

            // survivors: everything in the active segment, plus the latest record per key in closed segments
            List<Record> expected = written.stream()
                    .filter(r -> r.offset() >= activeBase || latest.get(new String(r.key(), StandardCharsets.UTF_8)) == r)
                    .toList();

            List<Record> paged = new ArrayList<>();
            assertThat(log.logStartOffset()).isPositive(); // the first segments held only superseded records
            long offset = log.logStartOffset();
            while (offset < log.highWatermark()) {
                PartitionRead page = service.read(tp, offset, 5, 1 << 20);
                assertThat(page.records()).isNotEmpty();
                paged.addAll(page.records());
                offset = page.nextOffset();
            }
            assertThat(paged).containsExactlyElementsOf(expected);
            for (Record r : latest.values()) {
                assertThat(paged).contains(r);
            }

            PartitionRead window = service.readTimeRange(tp, 1_000, 1_200, 10_000);
            assertThat(window.records()).containsExactlyElementsOf(
                    expected.stream().filter(r -> r.timestamp() < 1_200).toList());
        }
    }
}
