package io.tierlog.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The console's static files and JSON endpoints against a whole server with data in both tiers: the numbers agree
 * with the topic description and the reads, every bound holds, bad input is a 4xx in the API's error shape.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsoleApiTest {
    @TempDir
    static Path dir;
    private ServerHarness h;
    private ConsoleFixture data;

    @BeforeAll
    void start() {
        h = new ServerHarness(dir.resolve("data"), ServerHarness.QUICK_GROUPS);
        data = ConsoleFixture.load(h);
    }

    @AfterAll
    void stop() {
        h.close();
    }

    @Test
    void theConsoleIsServedAtTheRootWithEveryModuleItImports() throws IOException {
        ServerHarness.Resp index = h.get("/");
        assertThat(index.status()).isEqualTo(200);
        assertThat(index.header("Content-Type")).startsWith("text/html");
        assertThat(index.header("Content-Security-Policy")).isEqualTo(ConsoleApi.CONTENT_SECURITY_POLICY);
        assertThat(index.body()).contains("<script type=\"module\" src=\"/js/main.js\">");
        // every file the page and its modules name is served (a typo in an import fails here, not only in a browser)
        List<String> pending = new ArrayList<>(List.of("/console.css", "/vendor/uplot/uPlot.min.css", "/js/main.js"));
        List<String> seen = new ArrayList<>();
        Pattern imports = Pattern.compile("(?m)^import .*? from '([^']+)';$");
        while (!pending.isEmpty()) {
            String path = pending.removeFirst();
            if (seen.contains(path)) {
                continue;
            }
            seen.add(path);
            ServerHarness.Resp r = h.get(path);
            assertThat(r.status()).as(path).isEqualTo(200);
            if (path.endsWith(".js")) {
                assertThat(r.header("Content-Type")).as(path).contains("javascript");
                Matcher m = imports.matcher(r.body());
                while (m.find()) {
                    String target = m.group(1);
                    pending.add(target.startsWith("/") ? target : URI.create(path).resolve(target).getPath());
                }
            }
        }
        assertThat(seen).contains("/vendor/uplot/uPlot.esm.js", "/js/overview.js", "/js/topic.js", "/js/query.js",
                "/js/groups.js", "/js/tiermap.js", "/js/tail.js", "/js/admin.js");
        ServerHarness.Resp uplot = h.get("/vendor/uplot/uPlot.esm.js");
        assertThat(uplot.body()).contains("export { uPlot as default }");
        ServerHarness.Resp again = h.send(HttpRequest.newBuilder(URI.create(h.base + "/vendor/uplot/uPlot.esm.js"))
                .header("If-None-Match", uplot.header("ETag")));
        assertThat(again.status()).isEqualTo(304);
        // the API's own 404 is untouched
        assertThat(h.get("/v1/nothing").json().get("error").asText()).isEqualTo("not_found");
    }

    @Test
    void segmentsTileBothTiersAndAgreeWithTheTopicDescription() {
        JsonNode topic = h.get("/v1/topics/cpu").json();
        for (int p = 0; p < 2; p++) {
            JsonNode d = topic.get("partitions").get(p);
            JsonNode s = h.get("/v1/topics/cpu/partitions/" + p + "/segments").json();
            assertThat(s.get("logStartOffset").asLong()).isEqualTo(d.get("logStartOffset").asLong());
            assertThat(s.get("localLogStartOffset").asLong()).isEqualTo(d.get("localLogStartOffset").asLong());
            assertThat(s.get("highWatermark").asLong()).isEqualTo(d.get("highWatermark").asLong());
            assertThat(s.get("remoteEndOffset").asLong()).isEqualTo(d.get("remoteEndOffset").asLong());
            assertThat(s.get("remoteSegmentCount").asInt()).isEqualTo(d.get("coldSegments").asInt());
            assertThat(s.get("localSegmentCount").asInt()).isEqualTo(d.get("hotSegments").asInt());
            assertThat(s.get("truncated").asBoolean()).isFalse();
            // remote segments tile [logStart, remoteEnd), local ones [localStart, highWatermark), the last one active
            assertThat(tiling(s.get("remote"), s.get("logStartOffset").asLong())).isEqualTo(s.get("remoteEndOffset").asLong());
            assertThat(tiling(s.get("local"), s.get("localLogStartOffset").asLong())).isEqualTo(s.get("highWatermark").asLong());
            JsonNode local = s.get("local");
            assertThat(local.get(local.size() - 1).get("active").asBoolean()).isTrue();
            for (int i = 0; i < local.size() - 1; i++) {
                assertThat(local.get(i).get("offloaded").asBoolean()).isTrue();
            }
            long remoteBytes = 0;
            for (JsonNode r : s.get("remote")) {
                remoteBytes += r.get("bytes").asLong();
                assertThat(r.get("maxTimestamp").asLong()).isBetween(data.from, data.to);
            }
            assertThat(s.get("remoteBytes").asLong()).isEqualTo(remoteBytes).isPositive();
            // what the read says came from S3 is exactly what lies below the local start
            JsonNode read = h.get("/v1/topics/cpu/partitions/" + p + "/records?offset=0&maxRecords=10000").json();
            assertThat(read.get("tiers").get("cold").asLong()).isEqualTo(s.get("localLogStartOffset").asLong());
        }
        JsonNode few = h.get("/v1/topics/cpu/partitions/1/segments?maxSegments=2").json();
        assertThat(few.get("truncated").asBoolean()).isTrue();
        assertThat(few.get("remote")).hasSize(2);
        assertThat(few.get("remote").get(1).get("nextOffset").asLong()).isEqualTo(few.get("remoteEndOffset").asLong());
        assertThat(h.get("/v1/topics/cpu/partitions/1/segments?maxSegments=999999").status()).isEqualTo(200);
    }

    private static long tiling(JsonNode segments, long start) {
        long next = start;
        for (JsonNode s : segments) {
            assertThat(s.get("baseOffset").asLong()).isEqualTo(next);
            assertThat(s.get("nextOffset").asLong()).isGreaterThanOrEqualTo(next);
            next = s.get("nextOffset").asLong();
        }
        return next;
    }

    @Test
    void storageAddsUpThePartitionsAndPagesByName() {
        JsonNode all = h.get("/v1/storage").json();
        assertThat(all.get("total").asInt()).isGreaterThanOrEqualTo(2);
        JsonNode cpu = null;
        for (JsonNode t : all.get("topics")) {
            if (t.get("name").asText().equals("cpu")) {
                cpu = t;
            }
        }
        assertThat(cpu).isNotNull();
        long records = 0;
        long local = 0;
        long remote = 0;
        for (int p = 0; p < 2; p++) {
            JsonNode s = h.get("/v1/topics/cpu/partitions/" + p + "/segments").json();
            records += s.get("highWatermark").asLong() - s.get("logStartOffset").asLong();
            local += s.get("localBytes").asLong();
            remote += s.get("remoteBytes").asLong();
        }
        assertThat(records).isEqualTo(ConsoleFixture.POINTS * ConsoleFixture.HOSTS.size());
        assertThat(cpu.get("records").asLong()).isEqualTo(records);
        assertThat(cpu.get("localBytes").asLong()).isEqualTo(local);
        assertThat(cpu.get("remoteBytes").asLong()).isEqualTo(remote);
        assertThat(cpu.get("offloadLagBytes").asLong()).isZero();
        assertThat(cpu.get("schema").asText()).isEqualTo("metrics");

        JsonNode first = h.get("/v1/storage?limit=1").json();
        assertThat(first.get("topics")).hasSize(1);
        String name = first.get("topics").get(0).get("name").asText();
        assertThat(first.get("next").asText()).isEqualTo(name);
        JsonNode second = h.get("/v1/storage?limit=1&after=" + name).json();
        assertThat(second.get("topics").get(0).get("name").asText()).isGreaterThan(name);
    }

    @Test
    void seriesListNamesAndTagsOfTheRangeWithinTheScanBound() {
        String range = "?from=" + data.from + "&to=" + data.to;
        JsonNode s = h.get("/v1/topics/cpu/series" + range).json();
        assertThat(s.get("names")).hasSize(1);
        assertThat(s.get("names").get(0).get("name").asText()).isEqualTo("cpu.usage");
        assertThat(s.get("names").get(0).get("series").asInt()).isEqualTo(3);
        assertThat(s.get("tags").get("host")).extracting(JsonNode::asText).containsExactlyElementsOf(ConsoleFixture.HOSTS);
        assertThat(s.get("scanned").asInt()).isEqualTo(ConsoleFixture.POINTS * 3);
        assertThat(s.get("complete").asBoolean()).isTrue();

        JsonNode bounded = h.get("/v1/topics/cpu/series" + range + "&maxRecords=5").json();
        assertThat(bounded.get("scanned").asInt()).isEqualTo(5);
        assertThat(bounded.get("complete").asBoolean()).isFalse();
        assertThat(h.get("/v1/topics/cpu/series" + range + "&name=no.such").json().get("names")).isEmpty();
    }

    @Test
    void groupsShowCommittedOffsetsAndLag() {
        JsonNode list = h.get("/v1/groups").json();
        JsonNode g = h.get("/v1/groups/dashboards").json();
        JsonNode parts = g.get("topics").get(0).get("partitions");
        long lag = 0;
        for (JsonNode p : parts) {
            long hw = h.get("/v1/topics/cpu").json().get("partitions").get(p.get("partition").asInt()).get("highWatermark").asLong();
            assertThat(p.get("highWatermark").asLong()).isEqualTo(hw);
            assertThat(p.get("lag").asLong()).isEqualTo(hw - p.get("committed").asLong());
            lag += p.get("lag").asLong();
        }
        assertThat(parts.get(0).get("committed").asLong()).isEqualTo(10);
        assertThat(g.get("state").asText()).as("committed offsets, no member").isEqualTo("Empty");
        assertThat(g.get("members")).isEmpty();
        long listed = 0;
        for (JsonNode x : list.get("groups")) {
            if (x.get("group").asText().equals("dashboards")) {
                listed = x.get("lag").asLong();
            }
        }
        assertThat(listed).isEqualTo(lag);
    }

    @Test
    void aGroupShowsItsKafkaConsumersWithTheirPartitions() {
        try (KafkaConsumer<byte[], byte[]> c = h.kafkaConsumer("watchers", "console-api-test")) {
            c.subscribe(List.of("cpu"));
            Awaitility.await().atMost(Duration.ofSeconds(20)).pollInSameThread().until(() -> {
                c.poll(Duration.ofMillis(50));
                return !c.assignment().isEmpty();
            });
            JsonNode g = h.get("/v1/groups/watchers").json();
            assertThat(g.get("state").asText()).isEqualTo("Stable");
            assertThat(g.get("protocol").asText()).isNotEmpty();
            assertThat(g.get("memberCount").asInt()).isEqualTo(1);
            JsonNode m = g.get("members").get(0);
            assertThat(m.get("clientId").asText()).isEqualTo("console-api-test");
            assertThat(m.get("memberId").asText()).startsWith("console-api-test-");
            assertThat(m.get("clientHost").asText()).contains("127.0.0.1");
            assertThat(m.get("assigned").toString()).isEqualTo("{\"cpu\":[0,1]}");
            assertThat(g.get("topics")).as("no offsets committed").isEmpty();
            JsonNode listed = null;
            for (JsonNode x : h.get("/v1/groups").json().get("groups")) {
                if (x.get("group").asText().equals("watchers")) {
                    listed = x;
                }
            }
            assertThat(listed).as("listed with its member though it committed nothing").isNotNull();
            assertThat(listed.get("members").asInt()).isEqualTo(1);
            assertThat(listed.get("state").asText()).isEqualTo("Stable");
        }
        // it left: no member, and nothing committed either
        Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            ServerHarness.Resp r = h.get("/v1/groups/watchers");
            assertThat(r.status() == 404 || r.json().get("members").isEmpty()).as(r.body()).isTrue();
        });
    }

    @Test
    void statusReportsTheTiersAndTheRing() {
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(h.get("/v1/status").json().get("cold").get("reachable").asBoolean()).isTrue());
        JsonNode s = h.get("/v1/status").json();
        assertThat(s.get("status").asText()).isEqualTo("ok");
        assertThat(s.get("problems")).isEmpty();
        assertThat(s.get("auth").get("required").asBoolean()).isFalse();
        assertThat(s.get("hot").get("localBytes").asLong()).isPositive();
        assertThat(s.get("hot").get("partitions").asInt()).isGreaterThanOrEqualTo(5);
        assertThat(s.get("cold").get("uploads").asLong()).isPositive();
        assertThat(s.get("cold").get("embedded").asBoolean()).isTrue();
        assertThat(s.get("ingest").get("ringSize").asInt()).isEqualTo(h.server.config().ingestRingSize());
        assertThat(s.get("ingest").get("ringRemainingMin").asLong()).isPositive();
        assertThat(s.get("kafkaPort").asInt()).isEqualTo(h.server.kafkaPort());
    }

    @Test
    void badInputIsA4xxInTheApiShape() {
        String range = "from=" + data.from + "&to=" + data.to;
        List<String[]> cases = List.of(
                new String[]{"/v1/topics/cpu/partitions/0/segments?maxSegments=0", "400"},
                new String[]{"/v1/topics/cpu/partitions/0/segments?maxSegments=x", "400"},
                new String[]{"/v1/topics/cpu/partitions/0/segments?maxSegments=-3", "400"},
                new String[]{"/v1/topics/cpu/partitions/2/segments", "404"},
                new String[]{"/v1/topics/cpu/partitions/zero/segments", "400"},
                new String[]{"/v1/topics/nope/partitions/0/segments", "404"},
                new String[]{"/v1/storage?limit=0", "400"},
                new String[]{"/v1/storage?limit=1e9", "400"},
                new String[]{"/v1/topics/cpu/series?from=1", "400"},
                new String[]{"/v1/topics/cpu/series?from=10&to=5", "400"},
                new String[]{"/v1/topics/cpu/series?" + range + "&maxRecords=0", "400"},
                new String[]{"/v1/topics/orders/series?" + range, "400"},
                new String[]{"/v1/topics/nope/series?" + range, "404"},
                new String[]{"/v1/groups/nobody", "404"},
                new String[]{"/v1/groups/a%01b", "400"});
        for (String[] c : cases) {
            ServerHarness.Resp r = h.get(c[0]);
            assertThat(r.status()).as(c[0] + " -> " + r.body()).isEqualTo(Integer.parseInt(c[1]));
            assertThat(r.json().get("error").asText()).as(c[0]).isIn("invalid_request", "not_found");
            assertThat(r.json().get("message").asText()).as(c[0]).isNotBlank();
        }
    }

    /** Keeps the classpath copy honest: the file the tests read is the one the jar serves. */
    @Test
    void theIndexPageIsTheResourceInTheJar() throws IOException {
        try (InputStream in = ConsoleApi.class.getResourceAsStream("/console/index.html")) {
            assertThat(in).isNotNull();
            assertThat(h.get("/index.html").body()).isEqualTo(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }
}
