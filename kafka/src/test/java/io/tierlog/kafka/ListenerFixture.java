package io.tierlog.kafka;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.time.Duration;
import java.util.Properties;

import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** A {@link KafkaListener} on an ephemeral port over a {@link MemoryBackend}, with client settings for tests. */
final class ListenerFixture implements AutoCloseable {

    final MemoryBackend backend = new MemoryBackend();
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final KafkaListener listener;

    ListenerFixture() throws IOException {
        this(KafkaListenerConfig.DEFAULT_MAX_REQUEST_BYTES);
    }

    ListenerFixture(int maxRequestBytes) throws IOException {
        this(KafkaListenerConfig.of("127.0.0.1", 0).withMaxRequestBytes(maxRequestBytes),
                RequestMemory.defaultBudget(maxRequestBytes));
    }

    ListenerFixture(int maxRequestBytes, int requestMemoryBudget) throws IOException {
        this(KafkaListenerConfig.of("127.0.0.1", 0).withMaxRequestBytes(maxRequestBytes), requestMemoryBudget);
    }

    /** With the group coordinator's timeouts and limits (tests shorten them). */
    ListenerFixture(GroupConfig groups) throws IOException {
        this(KafkaListenerConfig.of("127.0.0.1", 0).withGroups(groups),
                RequestMemory.defaultBudget(KafkaListenerConfig.DEFAULT_MAX_REQUEST_BYTES));
    }

    private ListenerFixture(KafkaListenerConfig config, int requestMemoryBudget) throws IOException {
        this(config, requestMemoryBudget, null, null);
    }

    /** A listener that requires SASL with these credentials. */
    ListenerFixture(io.tierlog.auth.Authenticator authenticator) throws IOException {
        this(authenticator, null);
    }

    /** A listener that speaks TLS (and requires SASL when {@code authenticator} is given). */
    ListenerFixture(io.tierlog.auth.Authenticator authenticator, io.tierlog.auth.TlsFiles tls) throws IOException {
        this(KafkaListenerConfig.of("127.0.0.1", 0), RequestMemory.defaultBudget(KafkaListenerConfig.DEFAULT_MAX_REQUEST_BYTES),
                authenticator, tls);
    }

    private ListenerFixture(KafkaListenerConfig config, int requestMemoryBudget, io.tierlog.auth.Authenticator authenticator,
                            io.tierlog.auth.TlsFiles tls) throws IOException {
        listener = new KafkaListener(config, backend, registry, requestMemoryBudget, authenticator, tls);
        listener.start();
    }

    String bootstrap() {
        return "127.0.0.1:" + listener.port();
    }

    Properties producer(String compression, String acks) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        // the Java client refuses idempotence without acks=all (ConfigException), so acks=1 runs without it
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, Boolean.toString(acks.equals("all") || acks.equals("-1")));
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, compression);
        p.put(ProducerConfig.ACKS_CONFIG, acks);
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "20000");
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000");
        return p;
    }

    Properties consumer() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
        return p;
    }

    Properties admin() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        return p;
    }

    double counter(String name, String... tags) {
        var c = registry.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    /** Closes the listener, then checks that every file region it was handed was released. */
    @Override
    public void close() throws IOException {
        listener.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> backend.pinnedRegions.get() == 0);
        backend.close();
    }
}
