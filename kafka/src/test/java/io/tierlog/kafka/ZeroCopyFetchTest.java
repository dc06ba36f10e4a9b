package io.tierlog.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.MutableRecordBatch;
import org.apache.kafka.common.record.SimpleRecord;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FetchResponse;
import org.apache.kafka.common.requests.ProduceResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A fetch answer far larger than the socket buffers, to a client that does not read at first: sendfile meets a full
 * socket (on a virtual thread it returns 0 instead of blocking), the listener falls back to a blocking copy, and
 * the client still receives every batch intact and in order.
 */
class ZeroCopyFetchTest {

    private static final int BATCHES = 24;
    private static final int BATCH_BYTES = 900 * 1024;

    private ListenerFixture fixture;

    @BeforeEach
    void start() throws Exception {
        fixture = new ListenerFixture();
        fixture.backend.createTopic("bulk", 1);
    }

    @AfterEach
    void stop() throws Exception {
        fixture.close();
    }

    private void produceBulk() throws Exception {
        Random random = new Random(7);
        try (RawClient producer = new RawClient(fixture.listener.port())) {
            for (int i = 0; i < BATCHES; i++) {
                byte[] value = new byte[BATCH_BYTES];
                random.nextBytes(value);
                MemoryRecords records = MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(i, null, value));
                ProduceResponse r = producer.roundTrip(RawClient.produce((short) 9, "bulk", Uuid.ZERO_UUID, (short) 1,
                        records), i, ProduceResponse.class);
                assertThat(r.data().responses().iterator().next().partitionResponses().getFirst().errorCode()).isZero();
            }
        }
    }

    private static FetchRequest fetchEverything() {
        FetchRequest fetch = RawClient.fetch((short) 12, "bulk", 0, 0, 1);
        fetch.data().setMaxBytes(Integer.MAX_VALUE);
        fetch.data().topics().getFirst().partitions().getFirst().setPartitionMaxBytes(Integer.MAX_VALUE);
        return fetch;
    }

    @Test
    void a_slow_reader_gets_every_batch_intact_when_sendfile_meets_a_full_socket() throws Exception {
        produceBulk();
        try (RawClient reader = new RawClient(fixture.listener.port(), 4096)) {
            FetchRequest fetch = fetchEverything();
            reader.send(fetch, 1);
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> fixture.counter("tierlog.kafka.fetch.socket.full") > 0);

            AbstractResponse parsed = reader.receive(fetch, 1);
            MemoryRecords records = (MemoryRecords) ((FetchResponse) parsed).data().responses().getFirst()
                    .partitions().getFirst().records();
            List<Long> offsets = new ArrayList<>();
            for (MutableRecordBatch b : records.batches()) {
                b.ensureValid();
                offsets.add(b.baseOffset());
            }
            assertThat(offsets).hasSize(BATCHES).isSorted().doesNotHaveDuplicates();
            assertThat(fixture.counter("tierlog.kafka.fetch.sendfile.bytes")).isPositive();
            assertThat(fixture.counter("tierlog.kafka.fetch.copied.bytes")).isPositive();
        }
    }

    @Test
    void closing_the_listener_while_an_answer_is_stuck_in_a_full_socket_releases_its_file_regions() throws Exception {
        produceBulk();
        try (RawClient reader = new RawClient(fixture.listener.port(), 4096)) {
            reader.send(fetchEverything(), 1);
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> fixture.counter("tierlog.kafka.fetch.socket.full") > 0);
            assertThat(fixture.backend.pinnedRegions.get()).as("the stuck answer pins its region").isPositive();
            fixture.listener.close();
            assertThat(fixture.backend.pinnedRegions.get()).as("released once the listener closed").isZero();
        }
    }
}
