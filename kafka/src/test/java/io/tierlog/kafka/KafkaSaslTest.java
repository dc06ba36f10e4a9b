package io.tierlog.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ApiVersionsRequest;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.message.SaslAuthenticateRequestData;
import org.apache.kafka.common.requests.FetchResponse;
import org.apache.kafka.common.requests.ProduceResponse;
import org.apache.kafka.common.requests.SaslAuthenticateRequest;
import org.apache.kafka.common.requests.SaslAuthenticateResponse;
import org.apache.kafka.common.requests.SaslHandshakeRequest;
import org.apache.kafka.common.requests.SaslHandshakeResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.tierlog.auth.Grant;
import io.tierlog.auth.Permission;
import io.tierlog.auth.TokenEntry;
import io.tierlog.auth.TokenFile;

/**
 * SASL/PLAIN and SCRAM-SHA-256/512 with real kafka-clients (and librdkafka through kcat) against a listener with a
 * token file, and the authorization of what each principal then does, with Kafka's error codes.
 */
class KafkaSaslTest {
    @TempDir
    Path dir;

    private final String writerToken = TokenEntry.newToken();
    private final String readerToken = TokenEntry.newToken();
    private final String adminToken = TokenEntry.newToken();
    private ListenerFixture fixture;

    @BeforeEach
    void start() throws Exception {
        Path file = dir.resolve("tokens.json");
        TokenFile.write(file, List.of(
                TokenEntry.create("writer", writerToken, List.of(new Grant(Permission.PRODUCE, "metrics."))),
                TokenEntry.create("reader", readerToken, List.of(new Grant(Permission.CONSUME, "metrics."))),
                TokenEntry.create("admin", adminToken, List.of(new Grant(Permission.ADMIN, ""),
                        new Grant(Permission.PRODUCE, ""), new Grant(Permission.CONSUME, "")))));
        fixture = new ListenerFixture(TokenFile.open(file, 1000));
        fixture.backend.createTopic("metrics.cpu", 1);
        fixture.backend.createTopic("logs", 1);
    }

    @AfterEach
    void stop() throws Exception {
        if (fixture != null) {
            fixture.close();
        }
    }

    private static Properties sasl(Properties p, String mechanism, String user, String password) {
        p.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT");
        p.put(SaslConfigs.SASL_MECHANISM, mechanism);
        String module = mechanism.equals("PLAIN") ? "org.apache.kafka.common.security.plain.PlainLoginModule"
                : "org.apache.kafka.common.security.scram.ScramLoginModule";
        p.put(SaslConfigs.SASL_JAAS_CONFIG, module + " required username=\"" + user + "\" password=\"" + password + "\";");
        return p;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"})
    void aProducerAndAConsumerAuthenticateAndDoWhatTheirGrantsAllow(String mechanism) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(
                sasl(fixture.producer("none", "all"), mechanism, "writer", writerToken))) {
            for (int i = 0; i < 5; i++) {
                producer.send(new ProducerRecord<>("metrics.cpu", 0, "k", "v" + i)).get(20, TimeUnit.SECONDS);
            }
            ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> producer.send(new ProducerRecord<>("logs", 0, "k", "v")).get(20, TimeUnit.SECONDS));
            assertThat(e.getCause()).isInstanceOf(TopicAuthorizationException.class);
            assertThat(((TopicAuthorizationException) e.getCause()).unauthorizedTopics()).containsExactly("logs");
        }
        Properties c = sasl(fixture.consumer(), mechanism, "reader", readerToken);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "readers-" + mechanism);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c)) {
            consumer.subscribe(List.of("metrics.cpu"));
            List<String> values = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (values.size() < 5 && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    values.add(r.value());
                }
            }
            assertThat(values).containsExactly("v0", "v1", "v2", "v3", "v4");
            consumer.commitSync();
            assertThat(fixture.backend.committedPlainOffsets("readers-" + mechanism).get("metrics.cpu")).containsEntry(0, 5L);
        }
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(sasl(fixture.consumer(), mechanism, "reader",
                readerToken))) {
            consumer.assign(List.of(new TopicPartition("logs", 0)));
            consumer.seekToBeginning(List.of(new TopicPartition("logs", 0)));
            assertThatThrownBy(() -> consumer.poll(Duration.ofSeconds(10))).isInstanceOf(TopicAuthorizationException.class);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"})
    void aWrongPasswordOrAnUnknownUserFailsAuthentication(String mechanism) throws Exception {
        for (String[] cred : new String[][]{{"writer", readerToken}, {"nobody", writerToken}, {"writer", ""}}) {
            try (Admin admin = Admin.create(sasl(fixture.admin(), mechanism, cred[0], cred[1]))) {
                assertThatThrownBy(() -> admin.listTopics().names().get(20, TimeUnit.SECONDS))
                        .hasCauseInstanceOf(SaslAuthenticationException.class);
            }
        }
        // counted by the listener (the Java SCRAM client gives up on an empty password before sending it)
        assertThat(fixture.counter("tierlog.kafka.connections.rejected", "reason", "sasl_failed")).isGreaterThanOrEqualTo(2);
    }

    @Test
    void topicListsAreFilteredAndAdminGroupAndClusterOperationsNeedTheirPermissions() throws Exception {
        try (Admin reader = Admin.create(sasl(fixture.admin(), "SCRAM-SHA-256", "reader", readerToken))) {
            assertThat(reader.listTopics().names().get(20, TimeUnit.SECONDS)).containsExactly("metrics.cpu");
            assertThatThrownBy(() -> reader.describeTopics(List.of("logs")).allTopicNames().get(20, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(TopicAuthorizationException.class);
            assertThatThrownBy(() -> reader.createTopics(List.of(new NewTopic("metrics.mem", 1, (short) 1))).all()
                    .get(20, TimeUnit.SECONDS)).hasCauseInstanceOf(TopicAuthorizationException.class);
            assertThatThrownBy(() -> reader.deleteTopics(List.of("metrics.cpu")).all().get(20, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(TopicAuthorizationException.class);
            assertThatThrownBy(() -> reader.deleteConsumerGroups(List.of("g")).all().get(20, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(GroupAuthorizationException.class);
        }
        try (Admin admin = Admin.create(sasl(fixture.admin(), "PLAIN", "admin", adminToken))) {
            assertThat(admin.listTopics().names().get(20, TimeUnit.SECONDS)).containsExactlyInAnyOrder("metrics.cpu", "logs");
            admin.createTopics(List.of(new NewTopic("metrics.mem", 1, (short) 1))).all().get(20, TimeUnit.SECONDS);
            admin.deleteTopics(List.of("logs")).all().get(20, TimeUnit.SECONDS);
            assertThat(admin.listTopics().names().get(20, TimeUnit.SECONDS)).containsExactlyInAnyOrder("metrics.cpu",
                    "metrics.mem");
        }
        // a principal that may produce nowhere is no idempotent producer; one that may consume nowhere joins no group
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(
                sasl(fixture.producer("none", "all"), "PLAIN", "reader", readerToken))) {
            ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> producer.send(new ProducerRecord<>("metrics.cpu", 0, "k", "v")).get(20, TimeUnit.SECONDS));
            assertThat(e.getCause()).isInstanceOf(ClusterAuthorizationException.class);
        }
        Properties c = sasl(fixture.consumer(), "PLAIN", "writer", writerToken);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "writers");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c)) {
            consumer.subscribe(List.of("metrics.cpu"));
            assertThatThrownBy(() -> consumer.poll(Duration.ofSeconds(10))).isInstanceOf(GroupAuthorizationException.class);
        }
    }

    @Test
    void beforeAuthenticationOnlyApiVersionsAndTheSaslExchangeAreServed() throws Exception {
        try (RawClient client = new RawClient(fixture.listener.port())) {
            client.timeout(5000);
            ApiVersionsResponse versions = client.roundTrip(new ApiVersionsRequest(new ApiVersionsRequestData()
                    .setClientSoftwareName("raw").setClientSoftwareVersion("1"), (short) 3), 1, ApiVersionsResponse.class);
            Set<Short> keys = versions.data().apiKeys().stream().map(k -> k.apiKey()).collect(Collectors.toSet());
            assertThat(keys).contains(ApiKeys.SASL_HANDSHAKE.id, ApiKeys.SASL_AUTHENTICATE.id);
            SaslHandshakeResponse gssapi = client.roundTrip(new SaslHandshakeRequest.Builder(
                    new SaslHandshakeRequestData().setMechanism("GSSAPI")).build((short) 1), 2, SaslHandshakeResponse.class);
            assertThat(gssapi.data().errorCode()).isEqualTo(Errors.UNSUPPORTED_SASL_MECHANISM.code());
            assertThat(gssapi.data().mechanisms()).containsExactly("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512");
            client.send(new MetadataRequest(new MetadataRequestData().setTopics(null), (short) 12), 3);
            assertThat(client.closedByListener()).as("Metadata before authentication closes the connection").isTrue();
        }
        assertThat(fixture.counter("tierlog.kafka.connections.rejected", "reason", "unauthenticated")).isEqualTo(1);
    }

    @Test
    void produceAndFetchAreCheckedEvenWhenTheClientSkipsMetadata() throws Exception {
        try (RawClient client = new RawClient(fixture.listener.port())) {
            client.timeout(5000);
            SaslHandshakeResponse hs = client.roundTrip(new SaslHandshakeRequest.Builder(
                    new SaslHandshakeRequestData().setMechanism("PLAIN")).build((short) 1), 1, SaslHandshakeResponse.class);
            assertThat(hs.data().errorCode()).isEqualTo(Errors.NONE.code());
            byte[] plain = ("\0writer\0" + writerToken).getBytes(StandardCharsets.UTF_8);
            SaslAuthenticateResponse auth = client.roundTrip(new SaslAuthenticateRequest(
                    new SaslAuthenticateRequestData().setAuthBytes(plain), (short) 2), 2, SaslAuthenticateResponse.class);
            assertThat(auth.data().errorCode()).isEqualTo(Errors.NONE.code());

            ProduceResponse denied = client.roundTrip(RawClient.produce((short) 9, "logs", null, (short) 1,
                    RawClient.records("x")), 3, ProduceResponse.class);
            assertThat(denied.data().responses().iterator().next().partitionResponses().getFirst().errorCode())
                    .isEqualTo(Errors.TOPIC_AUTHORIZATION_FAILED.code());
            assertThat(fixture.backend.storedBatches("logs", 0)).as("nothing was written").isEmpty();
            ProduceResponse allowed = client.roundTrip(RawClient.produce((short) 9, "metrics.cpu", null, (short) 1,
                    RawClient.records("y")), 4, ProduceResponse.class);
            assertThat(allowed.data().responses().iterator().next().partitionResponses().getFirst().errorCode())
                    .isEqualTo(Errors.NONE.code());
            FetchResponse fetch = client.roundTrip(RawClient.fetch((short) 12, "metrics.cpu", 0, 0, 0), 5,
                    FetchResponse.class);
            assertThat(fetch.data().responses().getFirst().partitions().getFirst().errorCode())
                    .as("the writer may not consume").isEqualTo(Errors.TOPIC_AUTHORIZATION_FAILED.code());
        }
    }

    @Test
    void librdkafkaProducesAndConsumesOverSaslPlain() throws Exception {
        assumeTrue(onPath("kcat"), "kcat is not installed");
        String bootstrap = fixture.bootstrap();
        List<String> common = List.of("-b", bootstrap, "-X", "security.protocol=SASL_PLAINTEXT", "-X",
                "sasl.mechanisms=PLAIN");
        List<String> lines = List.of("one", "two", "three");
        assertThat(kcat(String.join("\n", lines) + "\n", common, "-X", "sasl.username=writer", "-X",
                "sasl.password=" + writerToken, "-P", "-t", "metrics.cpu", "-p", "0")).isZero();
        List<String> out = new ArrayList<>();
        assertThat(kcat("", common, out, "-X", "sasl.username=reader", "-X", "sasl.password=" + readerToken,
                "-C", "-t", "metrics.cpu", "-p", "0", "-o", "beginning", "-e", "-q", "-f", "%s\\n")).isZero();
        assertThat(out).containsExactlyElementsOf(lines);
        assertThat(kcat("x\n", common, "-X", "sasl.username=writer", "-X", "sasl.password=wrong", "-P", "-t",
                "metrics.cpu", "-p", "0", "-m", "10")).isNotZero();
    }

    private static int kcat(String stdin, List<String> common, String... args) throws Exception {
        return kcat(stdin, common, new ArrayList<>(), args);
    }

    private static int kcat(String stdin, List<String> common, List<String> stdout, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("kcat"));
        command.addAll(common);
        command.addAll(List.of(args));
        File err = File.createTempFile("kcat", ".err");
        Process p = new ProcessBuilder(command).redirectError(err).start();
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        stdout.addAll(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("kcat %s finished", command).isTrue();
        if (p.exitValue() != 0) {
            System.err.println("kcat " + String.join(" ", args) + " failed: " + java.nio.file.Files.readString(err.toPath()));
        }
        err.delete();
        return p.exitValue();
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (new File(d, tool).canExecute()) {
                return true;
            }
        }
        return false;
    }
}
