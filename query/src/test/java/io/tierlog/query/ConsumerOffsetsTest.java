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
            assertThatThrownBy(() -> offsets.commit("a\nb", "cpu", Map.of(0, 1L)))
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
            assertThatThrownBy(() -> offsets.commit("g", Map.of("cpu", Map.of(0, 1L), "bad topic", Map.of(0, 1L))))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("topic name");
        }
        assertThat(dir.resolve("g.offsets")).doesNotExist();
    }

    @Test
    void kafkaGroupIdsWithAnyCharacterAreStoredUnderFileSafeNamesInsideTheDirectory() throws Exception {
        List<String> names = List.of("../etc", "connect-my connector", "grüppe:1", ".", "my.app_v2");
        try (QueryService s = newService()) {
            for (int i = 0; i < names.size(); i++) {
                s.consumerOffsets().commit(names.get(i), "cpu", Map.of(0, (long) i));
            }
        }
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).sorted().toList()).containsExactly(
                    "%2E.offsets", "..%2Fetc.offsets", "connect-my%20connector.offsets", "gr%C3%BCppe%3A1.offsets",
                    "my.app_v2.offsets");
        }
        assertThat(dir.getParent().resolve("etc.offsets")).doesNotExist();
        try (QueryService s = newService()) {
            assertThat(s.consumerOffsets().groups()).containsExactlyElementsOf(names.stream().sorted().toList());
            for (int i = 0; i < names.size(); i++) {
                assertThat(s.consumerOffsets().fetch(names.get(i), "cpu")).containsExactly(Map.entry(0, (long) i));
            }
        }
    }

    @Test
    void aCommitOfSeveralTopicsIsOneFileAndFetchAllReturnsEveryTopic() throws Exception {
        try (QueryService s = newService()) {
            s.consumerOffsets().commit("g", Map.of("cpu", Map.of(0, 4L, 1, 5L), "mem", Map.of(2, 6L)));
            s.consumerOffsets().commit("g", Map.of("mem", Map.of(2, 7L)));
        }
        assertThat(Files.readAllLines(dir.resolve("g.offsets")))
                .containsExactly(ConsumerOffsets.HEADER, "cpu\t0\t4", "cpu\t1\t5", "mem\t2\t7");
        try (QueryService s = newService()) {
            assertThat(s.consumerOffsets().fetchAll("g")).containsExactly(
                    Map.entry("cpu", new java.util.TreeMap<>(Map.of(0, 4L, 1, 5L))),
                    Map.entry("mem", new java.util.TreeMap<>(Map.of(2, 7L))));
            assertThat(s.consumerOffsets().fetchAll("nobody")).isEmpty();
        }
    }

    @Test
    void deletingAGroupIsDurableAndLeavesOtherGroupsAlone() {
        try (QueryService s = newService()) {
            s.consumerOffsets().commit("gone", "cpu", Map.of(0, 1L));
            s.consumerOffsets().commit("kept", "cpu", Map.of(0, 2L));
            assertThat(s.consumerOffsets().groups()).containsExactly("gone", "kept");
            assertThat(s.consumerOffsets().delete("gone")).isTrue();
            assertThat(s.consumerOffsets().delete("gone")).isFalse();
            assertThat(s.consumerOffsets().delete("never")).isFalse();
            assertThat(s.consumerOffsets().fetch("gone", "cpu")).isEmpty();
            assertThat(s.consumerOffsets().groups()).containsExactly("kept");
        }
        assertThat(dir.resolve("gone.offsets")).doesNotExist();
        try (QueryService s = newService()) {
            assertThat(s.consumerOffsets().groups()).containsExactly("kept");
            assertThat(s.consumerOffsets().fetchAll("gone")).isEmpty();
            s.consumerOffsets().commit("gone", "mem", Map.of(0, 9L)); // a deleted group can commit again
            assertThat(s.consumerOffsets().fetchAll("gone")).containsOnlyKeys("mem");
        }
    }

    @Test
    void deletingATopicRemovesItsOffsetsFromEveryGroup() {
        try (QueryService s = newService()) {
            s.consumerOffsets().commit("both", Map.of("cpu", Map.of(0, 1L), "mem", Map.of(0, 2L)));
            s.consumerOffsets().commit("cpuOnly", "cpu", Map.of(0, 3L));
            s.consumerOffsets().commit("memOnly", "mem", Map.of(0, 4L));
            s.consumerOffsets().deleteTopic("cpu");
            assertThat(s.consumerOffsets().fetchAll("both")).containsOnlyKeys("mem");
            assertThat(s.consumerOffsets().groups()).containsExactly("both", "memOnly");
        }
        try (QueryService s = newService()) {
            assertThat(s.consumerOffsets().fetch("both", "cpu")).isEmpty();
            assertThat(s.consumerOffsets().fetch("both", "mem")).containsExactly(Map.entry(0, 2L));
            assertThat(s.consumerOffsets().groups()).containsExactly("both", "memOnly");
        }
    }

    @Test
    void lookingUpMadeUpGroupsCreatesNothing() {
        try (QueryService s = newService()) {
            for (int i = 0; i < 100; i++) {
                assertThat(s.consumerOffsets().fetch("nobody-" + i, "cpu")).isEmpty();
                assertThat(s.consumerOffsets().delete("nobody-" + i)).isFalse();
            }
            assertThat(s.consumerOffsets().groups()).isEmpty();
        }
        assertThat(dir.toFile().list()).isEmpty();
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
