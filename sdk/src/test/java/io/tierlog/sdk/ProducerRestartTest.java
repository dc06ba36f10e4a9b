package io.tierlog.sdk;

import static io.tierlog.sdk.SdkTesting.T0;
import static io.tierlog.sdk.SdkTesting.newTopic;
import static io.tierlog.sdk.SdkTesting.readAll;
import static io.tierlog.sdk.SdkTesting.sample;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.tierlog.core.MetricEvent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The producer while its server stops: restarted (idempotent retries, nothing twice) or gone (delivery timeout). */
class ProducerRestartTest {
    @TempDir
    Path dataDir;
    TestServer server;
    TierlogClient client;
    String topic;

    @BeforeEach
    void start() {
        server = TestServer.start(dataDir, Map.of());
        client = TierlogClient.create(server.uri());
        topic = newTopic();
    }

    @AfterEach
    void stop() {
        try {
            client.close();
        } finally {
            server.close();
        }
    }

    @Test
    void aDurableProducerRunsThroughAServerRestartWithoutLosingOrRepeatingARecord() throws Exception {
        client.createTopic(topic, 2, Map.of());
        int n = 20_000;
        int series = 10;
        List<CompletableFuture<Long>> fs = new ArrayList<>(n);
        ProducerConfig cfg = ProducerConfig.builder().acks("durable").linger(Duration.ofMillis(2)).batchBytes(4096)
                .retryBackoffMax(Duration.ofMillis(200)).build();
        try (TierlogProducer p = client.producer(cfg)) {
            CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> {
                for (int i = 0; i < n; i++) {
                    CompletableFuture<Long> f = p.send(topic, new MetricEvent("seq", Map.of("s", "s" + (i % series)),
                            T0 + i, i));
                    synchronized (fs) {
                        fs.add(f);
                    }
                }
            });
            await().atMost(Duration.ofSeconds(30)).until(() -> p.stats().recordsAcknowledged() >= 3_000);
            server.stop();
            server.start();
            sending.get(60, TimeUnit.SECONDS);
            CompletableFuture.allOf(fs.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            assertThat(p.stats().recordsFailed()).isZero();
            assertThat(p.stats().retries()).as("requests in flight at the stop were retried").isPositive();
        }
        assertThat(client.describeTopic(topic).partitions().stream().mapToLong(TopicInfo.PartitionInfo::highWatermark).sum())
                .as("every record stored once").isEqualTo(n);
        List<ConsumedRecord> read = readAll(client, topic, n);
        Map<Integer, ConsumedRecord> byValue = new HashMap<>();
        read.forEach(r -> assertThat(byValue.put((int) r.metric().value(), r)).as("duplicate %s", r).isNull());
        for (int i = 0; i < n; i++) {
            assertThat(byValue.get(i).offset()).as("record %d is where its future said", i).isEqualTo(fs.get(i).join());
        }
        read.stream().collect(Collectors.groupingBy(r -> r.metric().tags().get("s"))).forEach((s, rs) ->
                assertThat(rs.stream().sorted(Comparator.comparingLong(ConsumedRecord::offset)).map(r -> r.metric().value()).toList())
                        .as("series %s in order", s).isSorted());
    }

    @Test
    void recordsFailAfterTheirDeliveryTimeoutWhenTheServerIsGoneAndCloseFailsWhatItHolds() {
        client.createTopic(topic, 1, Map.of());
        Duration deliveryTimeout = Duration.ofSeconds(4);
        Duration maxBlock = Duration.ofSeconds(1);
        // records linger 2 s in the producer: long enough to stop the server before they are sent
        ProducerConfig cfg = ProducerConfig.builder().linger(Duration.ofSeconds(2)).requestTimeout(Duration.ofSeconds(1))
                .deliveryTimeout(deliveryTimeout).maxBlock(maxBlock).build();
        TierlogProducer expiring = client.producer(cfg);
        TierlogProducer closing = client.producer(cfg);
        for (TierlogProducer p : List.of(expiring, closing)) {
            CompletableFuture<Long> warm = p.send(topic, sample(0));
            p.flush();
            assertThat(warm.join()).isNotNegative();
        }
        long t0 = System.nanoTime();
        List<CompletableFuture<Long>> toExpire = new ArrayList<>();
        List<CompletableFuture<Long>> toAbandon = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            toExpire.add(expiring.send(topic, sample(i)));
            toAbandon.add(closing.send(topic, sample(i)));
        }
        server.stop();

        closing.close(Duration.ofMillis(200));
        assertThat(toAbandon).allSatisfy(f -> assertThat(f).isCompletedExceptionally());
        assertThatThrownBy(toAbandon.get(0)::join).cause().isExactlyInstanceOf(TierlogClientException.class)
                .hasMessageContaining("closed");
        assertThat(closing.stats().recordsFailed()).isEqualTo(5);

        for (CompletableFuture<Long> f : toExpire) {
            assertThat(f).failsWithin(Duration.ofSeconds(20)).withThrowableThat()
                    .havingCause().isExactlyInstanceOf(TierlogClientException.class)
                    .havingCause().isInstanceOf(org.apache.kafka.common.errors.TimeoutException.class);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(deliveryTimeout.minusMillis(100));

        // by now kafka-clients has dropped the server's metadata (it bootstraps again): a send waits maxBlock for it
        long t1 = System.nanoTime();
        CompletableFuture<Long> late = expiring.send(topic, sample(6));
        assertThat(late).failsWithin(Duration.ofSeconds(20)).withThrowableThat()
                .havingCause().havingCause().isInstanceOf(org.apache.kafka.common.errors.TimeoutException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - t1)).isLessThan(maxBlock.plus(deliveryTimeout).plusSeconds(5));
        expiring.close(Duration.ZERO);
    }
}
