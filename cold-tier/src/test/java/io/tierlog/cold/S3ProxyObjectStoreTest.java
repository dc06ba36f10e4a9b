package io.tierlog.cold;

import io.tierlog.cold.testing.S3ProxyHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The object-store contract against S3Proxy 4.1 running in this JVM (every build). */
class S3ProxyObjectStoreTest extends ObjectStoreContractTest {
    private static S3ProxyHarness server;
    private static S3ObjectStore store;
    private static S3ObjectStore storeWhenRequired;

    @BeforeAll
    static void start() {
        server = S3ProxyHarness.startTransient();
        S3Config c = server.config("contract").withMultipart(S3Config.MIN_PART_SIZE, S3Config.MIN_PART_SIZE);
        store = S3ObjectStore.create(c);
        store.createBucketIfMissing();
        storeWhenRequired = S3ObjectStore.create(c.withChecksumsWhenRequired(true));
    }

    @AfterAll
    static void stop() {
        store.close();
        storeWhenRequired.close();
        server.close();
    }

    @Override
    protected ObjectStore store() {
        return store;
    }

    @Override
    protected ObjectStore storeWithChecksumsWhenRequired() {
        return storeWhenRequired;
    }
}
