package io.tierlog.sdk;

import static io.tierlog.sdk.SdkTesting.T0;
import static io.tierlog.sdk.SdkTesting.newTopic;
import static io.tierlog.sdk.SdkTesting.sample;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tierlog.core.MetricEvent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What still speaks HTTP: the query client (offset and time ranges across both tiers) and topic administration. */
class QueryAndAdminTest extends ServerPerClass {
    @Test
    void offsetRangeQueryPagesLazily() {
        client.createTopic(topic, 1, Map.of());
        try (TierlogProducer p = client.producer(ProducerConfig.defaults())) {
            for (int i = 0; i < 100; i++) {
                p.send(topic, 0, sample(i));
            }
        }
        RecordCursor cursor = client.query().offsetRange(topic, 0, 10, 95, 7);
        assertThat(cursor.pages()).isZero();
        List<Long> offsets = cursor.stream().map(ConsumedRecord::offset).toList();
        assertThat(offsets).containsExactlyElementsOf(LongStream.range(10, 95).boxed().toList());
        assertThat(cursor.pages()).isEqualTo(13);
        assertThat(client.query().offsetRange(topic, 0, 90, Long.MAX_VALUE, 7).stream().count()).isEqualTo(10);
    }

    @Test
    void offsetRangeQueryPagesAcrossColdAndHotTiers() {
        client.createTopic(topic, 1, Map.of("segmentBytes", 4096, "localRetentionBytes", 1, "localRetentionMs", 1));
        long now = System.currentTimeMillis(); // total retention (7 days) would delete older samples at once
        try (TierlogProducer p = client.producer(ProducerConfig.builder().linger(Duration.ZERO).batchBytes(1024).build())) {
            for (int i = 0; i < 2000; i++) {
                p.send(topic, 0, new MetricEvent("temp.c", Map.of("room", "r" + (i % 3)), now + i, i));
                if (i % 50 == 49) {
                    p.flush(); // many appends, so that segments roll (a roll happens between appends)
                }
            }
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            TopicInfo.PartitionInfo p = client.describeTopic(topic).partition(0);
            return p.coldSegments() > 0 && p.localLogStartOffset() > 0;
        });
        long localStart = client.describeTopic(topic).partition(0).localLogStartOffset();
        RecordCursor cursor = client.query().offsetRange(topic, 0, 0, Long.MAX_VALUE, 97);
        assertThat(cursor.stream().map(ConsumedRecord::offset).toList())
                .containsExactlyElementsOf(LongStream.range(0, 2000).boxed().toList());
        assertThat(cursor.coldRecords()).as("records below local start %d come from S3", localStart)
                .isGreaterThanOrEqualTo(localStart);
        assertThat(cursor.pages()).isGreaterThanOrEqualTo(2000 / 97);
    }

    @Test
    void timeRangeQueryWithFiltersPagesInTimestampOrder() {
        client.createTopic(topic, 3, Map.of());
        try (TierlogProducer p = client.producer(ProducerConfig.defaults())) {
            for (int i = 0; i < 600; i++) {
                // timestamps repeat across series so that pages split inside equal timestamps
                p.send(topic, new MetricEvent(i % 2 == 0 ? "cpu.usage" : "mem.used",
                        Map.of("host", "h" + (i % 6)), T0 + i / 6, i));
            }
        }
        TierlogQuery.TimeRange q = TierlogQuery.TimeRange.of(topic, T0 + 10, T0 + 90)
                .withName("cpu.usage").withTags(Map.of("host", "h2")).withPageSize(4);
        RecordCursor cursor = client.query().timeRange(q);
        List<ConsumedRecord> got = new ArrayList<>();
        cursor.forEachRemaining(got::add);
        // host h2 gets i with i % 6 == 2, always even, so always cpu.usage: one per timestamp in [10, 90)
        assertThat(got).hasSize(80);
        assertThat(got).allSatisfy(r -> {
            assertThat(r.metric().name()).isEqualTo("cpu.usage");
            assertThat(r.metric().tags()).containsEntry("host", "h2");
        });
        assertThat(got).extracting(ConsumedRecord::timestamp).isSorted().doesNotHaveDuplicates();
        assertThat(cursor.pages()).isGreaterThanOrEqualTo(20);

        List<ConsumedRecord> all = new ArrayList<>();
        client.query().timeRange(TierlogQuery.TimeRange.of(topic, T0, T0 + 100).withPageSize(7))
                .forEachRemaining(all::add);
        assertThat(all).hasSize(600);
        assertThat(all).extracting(r -> r.metric().value()).doesNotHaveDuplicates();
    }

    @Test
    void adminCallsAndTheirTypedErrors() {
        assertThat(client.isHealthy()).isTrue();
        assertThatThrownBy(() -> client.describeTopic("missing-" + topic)).isInstanceOf(TierlogServerException.NotFound.class)
                .satisfies(e -> assertThat(((TierlogServerException) e).status()).isEqualTo(404));
        TopicInfo created = client.createTopic(topic, 3, Map.of("schema", "bytes"));
        assertThat(created.partitions()).hasSize(3);
        assertThat(created.isMetrics()).isFalse();
        assertThatThrownBy(() -> client.createTopic(topic, 1, Map.of())).isInstanceOf(TierlogServerException.Conflict.class);
        assertThat(client.listTopics()).extracting(TopicInfo::name).contains(topic);
        client.deleteTopic(topic);
        assertThat(client.listTopics()).extracting(TopicInfo::name).doesNotContain(topic);
    }

    @Test
    void aServerWithoutKafkaListenerServesQueriesAndRefusesProducersWithAReason(@TempDir Path otherDir) {
        try (TestServer noKafka = TestServer.start(otherDir, Map.of("kafka.port", "-1"));
             TierlogClient c = TierlogClient.create(noKafka.uri())) {
            c.createTopic(topic, 1, Map.of());
            assertThat(c.query().offsetRange(topic, 0, 0, Long.MAX_VALUE).hasNext()).isFalse();
            assertThatThrownBy(() -> c.producer(ProducerConfig.defaults())).isInstanceOf(TierlogClientException.class)
                    .hasMessageContaining("no Kafka listener");
        }
    }
}
