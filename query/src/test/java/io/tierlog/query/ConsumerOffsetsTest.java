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
    void deletingSomePartitionsOfAGroupKeepsTheOthersDurably() {
        try (QueryService s = newService()) {
            s.consumerOffsets().commit("g", Map.of("cpu", Map.of(0, 1L, 1, 2L), "mem", Map.of(0, 3L)));
            assertThat(s.consumerOffsets().deletePartitions("g", Map.of("cpu", List.of(1, 7), "disk", List.of(0)))).isTrue();
            assertThat(s.consumerOffsets().deletePartitions("g", Map.of("cpu", List.of(1)))).as("already gone").isFalse();
            assertThat(s.consumerOffsets().deletePartitions("nobody", Map.of("cpu", List.of(1)))).isFalse();
        }
        try (QueryService s = newService()) {
            assertThat(s.consumerOffsets().fetchAll("g")).containsExactly(
                    Map.entry("cpu", new java.util.TreeMap<>(Map.of(0, 1L))), Map.entry("mem", new java.util.TreeMap<>(Map.of(0, 3L))));
            assertThat(s.consumerOffsets().deletePartitions("g", Map.of("cpu", List.of(0), "mem", List.of(0)))).isTrue();
            assertThat(s.consumerOffsets().groups()).as("a group left without offsets is gone").isEmpty();
        }
        assertThat(dir.resolve("g.offsets")).doesNotExist();
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

    @Test
    void commitMetadataSurvivesARestartEscapedOnOneLineAndAPlainCommitClearsIt() throws Exception {
        String streams = "AgAAAZc3ahQ9"; // what Kafka Streams stores: base64 of its partition time
        String awkward = "tab\there\nline\r\\ \u0000\u0007 \u00e9\u20ac \uD83D\uDE00 lone\uD800 end\\";
        try (QueryService s = newService()) {
            s.consumerOffsets().commitWithMetadata("app", Map.of("cpu", Map.of(
                    0, new CommittedOffset(10, streams), 1, new CommittedOffset(11, awkward), 2, CommittedOffset.of(12))));
        }
        List<String> lines = Files.readAllLines(dir.resolve("app.offsets"), StandardCharsets.UTF_8);
        assertThat(lines).hasSize(4).first().isEqualTo(ConsumerOffsets.HEADER_V2);
        assertThat(lines.get(1)).isEqualTo("cpu\t0\t10\t" + streams);
        assertThat(lines.get(2)).isEqualTo("cpu\t1\t11\t" + "tab\\there\\nline\\r\\\\ \\u0000\\u0007 \u00e9\u20ac"
                + " \uD83D\uDE00 lone\\ud800 end\\\\");
        assertThat(lines.get(3)).isEqualTo("cpu\t2\t12\t");
        try (QueryService s = newService()) {
            assertThat(s.consumerOffsets().fetchAllWithMetadata("app").get("cpu")).containsExactly(
                    Map.entry(0, new CommittedOffset(10, streams)), Map.entry(1, new CommittedOffset(11, awkward)),
                    Map.entry(2, CommittedOffset.of(12)));
            assertThat(s.consumerOffsets().fetch("app", "cpu")).containsExactly(
                    Map.entry(0, 10L), Map.entry(1, 11L), Map.entry(2, 12L));
            // an HTTP commit (no metadata) replaces the whole entry, as a Kafka commit without metadata does
            s.consumerOffsets().commit("app", "cpu", Map.of(0, 20L, 1, 21L));
            assertThat(s.consumerOffsets().fetchAllWithMetadata("app").get("cpu")).containsExactly(
                    Map.entry(0, CommittedOffset.of(20)), Map.entry(1, CommittedOffset.of(21)), Map.entry(2, CommittedOffset.of(12)));
        }
        // no metadata left: written as v1 again, which the previous release reads
        assertThat(Files.readAllLines(dir.resolve("app.offsets")))
                .containsExactly(ConsumerOffsets.HEADER, "cpu\t0\t20", "cpu\t1\t21", "cpu\t2\t12");
    }

    @Test
    void aVersion1FileIsReadWithEmptyMetadataAndUpgradedOnTheFirstCommitWithMetadata() throws Exception {
        Files.writeString(dir.resolve("old.offsets"), ConsumerOffsets.HEADER + "\ncpu\t0\t5\nmem\t3\t7\n", StandardCharsets.UTF_8);
        try (QueryService s = newService()) {
            assertThat(s.consumerOffsets().fetchAllWithMetadata("old")).containsExactly(
                    Map.entry("cpu", new java.util.TreeMap<>(Map.of(0, CommittedOffset.of(5)))),
                    Map.entry("mem", new java.util.TreeMap<>(Map.of(3, CommittedOffset.of(7)))));
            s.consumerOffsets().commitWithMetadata("old", Map.of("cpu", Map.of(0, new CommittedOffset(6, "m"))));
        }
        assertThat(Files.readAllLines(dir.resolve("old.offsets")))
                .containsExactly(ConsumerOffsets.HEADER_V2, "cpu\t0\t6\tm", "mem\t3\t7\t");
    }

    @Test
    void metadataIsBoundedAndAMalformedMetadataFieldIsAStorageFault() throws Exception {
        String max = "x".repeat(CommittedOffset.MAX_METADATA_CHARS);
        assertThat(new CommittedOffset(1, max).metadata()).hasSize(CommittedOffset.MAX_METADATA_CHARS);
        assertThat(new CommittedOffset(1, null).metadata()).isEmpty();
        assertThatThrownBy(() -> new CommittedOffset(1, max + "x"))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("4096");
        for (String bad : List.of("a\\", "\\q", "\\u12", "\\u+123", "x".repeat(CommittedOffset.MAX_METADATA_CHARS + 1))) {
            Files.writeString(dir.resolve("g.offsets"), ConsumerOffsets.HEADER_V2 + "\ncpu\t0\t1\t" + bad + "\n",
                    StandardCharsets.UTF_8);
            try (QueryService s = newService()) {
                assertThatThrownBy(() -> s.consumerOffsets().fetchAllWithMetadata("g")).as(bad)
                        .isInstanceOf(io.tierlog.core.StorageException.class).hasMessageContaining("line 2");
            }
        }
        Files.writeString(dir.resolve("g.offsets"), ConsumerOffsets.HEADER + "\ncpu\t0\t1\textra\n", StandardCharsets.UTF_8);
        try (QueryService s = newService()) {
            assertThatThrownBy(() -> s.consumerOffsets().fetch("g", "cpu"))
                    .as("a v1 file has three fields").isInstanceOf(io.tierlog.core.StorageException.class);
        }
    }

    @net.jqwik.api.Property(tries = 300)
    void escapingMetadataIsInvertibleAndLeavesNoTabOrLineBreak(
            // the characters the escaping treats specially, and a few it keeps (pairs of surrogates among them)
            @net.jqwik.api.ForAll @net.jqwik.api.constraints.Chars({'\\', '\t', '\n', '\r', 'u', '0', '\u0000', '\u001f',
                    '\u007f', '\u0085', '\uD83D', '\uDE00', 'a', '\u00e9', '\u20ac'}) String metadata) {
        String escaped = ConsumerOffsets.escapeMetadata(metadata);
        assertThat(escaped).doesNotContain("\t", "\n", "\r");
        assertThat(escaped.chars().noneMatch(c -> Character.isISOControl(c))).isTrue();
        assertThat(ConsumerOffsets.unescapeMetadata(escaped)).isEqualTo(metadata);
        // what the file holds is UTF-8: the escaped form survives it unchanged
        assertThat(new String(escaped.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8)).isEqualTo(escaped);
    }
}
