package io.tierlog.cold;

import io.tierlog.core.TopicPartition;
import io.tierlog.hot.SegmentInfo;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.tierlog.cold.RemoteSegmentState.COPY_SEGMENT_FINISHED;
import static io.tierlog.cold.RemoteSegmentState.COPY_SEGMENT_STARTED;
import static io.tierlog.cold.RemoteSegmentState.DELETE_SEGMENT_FINISHED;
import static io.tierlog.cold.RemoteSegmentState.DELETE_SEGMENT_STARTED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The remote segment lifecycle: Kafka's transition table, and an invalid step is a bug that throws. */
class RemoteSegmentStateTest {

    /** Kafka's RemoteLogSegmentState.isValidTransition, written out (self-transitions are valid, for retries). */
    private static final Map<RemoteSegmentState, Set<RemoteSegmentState>> NEXT = Map.of(
            COPY_SEGMENT_STARTED, Set.of(COPY_SEGMENT_STARTED, COPY_SEGMENT_FINISHED, DELETE_SEGMENT_STARTED),
            COPY_SEGMENT_FINISHED, Set.of(COPY_SEGMENT_FINISHED, DELETE_SEGMENT_STARTED),
            DELETE_SEGMENT_STARTED, Set.of(DELETE_SEGMENT_STARTED, DELETE_SEGMENT_FINISHED),
            DELETE_SEGMENT_FINISHED, Set.of(DELETE_SEGMENT_FINISHED));

    @Test
    void everyPairOfStatesIsValidExactlyAsTheTableSays() {
        List<String> wrong = new ArrayList<>();
        for (RemoteSegmentState from : RemoteSegmentState.values()) {
            for (RemoteSegmentState to : RemoteSegmentState.values()) {
                if (RemoteSegmentState.isValidTransition(from, to) != NEXT.get(from).contains(to)) {
                    wrong.add(from + " -> " + to);
                }
            }
        }
        assertThat(wrong).isEmpty();
    }

    @Test
    void aSegmentWithoutAStateCanOnlyStartCopying() {
        assertThat(Arrays.stream(RemoteSegmentState.values()).filter(s -> RemoteSegmentState.isValidTransition(null, s)))
                .containsExactly(COPY_SEGMENT_STARTED);
        assertThat(RemoteSegmentState.isValidTransition(COPY_SEGMENT_STARTED, null)).isFalse();
    }

    @Test
    void anUploadAttemptStartsCopyingAndMovesOnlyForward() {
        SegmentUpload u = new SegmentUpload(segment(), "tierlog/t/0/x.seg");
        assertThat(u.state()).isEqualTo(COPY_SEGMENT_STARTED);
        u.moveTo(COPY_SEGMENT_FINISHED);
        u.moveTo(DELETE_SEGMENT_STARTED);
        u.moveTo(DELETE_SEGMENT_FINISHED);
        assertThat(u.state()).isEqualTo(DELETE_SEGMENT_FINISHED);
        assertThatThrownBy(() -> u.moveTo(COPY_SEGMENT_STARTED)).isInstanceOf(IllegalStateException.class)
                .hasMessage("tierlog/t/0/x.seg: invalid remote segment transition DELETE_SEGMENT_FINISHED -> COPY_SEGMENT_STARTED");
    }

    @Test
    void anObjectCannotBeReportedDeletedBeforeItsDeletionStarted() {
        SegmentUpload u = new SegmentUpload(segment(), "k.seg");
        assertThatThrownBy(() -> u.moveTo(DELETE_SEGMENT_FINISHED)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("COPY_SEGMENT_STARTED -> DELETE_SEGMENT_FINISHED");
        assertThat(u.state()).as("a refused move changes nothing").isEqualTo(COPY_SEGMENT_STARTED);
        u.moveTo(COPY_SEGMENT_FINISHED);
        assertThatThrownBy(() -> u.moveTo(COPY_SEGMENT_STARTED)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> u.moveTo(DELETE_SEGMENT_FINISHED)).isInstanceOf(IllegalStateException.class);
    }

    private static SegmentInfo segment() {
        return new SegmentInfo(new TopicPartition("t", 0), 0, 10, 0, 1, 100, 0, Path.of("x.log"), Path.of("x.index"),
                Path.of("x.timeindex"));
    }
}
