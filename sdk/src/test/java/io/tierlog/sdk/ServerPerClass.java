package io.tierlog.sdk;

import static io.tierlog.sdk.SdkTesting.newTopic;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * One real server (with its Kafka listener and embedded S3) per test class, and a fresh client and topic per test:
 * the setting of the SDK tests that need nothing special from the server.
 */
abstract class ServerPerClass {
    @TempDir
    static Path dataDir;
    static TestServer server;

    TierlogClient client;
    String topic;

    @BeforeAll
    static void start() {
        server = TestServer.start(dataDir, Map.of());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @BeforeEach
    void openClient() {
        client = TierlogClient.create(server.uri());
        topic = newTopic();
    }

    @AfterEach
    void closeClient() {
        client.close();
    }
}
