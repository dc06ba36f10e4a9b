package io.tierlog.query;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tierlog.core.InvalidInputException;
import io.tierlog.core.TierlogException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConsumerOffsetsTest {
    @TempDir
    Path dir;

    QueryService newService() {
        return new QueryService(tp -> Optional.empty(), null, dir, new SimpleMeterRegistry());
    }

    @Test
    void committedOffsetsSurviveANewServiceOnTheSameDirectory() {
        try (QueryService s = newService()) {
            s.consumerOffsets().commit("billing", "cpu", Map.of(0, 42L, 1, 7L));
            s.consumerOffsets().commit("billing", "cpu", Map.of(1, 9L)); // partition 0 keeps its offset
            s.consumerOffsets().commit("billing", "mem", Map.of(0, 3L));
            s.consumerOffsets().commit("alerts", "cpu", Map.of(0, 1L));
        }
        try (QueryService s = newService()) {
            assertThat(s.consumerOffsets().fetch("billing", "cpu")).containsExactly(Map.entry(0, 42L), Map.entry(1, 9L));
            assertThat(s.consumerOffsets().fetch("billing", "mem")).containsExactly(Map.entry(0, 3L));
            assertThat(s.consumerOffsets().fetch("alerts", "cpu")).containsExactly(Map.entry(0, 1L));
            assertThat(s.consumerOffsets().fetch("nobody", "cpu")).isEmpty();
        }
    }

    @Test
    void oneFilePerGroupAndNoTemporaryFileLeft() throws Exception {
        try (QueryService s = newService()) {
            s.consumerOffsets().commit("g1", "cpu", Map.of(0, 1L));
            s.consumerOffsets().commit("g2", "cpu", Map.of(0, 2L));
        }
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).sorted().toList())
                    .containsExactly("g1.offsets", "g2.offsets");
        }
        assertThat(Files.readAllLines(dir.resolve("g2.offsets")))
                .containsExactly(ConsumerOffsets.HEADER, "cpu\t0\t2");
    }

    @Test
    void aLeftoverTemporaryFileOfACrashedCommitIsIgnored() throws Exception {
        try (QueryService s = newService()) {
            s.consumerOffsets().commit("g", "cpu", Map.of(0, 5L));
        }
        Files.writeString(dir.resolve("g.offsets.tmp"), ConsumerOffsets.HEADER + "\ncpu\t0\t99\n");
        try (QueryService s = newService()) {
            assertThat(s.consumerOffsets().fetch("g", "cpu")).containsExactly(Map.entry(0, 5L));
        }
        assertThat(dir.resolve("g.offsets.tmp")).doesNotExist();
    }

    @Test
    void concurrentCommitsOfOneGroupAreAllKept() {
        try (QueryService s = newService()) {
            List<CompletableFuture<Void>> commits = IntStream.range(0, 16).mapToObj(p -> CompletableFuture.runAsync(
                    () -> s.consumerOffsets().commit("g", "cpu", Map.of(p, (long) p * 10)))).toList();
            commits.forEach(CompletableFuture::join);
        }
        try (QueryService s = newService()) {
            assertThat(s.consumerOffsets().fetch("g", "cpu")).hasSize(16).containsEntry(15, 150L);
        }
    }

    @Test
    void badInputIsRejectedAndStoresNothing() {
        try (QueryService s = newService()) {
            var offsets = s.consumerOffsets();
            assertThatThrownBy(() -> offsets.commit("../etc", "cpu", Map.of(0, 1L)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("group name");
            assertThatThrownBy(() -> offsets.commit("g", "bad topic", Map.of(0, 1L)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("topic name");
            assertThatThrownBy(() -> offsets.commit("g", "cpu", Map.of(-1, 1L)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("partition");
            assertThatThrownBy(() -> offsets.commit("g", "cpu", Map.of(0, -5L)))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("offset");
            assertThatThrownBy(() -> offsets.commit("g", "cpu", Map.of()))
                    .isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> offsets.fetch("", "cpu")).isInstanceOf(InvalidInputException.class);
        }
        assertThat(dir.resolve("g.offsets")).doesNotExist();
    }

    @Test
    void aCorruptFileIsReportedWithItsNameAndLine() throws Exception {
        Files.writeString(dir.resolve("g.offsets"), ConsumerOffsets.HEADER + "\ncpu\tzero\t1\n", StandardCharsets.UTF_8);
        try (QueryService s = newService()) {
            assertThatThrownBy(() -> s.consumerOffsets().fetch("g", "cpu"))
                    .isInstanceOf(TierlogException.class).hasMessageContaining("g.offsets").hasMessageContaining("line 2");
        }
    }
}
