package io.tierlog.server;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Data for the console's tests, in both tiers: a metrics topic {@code cpu} (2 partitions, 1 KiB segments, local
 * copies kept up to {@value #LOCAL_BYTES} bytes, so each partition has offsets only in S3, in both tiers and only
 * local), three series of {@value #POINTS} points each a minute apart ending now, a bytes topic {@code orders} and a
 * consumer group {@code dashboards}. {@link #load} returns once uploads and local retention are done, so nothing
 * moves under the tests afterwards.
 */
final class ConsoleFixture {
    static final int POINTS = 120;
    static final long LOCAL_BYTES = 3000;
    static final List<String> HOSTS = List.of("web-1", "web-2", "web-3");

    /** The first sample's time and a time past the last one (the query's end is exclusive). */
    final long from;
    final long to;

    private ConsoleFixture(long from, long to) {
        this.from = from;
        this.to = to;
    }

    static ConsoleFixture load(ServerHarness h) {
        long end = System.currentTimeMillis() / 60_000 * 60_000;
        long start = end - (POINTS - 1) * 60_000L;
        // uncompressed batches, so that these few samples fill several 1 KiB segments (zstd would fit them in one)
        h.createTopic("cpu", 2, "{\"segmentBytes\":1024,\"localRetentionMs\":-1,\"localRetentionBytes\":" + LOCAL_BYTES
                + ",\"retentionMs\":-1,\"compressionType\":\"none\"}");
        h.createTopic("orders", 3, "{\"schema\":\"bytes\"}");
        for (int i = 0; i < POINTS; i += 10) {
            StringBuilder sb = new StringBuilder("{\"records\":[");
            for (int j = i; j < i + 10; j++) {
                for (int k = 0; k < HOSTS.size(); k++) {
                    double v = Math.round((50 + 30 * Math.sin(j / 12.0 + k * 2.1)) * 100) / 100.0;
                    sb.append(sb.length() > 12 ? "," : "").append("{\"name\":\"cpu.usage\",\"tags\":{\"host\":\"")
                            .append(HOSTS.get(k)).append("\"},\"value\":").append(v).append(",\"timestamp\":")
                            .append(start + j * 60_000L).append('}');
                }
            }
            ServerHarness.Resp r = h.post("/v1/topics/cpu/records", sb.append("]}").toString());
            assertThat(r.status()).as(r.body()).isEqualTo(200);
        }
        assertThat(h.post("/v1/topics/orders/records", "{\"records\":[{\"key\":\"o-1\",\"value\":{\"item\":\"book\",\"qty\":1}},"
                + "{\"key\":\"o-2\",\"value\":{\"item\":\"pen\",\"qty\":3}}]}").status()).isEqualTo(200);
        assertThat(h.put("/v1/groups/dashboards/offsets", "{\"topic\":\"cpu\",\"offsets\":[{\"partition\":0,\"offset\":10},"
                + "{\"partition\":1,\"offset\":200}]}").status()).isEqualTo(204);
        // settled: every closed segment uploaded and local retention done, with offsets in each of the three ranges
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            for (int p = 0; p < 2; p++) {
                JsonNode s = h.get("/v1/topics/cpu/partitions/" + p + "/segments").json();
                assertThat(s.get("offloadLagBytes").asLong()).isZero();
                assertThat(s.get("localBytes").asLong() <= LOCAL_BYTES || s.get("localSegmentCount").asInt() == 1).isTrue();
                long localStart = s.get("localLogStartOffset").asLong();
                assertThat(localStart).isGreaterThan(s.get("logStartOffset").asLong());
                assertThat(s.get("remoteEndOffset").asLong()).isGreaterThan(localStart);
                assertThat(s.get("highWatermark").asLong()).isGreaterThan(s.get("remoteEndOffset").asLong());
            }
        });
        return new ConsoleFixture(start, end + 1000); // a whole second past the last sample: the console's inputs have seconds
    }
}
