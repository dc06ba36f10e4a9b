package io.tierlog.server;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.tierlog.auth.Grant;
import io.tierlog.auth.Permission;
import io.tierlog.auth.TokenEntry;
import io.tierlog.auth.TokenFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Bearer tokens on every HTTP endpoint (the API's and the console's), 401/403 answers, and no secret in logs. */
class HttpSecurityTest {
    @TempDir
    Path dir;

    private final String adminToken = TokenEntry.newToken();
    private final String writerToken = TokenEntry.newToken();
    private final String readerToken = TokenEntry.newToken();
    private Path tokenFile;
    private ServerHarness h;
    private ListAppender<ILoggingEvent> logs;

    @BeforeEach
    void start() throws Exception {
        logs = new ListAppender<>();
        logs.start();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);
        tokenFile = dir.resolve("tokens.json");
        TokenFile.write(tokenFile, List.of(
                TokenEntry.create("admin", adminToken, List.of(new Grant(Permission.ADMIN, ""),
                        new Grant(Permission.PRODUCE, ""), new Grant(Permission.CONSUME, ""))),
                TokenEntry.create("writer", writerToken, List.of(new Grant(Permission.PRODUCE, "metrics."))),
                TokenEntry.create("reader", readerToken, List.of(new Grant(Permission.CONSUME, "metrics.")))));
        h = new ServerHarness(dir.resolve("data"), Map.of("auth.token.file", tokenFile.toString(),
                "auth.reload.interval.ms", "50"));
    }

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
    }

    private ServerHarness.Resp as(String token, String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(h.base + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return h.send(b);
    }

    @Test
    void withoutOrWithAnUnknownTokenTheApiAnswers401InItsErrorShapeButHealthAndTheConsolePageStayOpen() {
        for (String path : List.of("/v1/topics", "/v1/cluster", "/v1/status", "/v1/storage", "/v1/groups",
                "/v1/topics/metrics.cpu/partitions/0/stream", "/metrics", "/v1/no-such-endpoint")) {
            ServerHarness.Resp none = as(null, "GET", path, null);
            assertThat(none.status()).as(path).isEqualTo(401);
            assertThat(none.json().get("error").asText()).isEqualTo("unauthorized");
            assertThat(none.header("WWW-Authenticate")).startsWith("Bearer");
            ServerHarness.Resp bad = as(adminToken + "x", "GET", path, null);
            assertThat(bad.status()).as(path).isEqualTo(401);
            assertThat(bad.header("WWW-Authenticate")).contains("invalid_token");
        }
        ServerHarness.Resp basic = h.send(HttpRequest.newBuilder(URI.create(h.base + "/v1/topics"))
                .header("Authorization", "Basic YWRtaW46eA==").GET());
        assertThat(basic.status()).isEqualTo(401);
        assertThat(as(null, "GET", "/v1/health", null).status()).isEqualTo(200);
        assertThat(as(null, "GET", "/", null).status()).isEqualTo(200);
        assertThat(as(null, "GET", "/", null).body()).contains("<html");
        assertThat(as(adminToken, "GET", "/v1/topics", null).status()).isEqualTo(200);
    }

    @Test
    void eachEndpointNeedsItsPermissionOnTheTopicPrefix() {
        assertThat(as(adminToken, "POST", "/v1/topics", "{\"name\":\"metrics.cpu\",\"partitions\":1}").status()).isEqualTo(201);
        assertThat(as(adminToken, "POST", "/v1/topics", "{\"name\":\"logs\",\"partitions\":1}").status()).isEqualTo(201);
        String sample = "{\"records\":[{\"name\":\"cpu\",\"tags\":{\"host\":\"a\"},\"value\":1.5}]}";

        // produce: the writer on its prefix only; the reader not at all
        assertThat(as(writerToken, "POST", "/v1/topics/metrics.cpu/records", sample).status()).isEqualTo(200);
        assertForbidden(as(writerToken, "POST", "/v1/topics/logs/records", sample), "produce");
        assertForbidden(as(readerToken, "POST", "/v1/topics/metrics.cpu/records", sample), "produce");

        // consume: the reader on its prefix; the writer may not read
        for (String path : List.of("/v1/topics/metrics.cpu/partitions/0/records?offset=0",
                "/v1/topics/metrics.cpu/records?from=0&to=9999999999999", "/v1/topics/metrics.cpu/partitions/0/offsets?timestamp=0",
                "/v1/topics/metrics.cpu/partitions/0/segments", "/v1/topics/metrics.cpu/series?from=0&to=9999999999999",
                "/v1/groups/g/offsets?topic=metrics.cpu")) {
            ServerHarness.Resp ok = as(readerToken, "GET", path, null);
            assertThat(ok.status()).as(path + " " + ok.body()).isEqualTo(200);
            assertForbidden(as(writerToken, "GET", path, null), "consume");
        }
        assertForbidden(as(readerToken, "GET", "/v1/topics/logs/partitions/0/records?offset=0", null), "consume");
        assertForbidden(as(readerToken, "GET", "/v1/topics/logs/partitions/0/stream?offset=0", null), "consume");
        assertThat(as(readerToken, "PUT", "/v1/groups/g/offsets",
                "{\"topic\":\"metrics.cpu\",\"offsets\":[{\"partition\":0,\"offset\":1}]}").status()).isEqualTo(204);
        assertForbidden(as(readerToken, "PUT", "/v1/groups/g/offsets",
                "{\"topic\":\"logs\",\"offsets\":[{\"partition\":0,\"offset\":1}]}"), "consume");
        assertForbidden(as(readerToken, "GET", "/v1/groups/g/offsets?topic=logs", null), "consume");

        // a forbidden caller cannot tell a missing topic from an existing one
        assertForbidden(as(readerToken, "GET", "/v1/topics/secret-missing", null), "permission");
        assertThat(as(readerToken, "GET", "/v1/topics/metrics.missing", null).status()).isEqualTo(404);

        // admin: create, delete, cluster-wide views
        assertForbidden(as(writerToken, "POST", "/v1/topics", "{\"name\":\"metrics.mem\"}"), "admin");
        assertForbidden(as(readerToken, "DELETE", "/v1/topics/metrics.cpu", null), "admin");
        for (String path : List.of("/v1/storage", "/v1/groups", "/v1/groups/g", "/metrics")) {
            assertForbidden(as(readerToken, "GET", path, null), "admin");
        }
        assertThat(as(adminToken, "GET", "/v1/storage", null).status()).isEqualTo(200);
        assertThat(as(adminToken, "GET", "/metrics", null).status()).isEqualTo(200);
        assertThat(as(readerToken, "GET", "/v1/status", null).status()).isEqualTo(200);
        assertThat(as(readerToken, "GET", "/v1/cluster", null).status()).isEqualTo(200);
        assertThat(as(adminToken, "DELETE", "/v1/topics/logs", null).status()).isEqualTo(204);
    }

    @Test
    void prometheusDoorsNeedATokenAndTheirPermissionOnTheTopic() {
        assertThat(as(adminToken, "POST", "/v1/topics", "{\"name\":\"metrics.cpu\",\"partitions\":1}").status()).isEqualTo(201);
        assertThat(as(adminToken, "POST", "/v1/topics", "{\"name\":\"logs\",\"partitions\":1}").status()).isEqualTo(201);
        String query = "/prometheus/metrics.cpu/api/v1/query?query=up&time=1";
        ServerHarness.Resp anonymous = as(null, "GET", query, null);
        assertThat(anonymous.status()).isEqualTo(401);
        assertThat(anonymous.header("WWW-Authenticate")).startsWith("Bearer");
        assertThat(as(null, "GET", "/api/v1/labels", null).status()).isEqualTo(401);
        assertThat(as(readerToken, "GET", query, null).status()).isEqualTo(200);
        ServerHarness.Resp writerQuery = as(writerToken, "GET", query, null);
        assertThat(writerQuery.status()).isEqualTo(403);
        assertThat(writerQuery.json().get("errorType").asText()).isEqualTo("forbidden");
        assertThat(as(readerToken, "GET", "/prometheus/logs/api/v1/query?query=up&time=1", null).status()).isEqualTo(403);

        // remote_write and OTLP: produce on the topic, checked before the body is read
        for (String path : List.of("/api/v1/write?topic=metrics.cpu", "/v1/metrics?topic=metrics.cpu")) {
            assertThat(as(null, "POST", path, "x").status()).as(path).isEqualTo(401);
            assertThat(as(readerToken, "POST", path, "x").status()).as(path).isEqualTo(403);
            assertThat(as(writerToken, "POST", path.replace("metrics.cpu", "logs"), "x").status()).as(path).isEqualTo(403);
            assertThat(as(writerToken, "POST", path, "x").status()).as(path + ": past the check, the body is refused")
                    .isBetween(400, 499).isNotIn(401, 403);
        }
    }

    @Test
    void topicListsShowOnlyTheTopicsThePrincipalHasAPermissionOn() {
        as(adminToken, "POST", "/v1/topics", "{\"name\":\"metrics.cpu\"}");
        as(adminToken, "POST", "/v1/topics", "{\"name\":\"payroll\"}");
        List<String> seen = new ArrayList<>();
        as(readerToken, "GET", "/v1/topics", null).json().get("topics").forEach(t -> seen.add(t.get("name").asText()));
        assertThat(seen).containsExactly("metrics.cpu");
        List<String> all = new ArrayList<>();
        as(adminToken, "GET", "/v1/topics", null).json().get("topics").forEach(t -> all.add(t.get("name").asText()));
        assertThat(all).containsExactlyInAnyOrder("metrics.cpu", "payroll");
    }

    @Test
    void theSseTailIsCheckedBeforeItStreams() {
        as(adminToken, "POST", "/v1/topics", "{\"name\":\"metrics.cpu\"}");
        ServerHarness.Resp none = as(null, "GET", "/v1/topics/metrics.cpu/partitions/0/stream?offset=0", null);
        assertThat(none.status()).isEqualTo(401);
        ServerHarness.Resp writer = as(writerToken, "GET", "/v1/topics/metrics.cpu/partitions/0/stream?offset=0", null);
        assertThat(writer.status()).isEqualTo(403);
        assertThat(writer.json().get("error").asText()).isEqualTo("forbidden");
    }

    @Test
    void aTokenAddedToTheFileWorksWithoutARestartAndARemovedOneStops() throws Exception {
        String newcomer = TokenEntry.newToken();
        assertThat(as(newcomer, "GET", "/v1/topics", null).status()).isEqualTo(401);
        List<TokenEntry> entries = new ArrayList<>(TokenFile.readEntries(tokenFile));
        entries.removeIf(e -> e.principal().name().equals("reader"));
        entries.add(TokenEntry.create("newcomer", newcomer, List.of(new Grant(Permission.CONSUME, ""))));
        TokenFile.write(tokenFile, entries);
        await().atMost(Duration.ofSeconds(10)).until(() -> as(newcomer, "GET", "/v1/topics", null).status() == 200);
        assertThat(as(readerToken, "GET", "/v1/topics", null).status()).isEqualTo(401);
    }

    @Test
    void metricsCanBeOpenedForAScraperWithoutCredentials() {
        h.close();
        h = new ServerHarness(dir.resolve("data2"), Map.of("auth.token.file", tokenFile.toString(),
                "auth.metrics.open", "true"));
        assertThat(as(null, "GET", "/metrics", null).status()).isEqualTo(200);
        assertThat(as(null, "GET", "/v1/topics", null).status()).isEqualTo(401);
    }

    @Test
    void noSecretReachesTheLogsOrTheAnswersAndTheEmbeddedStoreKeysArePrivateToTheDataDirectory() throws Exception {
        Path creds = dir.resolve("data").resolve(EmbeddedS3.CREDENTIALS_FILE);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(creds))).isEqualTo("rw-------");
        Properties p = new Properties();
        try (var r = Files.newBufferedReader(creds)) {
            p.load(r);
        }
        String secret = p.getProperty("secret.key");
        assertThat(secret).hasSizeGreaterThan(30);
        as(adminToken, "POST", "/v1/topics", "{\"name\":\"metrics.cpu\"}");
        List<String> answers = List.of(as(adminToken, "GET", "/v1/topics", null).body(),
                as(adminToken, "GET", "/v1/topics/metrics.cpu", null).body(),
                as(adminToken, "GET", "/v1/storage", null).body(), as(adminToken, "GET", "/v1/status", null).body(),
                as(adminToken, "GET", "/v1/cluster", null).body(), as(adminToken, "GET", "/metrics", null).body());
        for (String a : answers) {
            assertThat(a).doesNotContain(secret).doesNotContain(adminToken);
        }
        h.close();
        h = new ServerHarness(dir.resolve("data"), Map.of("auth.token.file", tokenFile.toString()));
        // the same keys after a restart: the store's objects stay readable
        Properties again = new Properties();
        try (var r = Files.newBufferedReader(creds)) {
            again.load(r);
        }
        assertThat(again.getProperty("secret.key")).isEqualTo(secret);
        assertThat(as(adminToken, "GET", "/v1/topics/metrics.cpu", null).status()).isEqualTo(200);
        assertThat(logs.list).isNotEmpty();
        for (ILoggingEvent e : logs.list) {
            assertThat(e.getFormattedMessage()).doesNotContain(secret).doesNotContain(adminToken)
                    .doesNotContain(writerToken).doesNotContain(readerToken);
        }
        // the other data directory got keys of its own
        h.close();
        h = null;
        h = new ServerHarness(dir.resolve("other"), Map.of("auth.token.file", tokenFile.toString()));
        Properties other = new Properties();
        try (var r = Files.newBufferedReader(dir.resolve("other").resolve(EmbeddedS3.CREDENTIALS_FILE))) {
            other.load(r);
        }
        assertThat(other.getProperty("secret.key")).isNotEqualTo(secret);
    }

    @Test
    void aServerOnANonLoopbackAddressWithoutAuthenticationRefusesToStartUnlessInsecure() {
        ServerConfig open = ServerConfig.load(null, Map.of(), Map.of("host", "0.0.0.0", "port", "0",
                "kafka.port", "-1", "data.dir", dir.resolve("open").toString()));
        assertThatThrownBy(() -> TierlogServer.refuseOpenDoors(open)).hasMessageContaining("without authentication")
                .hasMessageContaining("--insecure");
        ServerConfig insecure = ServerConfig.load(null, Map.of(), Map.of("host", "0.0.0.0", "insecure", "true",
                "data.dir", dir.resolve("open").toString()));
        TierlogServer.refuseOpenDoors(insecure);
        ServerConfig secured = ServerConfig.load(null, Map.of(), Map.of("host", "0.0.0.0",
                "auth.token.file", tokenFile.toString(), "data.dir", dir.resolve("open").toString()));
        TierlogServer.refuseOpenDoors(secured);
        TierlogServer.refuseOpenDoors(ServerConfig.load(null, Map.of(), Map.of("host", "127.0.0.1")));
        assertThat(Main.run(new String[]{"server", "--host", "0.0.0.0", "--data-dir", dir.resolve("open").toString()},
                Map.of())).isEqualTo(1);
    }

    @Test
    void theSameTokenIsTheSaslPasswordOnTheKafkaListenerAndAnUnauthenticatedClientGetsNothing() throws Exception {
        assertThat(as(adminToken, "POST", "/v1/topics", "{\"name\":\"metrics.kafka\",\"config\":{\"schema\":\"bytes\"}}")
                .status()).isEqualTo(201);
        java.util.Properties p = new java.util.Properties();
        p.put("bootstrap.servers", "127.0.0.1:" + h.server.kafkaPort());
        p.put("key.serializer", org.apache.kafka.common.serialization.StringSerializer.class.getName());
        p.put("value.serializer", org.apache.kafka.common.serialization.StringSerializer.class.getName());
        p.put("max.block.ms", "5000");
        p.put("delivery.timeout.ms", "10000");
        p.put("request.timeout.ms", "5000");
        try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<String, String>(p)) {
            // PLAINTEXT against a SASL listener: the connection is closed before Metadata, nothing is written
            assertThatThrownBy(() -> producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>("metrics.kafka",
                    0, "k", "no")).get()).isNotNull();
        }
        p.put("security.protocol", "SASL_PLAINTEXT");
        p.put("sasl.mechanism", "SCRAM-SHA-512");
        p.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"writer\" "
                + "password=\"" + writerToken + "\";");
        try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<String, String>(p)) {
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>("metrics.kafka", 0, "k", "yes")).get();
        }
        ServerHarness.Resp read = as(readerToken, "GET", "/v1/topics/metrics.kafka/partitions/0/records?offset=0", null);
        assertThat(read.status()).isEqualTo(200);
        assertThat(read.json().get("records")).hasSize(1);
        assertThat(read.body()).contains("eWVz"); // "yes", base64: the unauthenticated "no" never arrived
    }

    private static void assertForbidden(ServerHarness.Resp r, String why) {
        assertThat(r.status()).as(r.body()).isEqualTo(403);
        assertThat(r.json().get("error").asText()).isEqualTo("forbidden");
        assertThat(r.json().get("message").asText()).contains(why);
    }
}
