package io.tierlog.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The loss window of a tiered topic (README, "What a disk loss costs"): an acknowledged record reaches S3 within
 * {@code segmentMs} plus one retention check plus the upload, even when nothing more is written after it (the
 * active segment is rolled by time, not only by size). Only data younger than that is lost with the disk.
 */
class LossWindowTest {
    private static final long SEGMENT_MS = 1500;

    @TempDir
    Path dir;

    @Test
    void anIdleActiveSegmentIsRolledAndUploadedWithinSegmentMs() {
        try (ServerHarness h = new ServerHarness(dir.resolve("data"))) {
            // segments far larger than what is written: only the time bound can close them
            h.createTopic("w", 1, "{\"segmentBytes\":1048576,\"segmentMs\":" + SEGMENT_MS
                    + ",\"localRetentionMs\":-1,\"retentionMs\":-1}");
            for (int round = 1; round <= 2; round++) {
                assertThat(h.post("/v1/topics/w/records", "{\"records\":[{\"name\":\"m\",\"value\":1},{\"name\":\"m\",\"value\":2}]}")
                        .status()).isEqualTo(200);
                long acked = 2L * round;
                // the window: segmentMs + retention.check.interval.ms (100 ms here) + one upload to the embedded store
                await().atMost(Duration.ofMillis(SEGMENT_MS + 8_000)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
                    JsonNode p = h.get("/v1/topics/w").json().get("partitions").get(0);
                    assertThat(p.get("remoteEndOffset").asLong()).as("every acknowledged record is in S3").isEqualTo(acked);
                });
            }
        }
    }
}
