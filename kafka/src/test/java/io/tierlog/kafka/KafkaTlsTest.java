package io.tierlog.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.requests.ApiVersionsRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tierlog.auth.Grant;
import io.tierlog.auth.Permission;
import io.tierlog.auth.TestCa;
import io.tierlog.auth.TlsFiles;
import io.tierlog.auth.TokenEntry;
import io.tierlog.auth.TokenFile;

/**
 * The Kafka listener over TLS (certificates from a CA made at test time): SASL_SSL with real kafka-clients and kcat,
 * SSL with a client certificate naming the principal, fetches copied through the heap instead of sendfile.
 */
class KafkaTlsTest {
    @TempDir
    Path dir;

    private final String writerToken = TokenEntry.newToken();
    private TestCa ca;
    private ListenerFixture fixture;

    @BeforeEach
    void start() throws Exception {
        ca = new TestCa(dir, "kafka-test-ca");
        TestCa.Issued server = ca.server("tierlog");
        Path tokens = dir.resolve("tokens.json");
        TokenFile.write(tokens, List.of(
                TokenEntry.create("writer", writerToken, List.of(new Grant(Permission.PRODUCE, ""),
                        new Grant(Permission.CONSUME, ""))),
                TokenEntry.create("reader", TokenEntry.newToken(), List.of(new Grant(Permission.CONSUME, "")))));
        fixture = new ListenerFixture(TokenFile.open(tokens, 1000),
                TlsFiles.load(server.certificate(), server.key(), ca.caPem()));
        fixture.backend.createTopic("metrics.cpu", 1);
    }

    @AfterEach
    void stop() throws Exception {
        if (fixture != null) {
            fixture.close();
        }
    }

    private Properties trustTheCa(Properties p) throws Exception {
        p.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM");
        p.put(SslConfigs.SSL_TRUSTSTORE_CERTIFICATES_CONFIG, Files.readString(ca.caPem()));
        return p;
    }

    private Properties saslSsl(Properties p) throws Exception {
        trustTheCa(p);
        p.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_SSL");
        p.put(SaslConfigs.SASL_MECHANISM, "SCRAM-SHA-256");
        p.put(SaslConfigs.SASL_JAAS_CONFIG, "org.apache.kafka.common.security.scram.ScramLoginModule required "
                + "username=\"writer\" password=\"" + writerToken + "\";");
        return p;
    }

    @Test
    void saslOverTlsProducesAndFetchesWithoutSendfile() throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(saslSsl(fixture.producer("lz4", "all")))) {
            for (int i = 0; i < 20; i++) {
                producer.send(new ProducerRecord<>("metrics.cpu", 0, "k", "v" + i)).get(20, TimeUnit.SECONDS);
            }
        }
        assertThat(consumeAll(saslSsl(fixture.consumer()), 20)).hasSize(20).startsWith("v0").endsWith("v19");
        assertThat(fixture.counter("tierlog.kafka.fetch.sendfile.bytes")).as("no sendfile under TLS").isZero();
        assertThat(fixture.counter("tierlog.kafka.fetch.copied.bytes")).as("fetched bytes were copied and encrypted")
                .isPositive();
    }

    @Test
    void aClientCertificateFromTheClientCaNamesThePrincipalWithoutSasl() throws Exception {
        TestCa.Issued reader = ca.client("reader");
        Properties p = trustTheCa(fixture.producer("none", "1"));
        p.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SSL");
        p.put(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, "PEM");
        p.put(SslConfigs.SSL_KEYSTORE_CERTIFICATE_CHAIN_CONFIG, Files.readString(reader.certificate()));
        p.put(SslConfigs.SSL_KEYSTORE_KEY_CONFIG, Files.readString(reader.key()));
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
            ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> producer.send(new ProducerRecord<>("metrics.cpu", 0, "k", "x")).get(20, TimeUnit.SECONDS));
            assertThat(e.getCause()).as("reader may not produce").isInstanceOf(TopicAuthorizationException.class);
        }
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(saslSsl(fixture.producer("none", "all")))) {
            producer.send(new ProducerRecord<>("metrics.cpu", 0, "k", "by-writer")).get(20, TimeUnit.SECONDS);
        }
        Properties c = trustTheCa(fixture.consumer());
        c.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SSL");
        c.put(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, "PEM");
        c.put(SslConfigs.SSL_KEYSTORE_CERTIFICATE_CHAIN_CONFIG, Files.readString(reader.certificate()));
        c.put(SslConfigs.SSL_KEYSTORE_KEY_CONFIG, Files.readString(reader.key()));
        assertThat(consumeAll(c, 1)).containsExactly("by-writer");
    }

    @Test
    void aPlaintextClientGetsNoAnswer() throws Exception {
        try (RawClient client = new RawClient(fixture.listener.port())) {
            client.timeout(5000);
            client.send(new ApiVersionsRequest(new ApiVersionsRequestData().setClientSoftwareName("raw")
                    .setClientSoftwareVersion("1"), (short) 3), 1);
            assertThat(client.closedByListener()).as("a plaintext frame is no TLS handshake").isTrue();
        }
    }

    /**
     * PLAIN: librdkafka before 2.6.1 (Debian ships 2.0.2) repeats its nonce in SCRAM's final message, which
     * kafka-clients' SCRAM server (as Kafka 4's brokers) rightly rejects (confluentinc/librdkafka#4895).
     */
    @Test
    void librdkafkaSpeaksSaslSslWithTheCaFile() throws Exception {
        assumeTrue(onPath("kcat"), "kcat is not installed");
        List<String> common = List.of("-b", fixture.bootstrap(), "-X", "security.protocol=SASL_SSL", "-X",
                "sasl.mechanisms=PLAIN", "-X", "sasl.username=writer", "-X", "sasl.password=" + writerToken,
                "-X", "ssl.ca.location=" + ca.caPem());
        assertThat(kcat("a\nb\n", common, new ArrayList<>(), "-P", "-t", "metrics.cpu", "-p", "0")).isZero();
        List<String> out = new ArrayList<>();
        assertThat(kcat("", common, out, "-C", "-t", "metrics.cpu", "-p", "0", "-o", "beginning", "-e", "-q",
                "-f", "%s\\n")).isZero();
        assertThat(out).containsExactly("a", "b");
    }

    private static List<String> consumeAll(Properties c, int expected) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c)) {
            TopicPartition tp = new TopicPartition("metrics.cpu", 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (values.size() < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    values.add(r.value());
                }
            }
        }
        return values;
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
            System.err.println("kcat " + String.join(" ", args) + " failed: " + Files.readString(err.toPath()));
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
