package io.tierlog.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The web console in a real browser (Debian's headless Chromium, through {@link HeadlessChromium}) against a whole
 * server with data in both tiers ({@link ConsoleFixture}). Each test loads its page from scratch and waits only on
 * DOM conditions with a bound; any JavaScript error, and any request to another origin, fails it. The screenshots
 * in the README are taken here ({@link Screenshots}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsoleBrowserTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    /** A stall a user would notice: a page that keeps under it answers clicks and keys at once. */
    private static final long STALL_MS = 250;
    private static final Path SHM = Path.of("/dev/shm");

    @TempDir
    static Path dir;
    private ServerHarness h;
    private ConsoleFixture data;
    private HeadlessChromium browser;
    /** Errors the current test provokes on purpose in the browser's console; any other fails it. */
    private Predicate<String> expectedErrors;
    /** The servers the current test's pages come from: nothing else may be requested. */
    private List<String> origins;

    @BeforeAll
    void start() throws Exception {
        browser = HeadlessChromium.launch(dir); // first: without a browser there is nothing to test
        h = new ServerHarness(dir.resolve("data"), ServerHarness.QUICK_GROUPS);
        data = ConsoleFixture.load(h);
        h.createTopic("live", 1, null);
    }

    @AfterAll
    void stop() {
        if (browser != null) {
            browser.close();
        }
        if (h != null) {
            h.close();
        }
    }

    @BeforeEach
    void desktop() {
        browser.viewport(1280, 800, false);
        browser.clearLogs();
        origins = List.of(h.base);
        expectedErrors = e -> false;
    }

    @AfterEach
    void noJavaScriptErrorsAndNothingFromElsewhere() {
        assertThat(browser.errors()).as("JavaScript errors in the browser console").filteredOn(expectedErrors.negate()).isEmpty();
        assertThat(browser.requests()).as("requests outside the server (the console must work offline)")
                .allMatch(u -> origins.stream().anyMatch(o -> u.startsWith(o + "/")) || u.startsWith("data:") || u.equals("about:blank"));
    }

    @Test
    void overviewListsEveryTopicWithItsTiersAndTheHealthOfTheServer() {
        browser.open(h.base + "/");
        browser.waitFor("document.querySelector('tr[data-topic=cpu] td[data-k=records]')?.dataset.v", WAIT);
        browser.waitFor("document.querySelector('[data-card=cold-tier-s3-] .badge')?.textContent === 'ok'", WAIT);
        JsonNode storage = h.get("/v1/storage").json().get("topics");
        for (JsonNode t : storage) {
            String row = "tr[data-topic='" + t.get("name").asText() + "'] ";
            for (String k : new String[]{"partitionCount", "records", "localBytes", "remoteBytes", "offloadLagBytes"}) {
                assertThat(browser.eval("document.querySelector(\"" + row + "td[data-k=" + k + "]\").dataset.v").asLong())
                        .as(t.get("name").asText() + " " + k).isEqualTo(t.get(k).asLong());
            }
        }
        assertThat(browser.eval("document.querySelectorAll('#topics tbody tr').length").asInt()).isEqualTo(storage.size());
        assertThat(browser.eval("document.querySelector('tr[data-topic=cpu] td[data-k=remoteBytes]').dataset.v").asLong()).isPositive();
        assertThat(browser.text("#health")).isEqualTo("healthy");
        Screenshots.save("console-overview", browser.screenshot());

        // the filter hides the other rows
        browser.type("input[type=search]", "ord");
        browser.waitFor("document.querySelector('#topic-count').textContent === '1 of " + storage.size() + "'", WAIT);
        assertThat(browser.eval("document.querySelector('tr[data-topic=cpu]') === null"
                + " && document.querySelectorAll('#topics tbody tr').length === 1").asBoolean()).isTrue();

        // phone width: nothing wider than the screen (tables scroll in their own box)
        browser.viewport(390, 844, true);
        browser.open(h.base + "/");
        browser.waitFor("document.querySelector('tr[data-topic=cpu] td[data-k=records]')?.dataset.v", WAIT);
        assertThat(browser.eval("document.documentElement.scrollWidth <= window.innerWidth").asBoolean()).isTrue();
        Screenshots.save("console-overview-phone", browser.screenshot());
    }

    @Test
    void tierMapShowsTheColdAndHotRangesOfTheApiAndReadsMarkEachRecordsTier() {
        browser.open(h.base + "/#/topic/cpu?tail=off");
        browser.waitFor("document.querySelectorAll('.tiermap').length === 2", WAIT);
        JsonNode topic = h.get("/v1/topics/cpu").json();
        for (int p = 0; p < 2; p++) {
            JsonNode d = topic.get("partitions").get(p);
            long logStart = d.get("logStartOffset").asLong();
            long localStart = d.get("localLogStartOffset").asLong();
            long remoteEnd = d.get("remoteEndOffset").asLong();
            long hw = d.get("highWatermark").asLong();
            String map = ".tiermap[data-partition='" + p + "'] ";
            assertThat(range(map + "[data-band=remoteOnly]")).isEqualTo(logStart + "-" + localStart);
            assertThat(range(map + "[data-band=both]")).isEqualTo(localStart + "-" + remoteEnd);
            assertThat(range(map + "[data-band=localOnly]")).isEqualTo(remoteEnd + "-" + hw);
            // one drawn segment per segment of each tier, spanning exactly the tier's offsets
            JsonNode s = h.get("/v1/topics/cpu/partitions/" + p + "/segments").json();
            assertThat(browser.eval("document.querySelectorAll(\"" + map + "rect.seg-remote\").length").asInt())
                    .isEqualTo(s.get("remoteSegmentCount").asInt()).isEqualTo(d.get("coldSegments").asInt());
            assertThat(browser.eval("document.querySelectorAll(\"" + map + "rect.seg-local\").length").asInt())
                    .isEqualTo(d.get("hotSegments").asInt());
            assertThat(browser.eval("document.querySelector(\"" + map + "rect.seg-remote\").dataset.from").asLong()).isEqualTo(logStart);
            assertThat(browser.eval("[...document.querySelectorAll(\"" + map + "rect.seg-local\")].pop().dataset.to").asLong()).isEqualTo(hw);
            // drawn to scale: the S3-only band is as wide as its share of the offsets
            double width = browser.eval("document.querySelector(\"" + map + "rect.band-remote\").getAttribute('width')").asDouble();
            assertThat(width).isCloseTo(1000.0 * (localStart - logStart) / (hw - logStart), org.assertj.core.data.Offset.offset(0.01));
        }
        Screenshots.save("console-topic", browser.screenshot());

        // read partition 1 from the log start to the high watermark: records below the local start come from S3
        JsonNode p1 = topic.get("partitions").get(1);
        browser.eval("document.querySelector('#read-partition').value = '1'");
        browser.type("#read-to", Long.toString(p1.get("highWatermark").asLong()));
        browser.click("#read-go");
        browser.waitFor("document.querySelector('#read-summary').dataset.cold !== undefined", WAIT);
        JsonNode read = h.get("/v1/topics/cpu/partitions/1/records?offset=0&maxRecords=1000").json();
        assertThat(browser.eval("+document.querySelector('#read-summary').dataset.cold").asInt())
                .isEqualTo(read.get("tiers").get("cold").asInt()).isEqualTo(p1.get("localLogStartOffset").asInt());
        assertThat(browser.eval("+document.querySelector('#read-summary').dataset.hot").asInt()).isEqualTo(read.get("tiers").get("hot").asInt());
        long lastCold = p1.get("localLogStartOffset").asLong() - 1;
        assertThat(browser.eval("document.querySelector(\"#read-rows tr[data-offset='" + lastCold + "']\").dataset.tier").asText()).isEqualTo("cold");
        assertThat(browser.eval("document.querySelector(\"#read-rows tr[data-offset='" + (lastCold + 1) + "']\").dataset.tier").asText()).isEqualTo("hot");

        browser.viewport(390, 844, true);
        browser.open(h.base + "/#/topic/cpu?tail=off");
        browser.waitFor("document.querySelectorAll('.tiermap').length === 2", WAIT);
        assertThat(browser.eval("document.documentElement.scrollWidth <= window.innerWidth").asBoolean()).isTrue();
        Screenshots.save("console-topic-phone", browser.screenshot());
    }

    private String range(String selector) {
        JsonNode r = browser.eval("(() => { const e = document.querySelector(\"" + selector + "\"); return e.dataset.from + '-' + e.dataset.to; })()");
        return r.asText();
    }

    @Test
    void liveTailShowsARecordWithinASecondOfItsProductionAndPauses() {
        browser.open(h.base + "/#/topic/live");
        browser.waitFor("document.querySelector('#tail-state')?.textContent === 'live'", WAIT);

        String first = UUID.randomUUID().toString();
        long t0 = System.nanoTime();
        assertThat(h.post("/v1/topics/live/records", probe(first)).status()).isEqualTo(200);
        browser.waitFor(rowWith(first), Duration.ofSeconds(1));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(ms).as("from produce to the row in the page").isLessThan(1000);

        browser.click("#tail-toggle"); // pause
        browser.waitFor("document.querySelector('#tail-state').textContent === 'paused'", WAIT);
        String second = UUID.randomUUID().toString();
        assertThat(h.post("/v1/topics/live/records", probe(second)).status()).isEqualTo(200);
        browser.waitFor("document.querySelector('#tail-stats').textContent.includes('1 new while paused')", WAIT);
        assertThat(browser.eval(rowWith(second)).asBoolean()).as("a record shown while paused").isFalse();
        browser.click("#tail-toggle"); // resume
        browser.waitFor(rowWith(second), WAIT);
        assertThat(browser.eval("document.querySelectorAll('#tail-rows tr').length").asInt()).isEqualTo(2);
        Screenshots.save("console-tail", browser.screenshot());
    }

    /**
     * The server stops under an open tail and starts again (same data, same address): the tail says it reconnects
     * and then asks for the offset after the last record it received, so nothing produced meanwhile is skipped.
     */
    @Test
    void theLiveTailResumesAtTheNextOffsetWhenTheServerComesBack() {
        Path data = dir.resolve("restarted");
        ServerHarness first = new ServerHarness(data);
        ServerHarness second = null;
        try {
            origins = List.of(h.base, first.base);
            expectedErrors = e -> e.contains("net::ERR_CONNECTION_REFUSED") || e.contains("status of 503");
            first.createTopic("resumed", 1, null);
            browser.open(first.base + "/#/topic/resumed");
            browser.waitFor("document.querySelector('#tail-state')?.textContent === 'live'", WAIT);
            String before = UUID.randomUUID().toString();
            assertThat(first.post("/v1/topics/resumed/records", probe(before)).status()).isEqualTo(200);
            browser.waitFor(rowWith(before), WAIT);

            int port = first.server.port();
            first.close();
            browser.waitFor("document.querySelector('#tail-state').textContent === 'reconnecting'", WAIT);
            second = new ServerHarness(data, Map.of("port", Integer.toString(port)));
            String after = UUID.randomUUID().toString();
            assertThat(second.post("/v1/topics/resumed/records", probe(after)).status()).isEqualTo(200);
            browser.waitFor(rowWith(after) + " && document.querySelector('#tail-state').textContent === 'live'", Duration.ofSeconds(20));
            assertThat(browser.eval("[...document.querySelectorAll('#tail-rows tr')].map(r => r.dataset.offset).join()").asText())
                    .isEqualTo("1,0");
            assertThat(browser.requests()).as("the reconnection asks for the offset after the last record received")
                    .anyMatch(u -> u.equals(first.base + "/v1/topics/resumed/partitions/0/stream?offset=1"));
            browser.open("about:blank");
        } finally {
            if (second != null) {
                second.close();
            } else {
                first.close();
            }
        }
    }

    private static String probe(String id) {
        return "{\"records\":[{\"name\":\"tail.probe\",\"tags\":{\"id\":\"" + id + "\"},\"value\":42}]}";
    }

    private static String rowWith(String text) {
        return "[...document.querySelectorAll('#tail-rows tr')].some(r => r.textContent.includes('" + text + "'))";
    }

    /**
     * A server that asks for a token (stood in for by {@link HeadlessChromium#requireToken} until the server's own
     * authentication exists): one sign-in dialog however many requests met the 401, a refused token forgotten and
     * asked again, then the token on every request, the live tail's stream included, kept in the tab's
     * sessionStorage and in no address; Sign out forgets it.
     */
    @Test
    void asksForATokenOnA401AndSendsItOnEveryRequestButNeverInAnAddress() {
        String token = "t0ken-" + UUID.randomUUID();
        expectedErrors = e -> e.startsWith("log: Failed to load resource: the server responded with a status of 401");
        try (HeadlessChromium.TokenGate gate = browser.requireToken(h.base, token)) {
            browser.open(h.base + "/#/topic/live");
            // the health dot and the topic page both met the 401 before anyone answered: one dialog
            browser.waitFor("document.querySelector('#health').textContent === 'needs a token'"
                    + " && document.querySelector('#config .error') && document.querySelector('dialog[open] input[name=token]')", WAIT);
            assertThat(browser.eval("document.querySelectorAll('dialog[open]').length").asInt()).isEqualTo(1);
            assertThat(browser.eval("document.querySelector('#sign-out').hidden").asBoolean()).isTrue();

            browser.type("dialog[open] input[name=token]", "not-" + token);
            browser.click("dialog[open] button[type=submit]");
            browser.waitFor("document.querySelector('dialog[open] #auth-reason')?.textContent.includes('refused')", WAIT);
            assertThat(browser.eval("sessionStorage.getItem('tierlog.token')").isNull()).as("a refused token is forgotten").isTrue();

            browser.type("dialog[open] input[name=token]", token);
            browser.click("dialog[open] button[type=submit]");
            browser.waitFor("document.querySelector('#tail-state')?.textContent === 'live' && document.querySelector('.tiermap')"
                    + " && document.querySelector('#health').textContent === 'healthy'", WAIT);
            String id = UUID.randomUUID().toString();
            assertThat(h.post("/v1/topics/live/records", probe(id)).status()).isEqualTo(200);
            browser.waitFor(rowWith(id), WAIT);
            assertThat(browser.eval("document.querySelector('#sign-out').hidden").asBoolean()).isFalse();

            List<Map.Entry<String, Boolean>> checked = gate.checked();
            int first = checked.indexOf(checked.stream().filter(Map.Entry::getValue).findFirst().orElseThrow());
            assertThat(checked.subList(0, first)).as("refused before the token was given").hasSizeGreaterThanOrEqualTo(3);
            assertThat(checked.subList(first, checked.size())).as("every request since carries the token")
                    .allMatch(Map.Entry::getValue)
                    .anyMatch(e -> e.getKey().endsWith("/v1/topics/live/partitions/0/stream"))
                    .anyMatch(e -> e.getKey().endsWith("/v1/topics/live/partitions/0/segments"));
            assertThat(browser.requests()).as("addresses the page requested").noneMatch(u -> u.contains(token))
                    .anyMatch(u -> u.endsWith("/v1/topics/live/partitions/0/stream"));
            assertThat(browser.eval("location.href").asText()).doesNotContain(token);
            assertThat(browser.eval("sessionStorage.getItem('tierlog.token')").asText()).isEqualTo(token);
            assertThat(browser.eval("localStorage.length").asInt()).as("nothing kept beyond the tab").isZero();

            browser.click("#sign-out");
            browser.waitFor("document.querySelector('dialog[open] #auth-reason')?.textContent.includes('asks for a token')", WAIT);
            assertThat(browser.eval("sessionStorage.getItem('tierlog.token')").isNull()).isTrue();
            browser.click("dialog[open] button.secondary");
            browser.open("about:blank"); // the page would keep meeting the 401 in the next test's log
        }
    }

    /**
     * The console against the server's own authentication (a token file): the server's 401 opens the sign-in dialog, a
     * token it does not know is refused and asked again, the full token shows the overview and a live tail that
     * streams with the token in a header (never in an address), and a read-only token's delete meets the server's
     * 403, shown where it was clicked, with the topic kept.
     */
    @Test
    void signsInWithTheServersTokensAndShowsWhatAReadOnlyTokenMayNotDo() throws Exception {
        String full = io.tierlog.auth.TokenEntry.newToken();
        String reader = io.tierlog.auth.TokenEntry.newToken();
        Path tokens = dir.resolve("tokens.json");
        io.tierlog.auth.TokenFile.write(tokens, List.of(
                io.tierlog.auth.TokenEntry.create("operator", full, List.of(
                        new io.tierlog.auth.Grant(io.tierlog.auth.Permission.ADMIN, ""),
                        new io.tierlog.auth.Grant(io.tierlog.auth.Permission.PRODUCE, ""),
                        new io.tierlog.auth.Grant(io.tierlog.auth.Permission.CONSUME, ""))),
                io.tierlog.auth.TokenEntry.create("viewer", reader, List.of(
                        new io.tierlog.auth.Grant(io.tierlog.auth.Permission.CONSUME, "")))));
        expectedErrors = e -> e.startsWith("log: Failed to load resource: the server responded with a status of 40");
        try (ServerHarness secured = new ServerHarness(dir.resolve("secured"), Map.of("auth.token.file", tokens.toString()))) {
            origins = List.of(h.base, secured.base);
            String auth = "Bearer " + full;
            assertThat(secured.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(secured.base + "/v1/topics"))
                    .header("Authorization", auth).header("Content-Type", "application/json")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"name\":\"guarded\",\"partitions\":1}"))).status())
                    .isEqualTo(201);
            browser.open(secured.base + "/");
            browser.waitFor("document.querySelector('dialog[open] input[name=token]')", WAIT);
            browser.type("dialog[open] input[name=token]", "not-" + full);
            browser.click("dialog[open] button[type=submit]");
            browser.waitFor("document.querySelector('dialog[open] #auth-reason')?.textContent.includes('refused')", WAIT);
            browser.type("dialog[open] input[name=token]", full);
            browser.click("dialog[open] button[type=submit]");
            browser.waitFor("document.querySelector(\"tr[data-topic='guarded']\") && !document.querySelector('dialog[open]')", WAIT);

            browser.open(secured.base + "/#/topic/guarded");
            browser.waitFor("document.querySelector('#tail-state')?.textContent === 'live'", WAIT);
            String id = UUID.randomUUID().toString();
            assertThat(secured.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(secured.base + "/v1/topics/guarded/records"))
                    .header("Authorization", auth).header("Content-Type", "application/json")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(probe(id)))).status()).isEqualTo(200);
            browser.waitFor(rowWith(id), WAIT);
            assertThat(browser.requests()).as("addresses the page requested").noneMatch(u -> u.contains(full))
                    .anyMatch(u -> u.endsWith("/v1/topics/guarded/partitions/0/stream"));

            browser.click("#sign-out");
            browser.waitFor("document.querySelector('dialog[open] input[name=token]')", WAIT);
            browser.type("dialog[open] input[name=token]", reader);
            browser.click("dialog[open] button[type=submit]");
            browser.waitFor("!document.querySelector('dialog[open] input[name=token]') && document.querySelector('#delete-topic')", WAIT);
            browser.click("#delete-topic");
            browser.waitFor("document.querySelector('dialog[open] input[name=__confirm]')", WAIT);
            browser.type("dialog[open] input[name=__confirm]", "guarded");
            browser.waitFor("!document.querySelector('dialog[open] button.danger').disabled", WAIT);
            browser.click("dialog[open] button.danger");
            browser.waitFor("document.body.textContent.includes('needs the admin permission')", WAIT);
            assertThat(secured.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(secured.base + "/v1/topics/guarded"))
                    .header("Authorization", auth).GET()).status()).as("the topic is kept").isEqualTo(200);
            browser.open("about:blank");
        }
    }

    @Test
    void queryChartsOneLinePerSeriesWithEveryPointAcrossBothTiers() {
        String q = "topic=cpu&name=cpu.usage&from=" + data.from + "&to=" + data.to;
        browser.open(h.base + "/#/query?" + q);
        browser.waitFor("document.querySelector('#chart').dataset.drawn === 'true'", WAIT);
        JsonNode api = h.get("/v1/topics/cpu/records?" + q + "&maxRecords=10000").json();
        assertThat(api.get("count").asInt()).isEqualTo(ConsoleFixture.POINTS * 3);
        assertThat(browser.eval("+document.querySelector('#chart').dataset.points").asInt()).isEqualTo(api.get("count").asInt());
        assertThat(browser.eval("+document.querySelector('#chart').dataset.series").asInt()).isEqualTo(3);
        assertThat(browser.eval("document.querySelectorAll('#chart canvas').length").asInt()).isPositive();
        assertThat(browser.eval("[...document.querySelectorAll('#chart .u-legend .u-series th')].map(t => t.textContent).slice(1)").toString())
                .contains("cpu.usage{host=web-1}", "cpu.usage{host=web-2}", "cpu.usage{host=web-3}");
        assertThat(browser.eval("+document.querySelector('#q-count').dataset.count").asInt()).isEqualTo(api.get("count").asInt());
        assertThat(browser.eval("document.querySelectorAll('#q-rows tbody tr').length").asInt()).isEqualTo(api.get("count").asInt());
        // suggestions: the name and the tag values present
        browser.waitFor("document.querySelectorAll('#q-names option').length === 1", WAIT);
        assertThat(browser.eval("document.querySelector('#q-names option').value").asText()).isEqualTo("cpu.usage");
        // hovering the plot shows the values under the cursor in the legend
        browser.eval("(() => { const o = document.querySelector('#chart .u-over'); const r = o.getBoundingClientRect();"
                + " o.dispatchEvent(new MouseEvent('mouseenter', {clientX: r.left + r.width / 2, clientY: r.top + r.height / 2, bubbles: true}));"
                + " o.dispatchEvent(new MouseEvent('mousemove', {clientX: r.left + r.width / 2, clientY: r.top + r.height / 2, bubbles: true})); return true; })()");
        browser.waitFor("/^\\d/.test(document.querySelectorAll('#chart .u-legend .u-series td.u-value')[1]?.textContent)", WAIT);
        Screenshots.save("console-query", browser.screenshot());

        // a tag filter through the form: the URL carries it, one series is drawn
        browser.click("#q-add-tag");
        browser.type("#q-tags .tag-row:last-child .tag-key", "host");
        browser.type("#q-tags .tag-row:last-child .tag-value", "web-2");
        browser.eval("document.querySelector('#q-last').value = 'custom'; document.querySelector('#q-last').dispatchEvent(new Event('change')); true");
        browser.click("#q-run");
        browser.waitFor("location.hash.includes('tag=host%3Aweb-2') && document.querySelector('#chart').dataset.series === '1'", WAIT);
        browser.waitFor("document.querySelector('#chart').dataset.drawn === 'true'", WAIT);
        String hash = browser.eval("location.hash").asText();
        JsonNode web2 = h.get("/v1/topics/cpu/records?" + hash.substring(hash.indexOf('?') + 1) + "&maxRecords=10000").json();
        assertThat(web2.get("count").asInt()).isEqualTo(ConsoleFixture.POINTS);
        assertThat(browser.eval("+document.querySelector('#chart').dataset.points").asInt()).isEqualTo(ConsoleFixture.POINTS);

        browser.viewport(390, 844, true);
        browser.open(h.base + "/#/query?" + q);
        browser.waitFor("document.querySelector('#chart').dataset.drawn === 'true'", WAIT);
        assertThat(browser.eval("document.documentElement.scrollWidth <= window.innerWidth").asBoolean()).as("fits a phone").isTrue();
    }

    @Test
    void groupsShowCommittedOffsetsAndLagPerPartitionAndTheirKafkaMembers() {
        try (var consumer = h.kafkaConsumer("dashboards", "console-browser-test")) {
            consumer.subscribe(List.of("cpu"));
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).pollInSameThread().until(() -> {
                consumer.poll(Duration.ofMillis(50));
                return !consumer.assignment().isEmpty();
            });
            groupsShowCommittedOffsetsAndLagPerPartition();
        }
    }

    private void groupsShowCommittedOffsetsAndLagPerPartition() {
        browser.open(h.base + "/#/groups");
        browser.waitFor("document.querySelector('tr[data-group=dashboards] a')", WAIT);
        browser.click("tr[data-group=dashboards] a");
        browser.waitFor("document.querySelectorAll('table.group-offsets tbody tr').length === 2", WAIT);
        JsonNode g = h.get("/v1/groups/dashboards").json().get("topics").get(0).get("partitions");
        for (JsonNode p : g) {
            assertThat(browser.eval("document.querySelector(\"table.group-offsets tr[data-partition='" + p.get("partition").asInt()
                    + "']\").dataset.lag").asLong()).isEqualTo(p.get("lag").asLong());
        }
        browser.waitFor("document.querySelector('#group-state')?.textContent === 'Stable'", WAIT);
        assertThat(browser.eval("document.querySelectorAll('table.group-members tbody tr').length").asInt()).isEqualTo(1);
        assertThat(browser.text("table.group-members tbody tr")).contains("console-browser-test").contains("cpu: 0, 1");
        Screenshots.save("console-groups", browser.screenshot());

        browser.viewport(390, 844, true);
        browser.open(h.base + "/#/groups/dashboards");
        browser.waitFor("document.querySelectorAll('table.group-offsets tbody tr').length === 2", WAIT);
        assertThat(browser.eval("document.documentElement.scrollWidth <= window.innerWidth").asBoolean()).as("fits a phone").isTrue();
    }

    @Test
    void createProduceAndDeleteATopicWithConfirmation() {
        browser.open(h.base + "/");
        browser.waitFor("document.querySelector('#topics tbody tr')", WAIT);
        browser.click("#create-topic");
        browser.waitFor("document.querySelector('dialog[open] input[name=name]')", WAIT);
        browser.type("dialog[open] input[name=name]", "made-here");
        browser.type("dialog[open] input[name=partitions]", "2");
        browser.click("dialog[open] button[type=submit]");
        browser.waitFor("location.hash === '#/topic/made-here' && document.querySelector('#produce')", WAIT);
        assertThat(h.get("/v1/topics/made-here").json().get("partitionCount").asInt()).isEqualTo(2);

        browser.click("#produce");
        browser.waitFor("document.querySelector('dialog[open] input[name=value]')", WAIT);
        browser.click("dialog[open] button[type=submit]");
        browser.waitFor("[...document.querySelectorAll('.toast')].some(t => t.textContent.startsWith('Produced to partition'))", WAIT);
        JsonNode parts = h.get("/v1/topics/made-here").json().get("partitions");
        assertThat(parts.get(0).get("highWatermark").asLong() + parts.get(1).get("highWatermark").asLong()).isEqualTo(1);

        // delete asks first: the button stays disabled until the name is typed, and cancel keeps the topic
        browser.click("#delete-topic");
        browser.waitFor("document.querySelector('dialog[open] button.danger')", WAIT);
        assertThat(browser.eval("document.querySelector('dialog[open] button.danger').disabled").asBoolean()).isTrue();
        Screenshots.save("console-delete", browser.screenshot());
        browser.click("dialog[open] button.secondary");
        browser.waitFor("!document.querySelector('dialog[open]')", WAIT);
        assertThat(h.get("/v1/topics/made-here").status()).isEqualTo(200);
        browser.click("#delete-topic");
        browser.waitFor("document.querySelector('dialog[open] input[name=__confirm]')", WAIT);
        browser.type("dialog[open] input[name=__confirm]", "made-here");
        browser.waitFor("!document.querySelector('dialog[open] button.danger').disabled", WAIT);
        browser.click("dialog[open] button.danger");
        browser.waitFor("location.hash === '#/' && !document.querySelector(\"tr[data-topic='made-here']\")"
                + " && document.querySelector('tr[data-topic=cpu]')", WAIT);
        assertThat(h.get("/v1/topics/made-here").status()).isEqualTo(404);
    }

    /**
     * A thousand topics on the overview and a tail of 10k records/s: the page's main thread never stalls for long
     * (the longest gap between timer ticks, measured from the page's first script, so loading a thousand topics and
     * every tail frame are in it); the overview draws a page of rows and its filter searches them all; the tail draws
     * at most ten frames a second of at most 200 rows, keeps 200 rows and counts every record.
     */
    @Test
    void staysResponsiveWithAThousandTopicsAndATenThousandRecordsPerSecondTail() throws Exception {
        // a server of its own, so that the other tests' pages and numbers are not about a thousand extra topics; its
        // data in memory where there is a memory file system, since each creation is made durable with fsync
        Path data = Files.isWritable(SHM) ? Files.createTempDirectory(SHM, "tierlog-console-") : dir.resolve("many");
        try (ServerHarness many = new ServerHarness(data);
             var pool = Executors.newFixedThreadPool(4);
             AutoCloseable stalls = browser.measureStalls()) {
            origins = List.of(h.base, many.base); // the previous test's page polls until the first open
            List<Future<JsonNode>> created = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                String name = String.format("many-%04d", i);
                created.add(pool.submit(() -> many.createTopic(name, 1, null)));
            }
            for (var f : created) {
                f.get();
            }
            many.createTopic("firehose", 1, null);

            browser.open(many.base + "/");
            browser.waitFor("document.querySelector('#topic-count').textContent === '1001'", WAIT);
            assertThat(browser.longestStallMs()).as("longest main-thread stall while loading 1001 topics, ms").isLessThan(STALL_MS);
            assertThat(browser.eval("document.querySelectorAll('#topics tbody tr').length").asInt()).as("rows drawn at first").isEqualTo(100);
            browser.click("#more-topics");
            browser.waitFor("document.querySelectorAll('#topics tbody tr').length === 200", WAIT);
            // the filter finds a topic far from the drawn ones
            browser.type("input[type=search]", "many-0999");
            browser.waitFor("document.querySelector('#topic-count').textContent === '1 of 1001'"
                    + " && document.querySelectorAll('#topics tbody tr').length === 1", WAIT);
            assertThat(browser.eval("document.querySelector('#topics tbody tr').dataset.topic").asText()).isEqualTo("many-0999");
            assertThat(browser.longestStallMs()).as("longest main-thread stall on the overview of 1001 topics, ms").isLessThan(STALL_MS);

            browser.open(many.base + "/#/topic/firehose");
            browser.waitFor("document.querySelector('#tail-state')?.textContent === 'live'", WAIT);
            // every insertion of rows into the tail, counted as it happens
            browser.eval("(() => { const d = window.__draws = { inserts: 0, rows: 0, since: performance.now() };"
                    + " new MutationObserver(ms => ms.forEach(m => { if (m.addedNodes.length) { d.inserts++; d.rows += m.addedNodes.length; } }))"
                    + ".observe(document.querySelector('#tail-rows'), { childList: true }); return true; })()");
            browser.resetStall();
            int batches = 20;
            int perBatch = 1000;
            long t0 = System.nanoTime();
            for (int b = 0; b < batches; b++) {
                assertThat(many.post("/v1/topics/firehose/records", firehoseBatch(b, perBatch)).status()).isEqualTo(200);
                // paced at ten batches a second: 10k records/s
                LockSupport.parkNanos(t0 + (b + 1) * 100_000_000L - System.nanoTime());
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            browser.waitFor("+document.querySelector('#tail-stats').dataset.total === " + batches * perBatch, WAIT);
            assertThat(browser.longestStallMs()).as("longest main-thread stall during a tail of %.0f records/s, ms",
                    batches * perBatch / seconds).isLessThan(STALL_MS);
            JsonNode draws = browser.eval("({ ...window.__draws, ms: performance.now() - window.__draws.since })");
            assertThat(draws.get("inserts").asInt()).as("frames drawn (%s), at most one each 100 ms", draws)
                    .isLessThanOrEqualTo((int) (draws.get("ms").asDouble() / 100) + 1);
            assertThat(draws.get("rows").asInt()).as("rows drawn (%s), at most 200 a frame", draws)
                    .isLessThanOrEqualTo(200 * draws.get("inserts").asInt()).isLessThan(batches * perBatch / 2);
            assertThat(browser.eval("document.querySelectorAll('#tail-rows tr').length").asInt()).isEqualTo(200);
            // the count is kept per record, the rows per frame (at most ten a second): the newest row follows within one
            browser.waitFor("document.querySelector('#tail-rows tr')?.dataset.offset === '" + (batches * perBatch - 1) + "'", WAIT);
            browser.open("about:blank"); // the tail would retry the server stopped below, in the next test's log
        } finally {
            if (data.startsWith(SHM)) {
                try (var files = Files.walk(data)) {
                    for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.delete(f);
                    }
                }
            }
        }
    }

    private static String firehoseBatch(int batch, int records) {
        StringBuilder sb = new StringBuilder("{\"records\":[");
        for (int i = 0; i < records; i++) {
            sb.append(i == 0 ? "" : ",").append("{\"name\":\"fire\",\"tags\":{\"b\":\"").append(batch)
                    .append("\"},\"value\":").append(i).append('}');
        }
        return sb.append("]}").toString();
    }
}
