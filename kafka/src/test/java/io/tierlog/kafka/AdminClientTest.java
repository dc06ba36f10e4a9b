package io.tierlog.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicCollection;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The real kafka-clients 4.1.2 AdminClient against the listener. */
class AdminClientTest {

    private ListenerFixture fixture;
    private Admin admin;

    @BeforeEach
    void start() throws Exception {
        fixture = new ListenerFixture();
        admin = Admin.create(fixture.admin());
    }

    @AfterEach
    void stop() throws Exception {
        admin.close();
        fixture.close();
    }

    @Test
    void creates_lists_describes_and_deletes_topics() throws Exception {
        CreateTopicsResult created = admin.createTopics(List.of(
                new NewTopic("orders", 3, (short) 1).configs(Map.of("retention.ms", "3600000")),
                new NewTopic("defaults", java.util.Optional.empty(), java.util.Optional.empty())));
        created.all().get();
        assertThat(created.numPartitions("orders").get()).isEqualTo(3);
        assertThat(created.replicationFactor("orders").get()).isEqualTo(1);
        assertThat(created.numPartitions("defaults").get()).isEqualTo(1);
        Uuid ordersId = created.topicId("orders").get();
        assertThat(ordersId).isEqualTo(TopicIds.toKafka(fixture.backend.topic("orders").orElseThrow().id()));
        assertThat(created.config("orders").get().get("retention.ms").value()).isEqualTo("3600000");

        assertThat(admin.listTopics().names().get()).containsExactlyInAnyOrder("orders", "defaults");

        TopicDescription byName = admin.describeTopics(List.of("orders")).allTopicNames().get().get("orders");
        assertThat(byName.topicId()).isEqualTo(ordersId);
        assertThat(byName.partitions()).hasSize(3);
        assertThat(byName.partitions().getFirst().leader().id()).isZero();
        assertThat(byName.partitions().getFirst().replicas()).extracting(Node::id).containsExactly(0);
        TopicDescription byId = admin.describeTopics(TopicCollection.ofTopicIds(List.of(ordersId)))
                .allTopicIds().get().get(ordersId);
        assertThat(byId.name()).isEqualTo("orders");

        admin.deleteTopics(TopicCollection.ofTopicNames(List.of("defaults"))).all().get();
        admin.deleteTopics(TopicCollection.ofTopicIds(List.of(ordersId))).all().get();
        assertThat(admin.listTopics().names().get()).isEmpty();
        assertThat(fixture.backend.topicNames()).isEmpty();
    }

    @Test
    void refuses_replication_beyond_one_broker_existing_topics_and_unknown_configs() throws Exception {
        admin.createTopics(List.of(new NewTopic("once", 1, (short) 1))).all().get();
        assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("replicated", 1, (short) 3))).all().get())
                .isInstanceOf(ExecutionException.class).cause().isInstanceOf(InvalidReplicationFactorException.class)
                .hasMessageContaining("replication factor 3");
        assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("once", 1, (short) 1))).all().get())
                .isInstanceOf(ExecutionException.class).cause().isInstanceOf(TopicExistsException.class);
        assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("odd", 1, (short) 1)
                .configs(Map.of("no.such.config", "1")))).all().get())
                .isInstanceOf(ExecutionException.class).cause().isInstanceOf(InvalidConfigurationException.class);
        assertThatThrownBy(() -> admin.deleteTopics(List.of("never")).all().get())
                .isInstanceOf(ExecutionException.class).cause().isInstanceOf(UnknownTopicOrPartitionException.class);
        assertThat(fixture.backend.topicNames()).containsExactly("once");
    }

    @Test
    void validate_only_creates_nothing() throws Exception {
        admin.createTopics(List.of(new NewTopic("dry", 2, (short) 1)), new CreateTopicsOptions().validateOnly(true))
                .all().get();
        assertThat(fixture.backend.topicNames()).isEmpty();
    }

    @Test
    void delete_records_moves_the_log_start_offset_which_fetches_and_list_offsets_honour() throws Exception {
        fixture.backend.createTopic("purged", 2);
        try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<>(fixture.producer("none", "all"),
                new org.apache.kafka.common.serialization.StringSerializer(),
                new org.apache.kafka.common.serialization.StringSerializer())) {
            for (int i = 0; i < 10; i++) {
                producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>("purged", 0, null, "r" + i)).get();
            }
        }
        org.apache.kafka.common.TopicPartition p0 = new org.apache.kafka.common.TopicPartition("purged", 0);
        org.apache.kafka.common.TopicPartition p1 = new org.apache.kafka.common.TopicPartition("purged", 1);
        var result = admin.deleteRecords(Map.of(p0, org.apache.kafka.clients.admin.RecordsToDelete.beforeOffset(4),
                p1, org.apache.kafka.clients.admin.RecordsToDelete.beforeOffset(0)));
        assertThat(result.lowWatermarks().get(p0).get().lowWatermark()).isEqualTo(4);
        assertThat(result.lowWatermarks().get(p1).get().lowWatermark()).isZero();
        assertThat(admin.deleteRecords(Map.of(p0, org.apache.kafka.clients.admin.RecordsToDelete.beforeOffset(2)))
                .lowWatermarks().get(p0).get().lowWatermark()).as("never back").isEqualTo(4);
        assertThat(admin.listOffsets(Map.of(p0, org.apache.kafka.clients.admin.OffsetSpec.earliest())).all().get()
                .get(p0).offset()).isEqualTo(4);
        assertThatThrownBy(() -> admin.deleteRecords(Map.of(p0, org.apache.kafka.clients.admin.RecordsToDelete.beforeOffset(11)))
                .all().get()).hasCauseInstanceOf(org.apache.kafka.common.errors.OffsetOutOfRangeException.class);

        java.util.Properties props = fixture.consumer();
        props.put(org.apache.kafka.clients.consumer.ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(props,
                new org.apache.kafka.common.serialization.StringDeserializer(),
                new org.apache.kafka.common.serialization.StringDeserializer())) {
            consumer.assign(List.of(p0));
            consumer.seek(p0, 1); // below the log start: OFFSET_OUT_OF_RANGE, then the reset policy
            List<String> values = new java.util.ArrayList<>();
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
            while (values.size() < 6 && System.nanoTime() < deadline) {
                consumer.poll(java.time.Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
            }
            assertThat(values).containsExactly("r4", "r5", "r6", "r7", "r8", "r9");
        }
        // everything up to the end: what Kafka Streams does with a fully consumed repartition topic
        assertThat(admin.deleteRecords(Map.of(p0, org.apache.kafka.clients.admin.RecordsToDelete.beforeOffset(-1)))
                .lowWatermarks().get(p0).get().lowWatermark()).isEqualTo(10);
    }

    @Test
    void describes_topic_and_broker_configs_and_the_cluster() throws Exception {
        admin.createTopics(List.of(new NewTopic("conf", 1, (short) 1).configs(Map.of("cleanup.policy", "compact"))))
                .all().get();
        ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, "conf");
        ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, "0");
        Map<ConfigResource, Config> configs = admin.describeConfigs(List.of(topic, broker)).all().get();
        ConfigEntry policy = configs.get(topic).get("cleanup.policy");
        assertThat(policy.value()).isEqualTo("compact");
        assertThat(policy.isDefault()).isFalse();
        assertThat(policy.source()).isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG);
        ConfigEntry retention = configs.get(topic).get("retention.ms");
        assertThat(retention.isDefault()).isTrue();
        assertThat(configs.get(broker).get("node.id").value()).isEqualTo("0");
        assertThat(policy.synonyms()).as("none unless asked for").isEmpty();
        ConfigEntry withSynonyms = admin.describeConfigs(List.of(topic),
                new org.apache.kafka.clients.admin.DescribeConfigsOptions().includeSynonyms(true)).all().get()
                .get(topic).get("cleanup.policy");
        assertThat(withSynonyms.synonyms()).singleElement().satisfies(x -> {
            assertThat(x.name()).isEqualTo("cleanup.policy");
            assertThat(x.value()).isEqualTo("compact");
            assertThat(x.source()).isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG);
        });

        DescribeClusterResult cluster = admin.describeCluster();
        assertThat(cluster.clusterId().get()).isEqualTo("tierlog-test-cluster");
        assertThat(cluster.controller().get().id()).isZero();
        assertThat(cluster.nodes().get()).singleElement().satisfies(n -> {
            assertThat(n.host()).isEqualTo("127.0.0.1");
            assertThat(n.port()).isEqualTo(fixture.listener.port());
        });
        assertThat(Set.copyOf(fixture.registry.find("tierlog.kafka.requests").counters().stream()
                .map(c -> c.getId().getTag("api")).toList()))
                .contains("ApiVersions", "CreateTopics", "DescribeConfigs", "DescribeCluster");
    }
}
