package io.tierlog.cold.housekeeping;

import io.tierlog.cold.housekeeping.Housekeeper.LocalVerdict;
import io.tierlog.cold.housekeeping.RetentionPolicy.Cleanup;
import io.tierlog.cold.housekeeping.RetentionPolicy.Limits;
import io.tierlog.cold.housekeeping.RetentionPolicy.Storage;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.SegmentInfo;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The housekeeper's decisions alone: which local segment goes, and why. */
class HousekeeperDecisionsTest {
    private static final long NOW = 10_000_000;
    private static final RetentionPolicy TIERED = new RetentionPolicy(Storage.TIERED, Cleanup.DELETE,
            new Limits(1_000_000, -1), new Limits(1000, 64 * 1024));

    static SegmentInfo segment(long base, long next, long maxTs) {
        return new SegmentInfo(new TopicPartition("t", 0), base, next, maxTs - 10, maxTs, 1000, 0,
                Path.of("x.log"), Path.of("x.index"), Path.of("x.timeindex"));
    }

    @Test
    void aSegmentPastTheTotalRetentionGoesEvenIfNotOffloaded() {
        SegmentInfo old = segment(0, 10, NOW - 1_000_001);
        assertThat(Housekeeper.tieredVerdict(old, TIERED, 0, 0, false, NOW)).isEqualTo(LocalVerdict.EXPIRED_EVERYWHERE);
    }

    @Test
    void aSegmentPastALocalLimitWaitsForItsOffload() {
        SegmentInfo aged = segment(0, 10, NOW - 1001);
        assertThat(Housekeeper.tieredVerdict(aged, TIERED, 0, 0, false, NOW)).isEqualTo(LocalVerdict.WAITING_FOR_OFFLOAD);
        assertThat(Housekeeper.tieredVerdict(aged, TIERED, 0, 0, true, NOW))
                .isEqualTo(LocalVerdict.OFFLOADED_AND_PAST_LOCAL_LIMIT);
        SegmentInfo fresh = segment(0, 10, NOW);
        assertThat(Housekeeper.tieredVerdict(fresh, TIERED, 64 * 1024 + 1, 0, false, NOW))
                .as("local bytes over the local size limit").isEqualTo(LocalVerdict.WAITING_FOR_OFFLOAD);
        assertThat(Housekeeper.tieredVerdict(fresh, TIERED, 0, 10, true, NOW))
                .as("records deleted on request").isEqualTo(LocalVerdict.OFFLOADED_AND_PAST_LOCAL_LIMIT);
    }

    @Test
    void aSegmentWithinEveryLimitStaysEvenWhenOffloaded() {
        SegmentInfo fresh = segment(0, 10, NOW - 1000);
        assertThat(Housekeeper.tieredVerdict(fresh, TIERED, 64 * 1024, 9, true, NOW)).isEqualTo(LocalVerdict.KEEP);
        RetentionPolicy unlimited = new RetentionPolicy(Storage.TIERED, Cleanup.DELETE, Limits.NONE, Limits.NONE);
        assertThat(Housekeeper.tieredVerdict(segment(0, 10, 0), unlimited, Long.MAX_VALUE, 0, true, NOW))
                .isEqualTo(LocalVerdict.KEEP);
    }

    @Test
    void aLocalOnlyTopicDeletesByAgeSizeAndDeletedRecords() {
        Limits total = new Limits(1000, 5000);
        assertThat(Housekeeper.localOnlyDeletes(segment(0, 10, NOW - 1001), total, 0, 0, NOW)).isTrue();
        assertThat(Housekeeper.localOnlyDeletes(segment(0, 10, NOW), total, 5001, 0, NOW)).isTrue();
        assertThat(Housekeeper.localOnlyDeletes(segment(0, 10, NOW), total, 5000, 0, NOW)).isFalse();
        assertThat(Housekeeper.localOnlyDeletes(segment(0, 10, NOW), total, 0, 10, NOW)).isTrue();
        assertThat(Housekeeper.localOnlyDeletes(segment(0, 10, NOW), total, 0, 9, NOW)).isFalse();
    }

    @Test
    void aCompactedTopicCannotBeTiered() {
        assertThatThrownBy(() -> new RetentionPolicy(Storage.TIERED, Cleanup.COMPACT_DELETE, Limits.NONE, Limits.NONE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot be tiered");
        assertThatThrownBy(() -> new Limits(-2, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
