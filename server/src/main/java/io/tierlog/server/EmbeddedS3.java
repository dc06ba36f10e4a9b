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
        // the keys are not logged: they are in the 0600 credentials file (or the operator's own configuration)
        LOG.info("embedded S3 store at {} bucket={} accessKey={} (files under {})",
                endpoint, bucket, accessKey, baseDir.toAbsolutePath());
        return new EmbeddedS3(proxy, store, endpoint);
    }

    /** The embedded store's key pair: owner-only readable, generated once per data directory. */
    record Credentials(String accessKey, String secretKey) {
        @Override
        public String toString() {
            return "Credentials[accessKey=" + accessKey + "]";
        }
    }

    /** Name of the embedded store's credentials file in the data directory. */
    static final String CREDENTIALS_FILE = "s3-credentials.properties";

    /**
     * The keys in {@code <dataDir>/s3-credentials.properties}, created with fresh random keys and mode 0600 when
     * missing, so that no two installations share a secret and none is ever printed. A file others may read has
     * its permissions narrowed (and a warning).
     */
    static Credentials credentials(Path dataDir) {
        Path file = dataDir.resolve(CREDENTIALS_FILE);
        try {
            if (!Files.exists(file)) {
                java.security.SecureRandom random = new java.security.SecureRandom();
                byte[] a = new byte[12];
                byte[] b = new byte[30];
                random.nextBytes(a);
                random.nextBytes(b);
                Properties p = new Properties();
                p.setProperty("access.key", "tierlog-" + java.util.HexFormat.of().formatHex(a));
                p.setProperty("secret.key", java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(b));
                Path tmp = dataDir.resolve(CREDENTIALS_FILE + ".tmp");
                Files.deleteIfExists(tmp);
                Files.createFile(tmp, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(OWNER_ONLY));
                try (var w = Files.newBufferedWriter(tmp, java.nio.charset.StandardCharsets.UTF_8)) {
                    p.store(w, "keys of the embedded S3 store of this data directory; keep private");
                }
                Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                LOG.info("generated the embedded S3 store's keys into {} (mode 0600)", file);
            }
            if (!Files.getPosixFilePermissions(file).equals(OWNER_ONLY)) {
                LOG.warn("{} was readable by others; narrowing it to 0600", file);
                Files.setPosixFilePermissions(file, OWNER_ONLY);
            }
            Properties p = new Properties();
            try (var r = Files.newBufferedReader(file, java.nio.charset.StandardCharsets.UTF_8)) {
                p.load(r);
            }
            String access = p.getProperty("access.key", "").trim();
            String secret = p.getProperty("secret.key", "").trim();
            if (access.isEmpty() || secret.isEmpty()) {
                throw new IllegalStateException(file + " must hold access.key and secret.key");
            }
            return new Credentials(access, secret);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the embedded S3 credentials " + file, e);
        }
    }

    private static final java.util.Set<java.nio.file.attribute.PosixFilePermission> OWNER_ONLY =
            java.nio.file.attribute.PosixFilePermissions.fromString("rw-------");

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
