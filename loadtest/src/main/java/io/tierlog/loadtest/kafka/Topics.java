package io.tierlog.loadtest.kafka;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.RetriableException;

/** Creates the benchmark topics through Kafka's AdminClient, the same way on both brokers. */
final class Topics {
    private Topics() {
    }

    /**
     * Creates {@code topic} with replication 1, retrying while the broker is still starting (a KRaft broker refuses
     * topics until it has registered), at most {@code timeout}.
     */
    static void create(String bootstrap, String topic, int partitions, Map<String, String> configs, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            while (true) {
                try {
                    admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1).configs(configs))).all()
                            .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                    return;
                } catch (ExecutionException e) {
                    boolean starting = e.getCause() instanceof InvalidReplicationFactorException
                            || e.getCause() instanceof RetriableException;
                    if (!starting || System.nanoTime() - deadline > 0) {
                        throw new IllegalStateException("cannot create topic " + topic + " on " + bootstrap + ": "
                                + e.getCause(), e.getCause());
                    }
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200)); // the broker registers within seconds
                } catch (TimeoutException e) {
                    throw new IllegalStateException("creating topic " + topic + " on " + bootstrap + " took over " + timeout, e);
                }
            }
        }
    }
}
