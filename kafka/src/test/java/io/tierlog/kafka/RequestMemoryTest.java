package io.tierlog.kafka;

import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.MetadataResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The listener's memory for request frames is bounded across connections: a frame that does not fit the budget
 * waits (its connection stops reading) until frames held by others are handled or abandoned, and every byte of the
 * budget comes back.
 */
class RequestMemoryTest {
    private static final int MAX_REQUEST = 64 * 1024;
    private static final int BUDGET = 100 * 1024;

    private ListenerFixture fixture;

    @BeforeEach
    void start() throws Exception {
        fixture = new ListenerFixture(MAX_REQUEST, BUDGET);
    }

    @AfterEach
    void stop() throws Exception {
        fixture.close();
    }

    /** A valid Metadata request of about 60 KiB: 600 topic names of 100 characters. */
    private static MetadataRequest bigMetadata() {
        List<MetadataRequestData.MetadataRequestTopic> topics = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            topics.add(new MetadataRequestData.MetadataRequestTopic().setName(String.format("t%099d", i)));
        }
        return new MetadataRequest(new MetadataRequestData().setTopics(topics).setAllowAutoTopicCreation(false), (short) 9);
    }

    @Test
    void aFrameThatDoesNotFitTheBudgetWaitsForTheOthersAndEveryByteComesBack() throws Exception {
        byte[] payload = RawClient.payload(bigMetadata(), 7);
        assertThat(payload.length).isBetween(BUDGET - MAX_REQUEST + 1, MAX_REQUEST);
        try (RawClient holder = new RawClient(fixture.listener.port());
             RawClient waiter = new RawClient(fixture.listener.port())) {
            // the holder announces a frame as large as the waiter's and sends only its first bytes: its size is held
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            new DataOutputStream(b).writeInt(payload.length);
            holder.sendRaw(b.toByteArray());
            holder.sendRaw(new byte[]{0, 3});
            await().until(() -> fixture.listener.requestMemoryAvailable() == BUDGET - payload.length);

            waiter.sendFrame(payload);
            waiter.timeout(500);
            assertThatThrownBy(waiter::receiveFrame).as("no answer while the budget is held")
                    .isInstanceOf(SocketTimeoutException.class);

            holder.close(); // the half-sent frame is abandoned: its bytes return and the waiter's frame is read
            waiter.timeout(10_000);
            MetadataResponse r = (MetadataResponse) waiter.receive(bigMetadata(), 7);
            assertThat(r.data().topics()).hasSize(600);
        }
        await().until(() -> fixture.listener.requestMemoryAvailable() == BUDGET);
    }
}
