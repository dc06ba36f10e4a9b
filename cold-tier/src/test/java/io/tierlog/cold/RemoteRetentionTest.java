package io.tierlog.cold;

import io.tierlog.core.TopicPartition;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Remote retention's decision alone: how many of the oldest segments go, for each limit. */
class RemoteRetentionTest {
    private static final long NOW = 1_000_000;
    private static final long OFF = -1;

    /** Segments of 100 offsets and 1000 bytes each, the i-th with newest record at {@code maxTs[i]}. */
    private static List<Manifest.Entry> segments(long... maxTs) {
        List<Manifest.Entry> out = new ArrayList<>();
        for (int i = 0; i < maxTs.length; i++) {
            out.add(new Manifest.Entry(new RemoteSegmentInfo(new TopicPartition("t", 0), i * 100L, (i + 1) * 100L,
                    maxTs[i] - 10, maxTs[i], 1000, "k" + i), 1000, 60));
        }
        return out;
    }

    @Test
    void byTimeTheSegmentsWhoseNewestRecordIsOlderThanTheLimitGo() {
        List<Manifest.Entry> segs = segments(NOW - 5000, NOW - 3001, NOW - 3000, NOW - 10);
        assertThat(RemoteRetention.segmentsToDrop(segs, 3000, OFF, 0, NOW)).isEqualTo(2);
    }

    @Test
    void bySizeASegmentGoesOnlyWhileWhatIsLeftStillReachesTheLimit() {
        List<Manifest.Entry> segs = segments(NOW, NOW, NOW, NOW);
        assertThat(RemoteRetention.segmentsToDrop(segs, OFF, 2000, 0, NOW)).as("4000 bytes, keep >= 2000").isEqualTo(2);
        assertThat(RemoteRetention.segmentsToDrop(segs, OFF, 2001, 0, NOW)).isEqualTo(1);
        assertThat(RemoteRetention.segmentsToDrop(segs, OFF, 4001, 0, NOW)).isZero();
        assertThat(RemoteRetention.segmentsToDrop(segs, OFF, 0, 0, NOW)).as("limit 0 drops everything").isEqualTo(4);
    }

    @Test
    void segmentsHoldingOnlyRecordsDeletedOnRequestGo() {
        List<Manifest.Entry> segs = segments(NOW, NOW, NOW);
        assertThat(RemoteRetention.segmentsToDrop(segs, OFF, OFF, 199, NOW)).as("offset 199 still readable").isEqualTo(1);
        assertThat(RemoteRetention.segmentsToDrop(segs, OFF, OFF, 200, NOW)).isEqualTo(2);
    }

    @Test
    void onlyAPrefixGoesEvenWhenANewerSegmentIsExpired() {
        // offsets stay dense from the remote start: an expired segment behind a kept one waits for it
        List<Manifest.Entry> segs = segments(NOW - 5000, NOW, NOW - 5000);
        assertThat(RemoteRetention.segmentsToDrop(segs, 3000, OFF, 0, NOW)).isEqualTo(1);
    }

    @Test
    void withEveryLimitOffNothingGoes() {
        assertThat(RemoteRetention.segmentsToDrop(segments(0, 0), OFF, OFF, 0, NOW)).isZero();
        assertThat(RemoteRetention.segmentsToDrop(List.of(), 0, 0, Long.MAX_VALUE, NOW)).isZero();
    }
}
