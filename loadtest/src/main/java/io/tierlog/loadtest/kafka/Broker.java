package io.tierlog.loadtest.kafka;

import java.util.Map;

/**
 * A broker under test, running in its own JVM: where Kafka clients connect, and the process whose CPU time
 * each run is charged with. Closing it stops the process (always, also after a failure).
 */
interface Broker extends AutoCloseable {
    /** "tierlog" or "kafka". */
    String name();

    String bootstrap();

    long pid();

    /**
     * Topic configs (Kafka names) that give this broker the settings both brokers share: segment size and
     * retention, plus whatever this broker needs to match the other (Tierlog: no tiering unless asked for).
     */
    Map<String, String> topicConfigs(BrokerSettings settings);

    @Override
    void close();
}
