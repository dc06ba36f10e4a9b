package io.tierlog.hot;

import io.tierlog.core.InvalidInputException;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.testing.TempLogDir;
import io.tierlog.hot.testing.TestBatches;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LogManagerTest {
    private final TempLogDir tmp = new TempLogDir();

    @AfterEach
    void cleanup() {
        tmp.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"..", ".", "a/b", "/etc", "../x", "x/../../y", "a\\b", "", " ", "\u0000"})
    void topicNamesThatEscapeOrAreInvalidAreRefused(String name) {
        assertThatThrownBy(() -> tmp.manager().topicDir(name)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("topic name");
    }

    @Test
    void topicDirIsInsideTheDataDir() {
        assertThat(tmp.manager().topicDir("metrics.cpu_1-a"))
                .isEqualTo(tmp.dir().toAbsolutePath().normalize().resolve("topics").resolve("metrics.cpu_1-a"));
        assertThat(tmp.manager().topicDir("..a").getParent()).isEqualTo(tmp.dir().toAbsolutePath().normalize().resolve("topics"));
    }

    @Test
    void openIsIdempotentAndPartitionsAreFoundOnDisk() throws IOException {
        LogManager m = tmp.manager();
        TopicPartition a0 = new TopicPartition("a", 0);
        PartitionLog log = m.open(a0, TempLogDir.smallConfig());
        assertThat(m.open(a0, TempLogDir.smallConfig())).isSameAs(log);
        assertThat(m.get(a0)).containsSame(log);
        assertThat(m.get(new TopicPartition("a", 1))).isEmpty();
        m.open(new TopicPartition("a", 7), TempLogDir.smallConfig());
        m.open(new TopicPartition("b", 2), TempLogDir.smallConfig());
        Files.writeString(m.topicDir("a").resolve("topic.json"), "{}");
        Files.createDirectories(m.topicDir("a").resolve("not-a-partition"));
        LogManager reopened = tmp.reopen();
        assertThat(reopened.get(a0)).isEmpty();
        assertThat(reopened.partitionsOnDisk()).containsOnlyKeys("a", "b");
        assertThat(reopened.partitionsOnDisk().get("a")).containsExactly(0, 7);
        assertThat(reopened.partitionsOnDisk().get("b")).containsExactly(2);
    }

    @Test
    void deleteTopicClosesItsLogsAndRemovesTheDirectory() {
        LogManager m = tmp.manager();
        PartitionLog a0 = m.open(new TopicPartition("gone", 0), TempLogDir.smallConfig());
        PartitionLog kept = m.open(new TopicPartition("kept", 0), TempLogDir.smallConfig());
        TestBatches.appendCommitted(a0, TestBatches.batch(new Random(1), 1, 2));
        TestBatches.appendCommitted(kept, TestBatches.batch(new Random(1), 1, 2));
        m.deleteTopic("gone");
        assertThat(m.topicDir("gone")).doesNotExist();
        assertThat(m.get(new TopicPartition("gone", 0))).isEmpty();
        assertThatThrownBy(() -> a0.read(0, 100)).isInstanceOf(IllegalStateException.class);
        assertThat(m.partitionsOnDisk().keySet()).isEqualTo(Set.of("kept"));
        assertThat(kept.read(0, 100).isEmpty()).isFalse();
        PartitionLog fresh = m.open(new TopicPartition("gone", 0), TempLogDir.smallConfig());
        assertThat(fresh.logEndOffset()).isZero();
        assertThatThrownBy(() -> m.deleteTopic("../kept")).isInstanceOf(InvalidInputException.class);
    }
}
