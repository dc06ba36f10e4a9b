package io.tierlog.server;

import io.tierlog.kafka.KafkaBackend.ConfigEntry;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Kafka topic configs as CreateTopics brings them: what Tierlog honours, what it accepts at one value, what it refuses. */
class KafkaTopicConfigsTest {

    /** What Kafka Streams 4.1 sends for its internal topics (InternalTopicConfig and its subclasses). */
    @Test
    void kafkaStreamsInternalTopicConfigsAreAccepted() {
        TopicConfig repartition = KafkaTopicConfigs.parse(Map.of("cleanup.policy", "delete", "segment.bytes", "52428800",
                "retention.ms", "-1", "message.timestamp.type", "CreateTime"));
        assertThat(repartition.cleanup()).isEqualTo(CleanupPolicy.DELETE);
        assertThat(repartition.retentionMs()).isEqualTo(-1);
        assertThat(repartition.segmentBytes()).isEqualTo(52_428_800);
        assertThat(repartition.remoteStorage()).as("a delete topic is tiered by default").isTrue();
        assertThat(repartition.schema()).isEqualTo("bytes");

        TopicConfig changelog = KafkaTopicConfigs.parse(Map.of("cleanup.policy", "compact", "message.timestamp.type", "CreateTime"));
        assertThat(changelog.cleanup()).isEqualTo(CleanupPolicy.COMPACT);
        assertThat(changelog.remoteStorage()).as("compacted topics stay local").isFalse();

        TopicConfig windowed = KafkaTopicConfigs.parse(Map.of("cleanup.policy", "compact,delete", "retention.ms", "86460000",
                "message.timestamp.type", "CreateTime"));
        assertThat(windowed.cleanup()).isEqualTo(CleanupPolicy.COMPACT_DELETE);
        assertThat(windowed.cleanupPolicy()).isEqualTo("compact,delete");
        assertThat(windowed.retentionMs()).isEqualTo(86_460_000);
        assertThat(windowed.remoteStorage()).isFalse();
        assertThat(KafkaTopicConfigs.parse(Map.of("cleanup.policy", "delete, compact")).cleanup())
                .as("Kafka's list in either order").isEqualTo(CleanupPolicy.COMPACT_DELETE);
    }

    @Test
    void settingsTierlogDoesAnywayAreAcceptedAtThatValueOnly() {
        KafkaTopicConfigs.parse(Map.of("min.compaction.lag.ms", "0", "delete.retention.ms", "86400000",
                "compression.type", "producer", "min.insync.replicas", "1", "unclean.leader.election.enable", "true"));
        assertThatThrownBy(() -> KafkaTopicConfigs.parse(Map.of("message.timestamp.type", "LogAppendTime")))
                .isInstanceOf(ApiException.class)
                .hasMessageContaining("'message.timestamp.type' must be CreateTime")
                .hasMessageContaining("keeps the producer's timestamps").hasMessageContaining("LogAppendTime");
        assertThatThrownBy(() -> KafkaTopicConfigs.parse(Map.of("min.compaction.lag.ms", "60000")))
                .isInstanceOf(ApiException.class).hasMessageContaining("minimum lag is not implemented");
        assertThatThrownBy(() -> KafkaTopicConfigs.parse(Map.of("delete.retention.ms", "1000")))
                .isInstanceOf(ApiException.class).hasMessageContaining("must be 86400000");
    }

    @Test
    void unsupportedSettingsAreRefusedByNameWithTheReasonWhenThereIsOne() {
        assertThatThrownBy(() -> KafkaTopicConfigs.parse(Map.of("max.message.bytes", "2000000")))
                .isInstanceOf(ApiException.class)
                .hasMessageContaining("unsupported topic config 'max.message.bytes'")
                .hasMessageContaining("not batches per topic")
                .hasMessageContaining("supported: cleanup.policy, retention.ms");
        assertThatThrownBy(() -> KafkaTopicConfigs.parse(Map.of("segment.index.bytes", "4096")))
                .isInstanceOf(ApiException.class).hasMessageContaining("unsupported topic config 'segment.index.bytes'");
        assertThatThrownBy(() -> KafkaTopicConfigs.parse(Map.of("cleanup.policy", "compact,tidy")))
                .isInstanceOf(ApiException.class).hasMessageContaining("'compact,delete'");
        assertThatThrownBy(() -> KafkaTopicConfigs.parse(Map.of("cleanup.policy", "compact", "remote.storage.enable", "true")))
                .isInstanceOf(ApiException.class).hasMessageContaining("remoteStorage false");
    }

    @Test
    void describeAnswersWhatCreateTopicsSet() {
        TopicConfig windowed = KafkaTopicConfigs.parse(Map.of("cleanup.policy", "compact,delete", "retention.ms", "86460000"));
        Map<String, ConfigEntry> described = KafkaTopicConfigs.describe(windowed).stream()
                .collect(Collectors.toMap(ConfigEntry::name, e -> e));
        assertThat(described.get("cleanup.policy").value()).isEqualTo("compact,delete");
        assertThat(described.get("cleanup.policy").isDefault()).isFalse();
        assertThat(described.get("retention.ms").value()).isEqualTo("86460000");
        assertThat(described.get("remote.storage.enable").value()).isEqualTo("false");
        assertThat(described.get("min.compaction.lag.ms").value()).isEqualTo("0");
        assertThat(described.get("delete.retention.ms").value()).isEqualTo("86400000");
        // what describe answers is accepted back by create (kafka-configs output pasted into kafka-topics --config)
        Map<String, String> writable = KafkaTopicConfigs.describe(windowed).stream().filter(e -> !e.readOnly())
                .collect(Collectors.toMap(ConfigEntry::name, ConfigEntry::value));
        assertThat(KafkaTopicConfigs.parse(writable)).isEqualTo(windowed);
        assertThat(List.copyOf(described.keySet())).doesNotContain("max.message.bytes");
    }
}
