package io.tierlog.server;

import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * An S3-compatible store run in-process (S3Proxy over its filesystem back end under {@code <data>/s3}) so that
 * a bare {@code ./tierlog server} has a working cold tier with nothing else installed. The cold tier talks to
 * it over HTTP through the same S3 client code as to a real S3.
 */
final class EmbeddedS3 implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedS3.class);

    private final S3Proxy proxy;
    private final BlobStore store;
    private final URI endpoint;

    private EmbeddedS3(S3Proxy proxy, BlobStore store, URI endpoint) {
        this.proxy = proxy;
        this.store = store;
        this.endpoint = endpoint;
    }

    static EmbeddedS3 start(Path baseDir, String host, int port, String bucket, String accessKey, String secretKey) {
        try {
            Files.createDirectories(baseDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the embedded S3 directory " + baseDir, e);
        }
        Properties props = new Properties();
        props.setProperty("jclouds.filesystem.basedir", baseDir.toAbsolutePath().toString());
        BlobStore store = BlobStores.create("filesystem", props);
        if (!store.containerExists(bucket)) {
            store.createContainer(bucket);
        }
        S3Proxy proxy = S3Proxy.builder()
                .blobStore(store)
                .endpoint(URI.create("http://" + host + ":" + port))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
                .build();
        try {
            proxy.start();
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!"STARTED".equals(proxy.getState())) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("embedded S3 did not start within 30 s (state "
                            + proxy.getState() + ")");
                }
                Thread.onSpinWait();
                Thread.sleep(5);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the embedded S3 store", e);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the embedded S3 store: " + e.getMessage(), e);
        }
        URI endpoint = URI.create("http://" + host + ":" + proxy.getPort());
        LOG.info("embedded S3 store at {} bucket={} accessKey={} secretKey={} (files under {})",
                endpoint, bucket, accessKey, secretKey, baseDir.toAbsolutePath());
        return new EmbeddedS3(proxy, store, endpoint);
    }

    URI endpoint() {
        return endpoint;
    }

    @Override
    public void close() {
        try {
            proxy.stop();
        } catch (Exception e) {
            LOG.warn("embedded S3 store did not stop cleanly: {}", e.toString());
        }
        store.close();
    }
}
