package io.tierlog.cold;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.testcontainers.containers.MinIOContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

import java.net.URI;

/** The object-store contract against a real MinIO in Docker; skipped cleanly where Docker is missing. */
@Testcontainers(disabledWithoutDocker = true)
class MinioObjectStoreTest extends ObjectStoreContractTest {
    @Container
    static final MinIOContainer MINIO = new MinIOContainer("minio/minio:RELEASE.2025-04-22T22-12-26Z");

    private static S3ObjectStore store;
    private static S3ObjectStore storeWhenRequired;

    @BeforeAll
    static void connect() {
        S3Config c = S3Config.compatible(URI.create(MINIO.getS3URL()), "contract", MINIO.getUserName(), MINIO.getPassword())
                .withMultipart(S3Config.MIN_PART_SIZE, S3Config.MIN_PART_SIZE);
        store = S3ObjectStore.create(c);
        store.createBucketIfMissing();
        storeWhenRequired = S3ObjectStore.create(c.withChecksumsWhenRequired(true));
    }

    @AfterAll
    static void close() {
        if (store != null) {
            store.close();
            storeWhenRequired.close();
        }
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
