package io.tierlog.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The SDK against the in-memory fake, plus what only the fake can show (request counts, injected 503s). */
class FakeServerSdkTest extends AbstractSdkTest {
    static FakeTierlog fake;

    @BeforeAll
    static void start() throws Exception {
        fake = new FakeTierlog();
    }

    @AfterAll
    static void stop() {
        fake.close();
    }

    @Override
    protected URI uri() {
        return fake.uri();
    }

    @Test
    void oneRequestReachesTheServerForManySends() {
        client.createTopic(topic, 1, Map.of());
        int before = fake.produceRequests.get();
        try (TierlogProducer p = client.producer(ProducerConfig.builder().linger(Duration.ofSeconds(30)).build())) {
            List<CompletableFuture<Long>> fs = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                fs.add(p.send(topic, sample(i)));
            }
            assertThat(fake.produceRequests.get()).isEqualTo(before);
            p.flush();
            fs.forEach(CompletableFuture::join);
        }
        assertThat(fake.produceRequests.get() - before).isEqualTo(1);
        assertThat(fake.recordCount(topic)).isEqualTo(200);
    }

    @Test
    void retriesAfter503sWithoutLossOrDuplicates() {
        client.createTopic(topic, 1, Map.of());
        fake.injectProduceFailures(503, 503);
        int rejectedBefore = fake.rejectedWith503.get();
        try (TierlogProducer p = client.producer(ProducerConfig.builder().linger(Duration.ofMillis(50))
                .retryBackoff(Duration.ofMillis(10)).build())) {
            List<CompletableFuture<Long>> fs = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                fs.add(p.send(topic, sample(i)));
            }
            assertThat(fs.stream().map(CompletableFuture::join).toList())
                    .containsExactlyElementsOf(java.util.stream.LongStream.range(0, 30).boxed().toList());
            assertThat(p.stats().retries()).isEqualTo(2);
        }
        assertThat(fake.rejectedWith503.get() - rejectedBefore).isEqualTo(2);
        assertThat(fake.recordCount(topic)).isEqualTo(30);
    }

    @Test
    void retriesRunOutIntoATypedFailure() {
        client.createTopic(topic, 1, Map.of());
        fake.injectProduceFailures(503, 503);
        try (TierlogProducer p = client.producer(ProducerConfig.builder().linger(Duration.ZERO).retries(1)
                .retryBackoff(Duration.ofMillis(5)).build())) {
            CompletableFuture<Long> f = p.send(topic, sample(1));
            assertThat(f).failsWithin(Duration.ofSeconds(5)).withThrowableThat()
                    .withCauseInstanceOf(TierlogServerException.Overloaded.class);
            assertThat(p.stats().recordsFailed()).isEqualTo(1);
            assertThat(p.stats().retries()).isEqualTo(1);
        }
        assertThat(fake.recordCount(topic)).isZero();
    }

    @Test
    void connectionErrorsAreRetriedThenReported() throws Exception {
        FakeTierlog doomed = new FakeTierlog();
        try (TierlogClient c = TierlogClient.create(doomed.uri(), Duration.ofMillis(500), Duration.ofSeconds(2))) {
            c.createTopic(topic, 1, Map.of());
            TierlogProducer p = c.producer(ProducerConfig.builder().linger(Duration.ZERO).retries(2)
                    .retryBackoff(Duration.ofMillis(10)).build());
            assertThat(p.send(topic, sample(0)).join()).isZero();
            doomed.close();
            CompletableFuture<Long> f = p.send(topic, sample(1));
            assertThat(f).failsWithin(Duration.ofSeconds(10)).withThrowableThat()
                    .withCauseExactlyInstanceOf(TierlogClientException.class)
                    .havingCause().withCauseInstanceOf(java.io.IOException.class);
            assertThat(p.stats().retries()).isEqualTo(2);
        }
    }

    @Test
    void consumerReadsJsonWhenTheServerIgnoresTheBinaryAccept() {
        fake.binaryFetch = false;
        try {
            client.createTopic(topic, 2, FakeTierlog.bytesSchema());
            try (TierlogProducer p = client.producer(ProducerConfig.defaults())) {
                for (int i = 0; i < 10; i++) {
                    p.send(topic, "k" + i, "v" + i);
                }
            }
            List<ConsumedRecord> read = readAll(topic, 10);
            assertThat(read).extracting(ConsumedRecord::valueString).containsExactlyInAnyOrder(
                    "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9");
        } finally {
            fake.binaryFetch = true;
        }
    }
}
