package io.tierlog.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tierlog.core.MetricEvent;
import io.tierlog.server.ServerConfig;
import io.tierlog.server.TierlogServer;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SDK against the real server (in-process, embedded S3), plus reads that need the cold tier. */
class RealServerSdkTest extends AbstractSdkTest {
    @TempDir
    static Path dataDir;
    static TierlogServer server;

    @BeforeAll
    static void start() {
        server = TierlogServer.start(ServerConfig.load(null, Map.of(), Map.of("port", "0", "kafka.port", "0",
                "data.dir", dataDir.toString(), "retention.check.interval.ms", "100")));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Override
    protected URI uri() {
        return URI.create("http://127.0.0.1:" + server.port());
    }

    /** A topic whose older segments move to S3 and leave local disk quickly. */
    private void createTieredTopic(String name, int partitions) {
        client.createTopic(name, partitions, Map.of("segmentBytes", 4096, "localRetentionBytes", 1,
                "localRetentionMs", 1));
    }

    private void produceInSmallBatches(String name, int n, int partition) {
        ProducerConfig cfg = ProducerConfig.builder().linger(Duration.ZERO).batchBytes(1024).build();
        long now = System.currentTimeMillis(); // total retention (7 days) would delete older samples at once
        try (TierlogProducer p = client.producer(cfg)) {
            for (int i = 0; i < n; i++) {
                p.send(name, partition, new MetricEvent("temp.c", Map.of("room", "r" + (i % 3)), now + i, i));
                if (i % 50 == 49) {
                    p.flush(); // many appends, so that segments roll (a roll happens between appends)
                }
            }
        }
    }

    @Test
    void offsetRangeQueryPagesAcrossColdAndHotTiers() {
        createTieredTopic(topic, 1);
        produceInSmallBatches(topic, 2000, 0);
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            TopicInfo.PartitionInfo p = client.describeTopic(topic).partition(0);
            return p.coldSegments() > 0 && p.localLogStartOffset() > 0;
        });
        long localStart = client.describeTopic(topic).partition(0).localLogStartOffset();
        RecordCursor cursor = client.query().offsetRange(topic, 0, 0, Long.MAX_VALUE, 97);
        List<Long> offsets = cursor.stream().map(ConsumedRecord::offset).toList();
        assertThat(offsets).containsExactlyElementsOf(LongStream.range(0, 2000).boxed().toList());
        assertThat(cursor.coldRecords()).as("records below local start %d come from S3", localStart)
                .isGreaterThanOrEqualTo(localStart);
        assertThat(cursor.pages()).isGreaterThanOrEqualTo(2000 / 97);
    }

    @Test
    void consumerReadsFromColdTierIntoTheTail() {
        createTieredTopic(topic, 1);
        produceInSmallBatches(topic, 1000, 0);
        await().atMost(Duration.ofSeconds(30)).until(() -> client.describeTopic(topic).partition(0).localLogStartOffset() > 0);
        List<ConsumedRecord> read = readAll(topic, 1000);
        assertThat(read).extracting(ConsumedRecord::offset).containsExactlyElementsOf(LongStream.range(0, 1000).boxed().toList());
        assertThat(read).extracting(r -> r.metric().value()).containsExactlyElementsOf(
                LongStream.range(0, 1000).mapToDouble(l -> l).boxed().toList());
    }

    @Test
    void timeRangeQueryWithFiltersPagesInTimestampOrder() {
        client.createTopic(topic, 3, Map.of());
        try (TierlogProducer p = client.producer(ProducerConfig.defaults())) {
            for (int i = 0; i < 600; i++) {
                // timestamps repeat across series so that pages split inside equal timestamps
                p.send(topic, new MetricEvent(i % 2 == 0 ? "cpu.usage" : "mem.used",
                        Map.of("host", "h" + (i % 6)), 1_700_000_000_000L + i / 6, i));
            }
        }
        TierlogQuery.TimeRange q = TierlogQuery.TimeRange.of(topic, 1_700_000_000_010L, 1_700_000_000_090L)
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
        client.query().timeRange(TierlogQuery.TimeRange.of(topic, 1_700_000_000_000L, 1_700_000_000_100L).withPageSize(7))
                .forEachRemaining(all::add);
        assertThat(all).hasSize(600);
        assertThat(all).extracting(r -> r.metric().value()).doesNotHaveDuplicates();
    }

    @Test
    void retriesThroughAProxyThatAnswers503TwiceLoseNothing() throws Exception {
        client.createTopic(topic, 1, Map.of());
        try (FlakyProxy proxy = new FlakyProxy(uri());
             TierlogClient viaProxy = TierlogClient.create(proxy.uri())) {
            proxy.failuresLeft.set(2);
            List<java.util.concurrent.CompletableFuture<Long>> fs = new ArrayList<>();
            try (TierlogProducer p = viaProxy.producer(ProducerConfig.builder().linger(Duration.ofMillis(20))
                    .retryBackoff(Duration.ofMillis(10)).build())) {
                for (int i = 0; i < 300; i++) {
                    fs.add(p.send(topic, sample(i)));
                }
                p.flush();
                assertThat(p.stats().retries()).isEqualTo(2);
            }
            assertThat(fs.stream().map(java.util.concurrent.CompletableFuture::join).toList())
                    .containsExactlyElementsOf(LongStream.range(0, 300).boxed().toList());
            assertThat(proxy.produceRequests.get()).isGreaterThanOrEqualTo(3);
        }
        assertThat(client.describeTopic(topic).partition(0).highWatermark()).isEqualTo(300);
        assertThat(readAll(topic, 300)).extracting(r -> r.metric().value()).doesNotHaveDuplicates().hasSize(300);
    }
}
