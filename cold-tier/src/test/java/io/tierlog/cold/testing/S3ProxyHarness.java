package io.tierlog.cold.testing;

import io.tierlog.cold.S3Config;
import io.tierlog.cold.S3ObjectStore;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;

/**
 * An S3Proxy 4.1 server started in-process on 127.0.0.1 at a free port, backed by the in-memory ("transient")
 * or the filesystem blob store. Gives every test run a real S3 wire protocol without Docker.
 */
public final class S3ProxyHarness implements AutoCloseable {
    public static final String ACCESS_KEY = "tierlog-test";
    public static final String SECRET_KEY = "tierlog-test-secret";

    private final S3Proxy proxy;
    private final URI endpoint;

    private S3ProxyHarness(S3Proxy proxy, URI endpoint) {
        this.proxy = proxy;
        this.endpoint = endpoint;
    }

    /** In-memory store: fast, vanishes with the JVM. */
    public static S3ProxyHarness startTransient() {
        return start("transient", new Properties());
    }

    /** Files under {@code dir}: for benchmarks with objects larger than the heap should hold. */
    public static S3ProxyHarness startFilesystem(Path dir) {
        Properties p = new Properties();
        p.setProperty("jclouds.filesystem.basedir", dir.toString());
        return start("filesystem", p);
    }

    private static S3ProxyHarness start(String provider, Properties props) {
        try {
            S3Proxy proxy = S3Proxy.builder()
                    .blobStore(BlobStores.create(provider, props))
                    .endpoint(URI.create("http://127.0.0.1:0"))
                    .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                    .build();
            proxy.start();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!"STARTED".equals(proxy.getState())) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
                }
                Thread.onSpinWait();
                Thread.yield();
            }
            return new S3ProxyHarness(proxy, URI.create("http://127.0.0.1:" + proxy.getPort()));
        } catch (Exception e) {
            throw new IllegalStateException("cannot start S3Proxy", e);
        }
    }

    public URI endpoint() {
        return endpoint;
    }

    /** Client settings for this server; small multipart threshold so that tests exercise multipart cheaply. */
    public S3Config config(String bucket) {
        return S3Config.compatible(endpoint, bucket, ACCESS_KEY, SECRET_KEY)
                .withRetries(3, Duration.ofSeconds(20));
    }

    /** A client for {@code bucket}, creating the bucket first. */
    public S3ObjectStore store(String bucket) {
        S3ObjectStore s = S3ObjectStore.create(config(bucket));
        s.createBucketIfMissing();
        return s;
    }

    @Override
    public void close() {
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException("cannot stop S3Proxy", e);
        }
    }
}
