package io.tierlog.server;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.tierlog.auth.TestCa;
import io.tierlog.auth.TlsFiles;
import io.tierlog.cold.S3Config;
import io.tierlog.cold.S3ObjectStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLHandshakeException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The S3 client checks an https endpoint's certificate unless s3.tls.verify=false says not to. */
class S3TlsVerificationTest {
    @TempDir
    Path dir;

    private HttpsServer server;
    private final AtomicInteger requests = new AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        // an https "S3" whose certificate comes from a CA the JVM does not trust; it says every bucket exists
        TestCa ca = new TestCa(dir, "untrusted-ca");
        TestCa.Issued cert = ca.server("s3");
        server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.setHttpsConfigurator(new HttpsConfigurator(TlsFiles.load(cert.certificate(), cert.key(), null).context()));
        server.createContext("/", exchange -> {
            requests.incrementAndGet();
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private S3Config config() {
        return S3Config.compatible(URI.create("https://127.0.0.1:" + server.getAddress().getPort()), "bucket", "k", "s")
                .withRetries(1, Duration.ofSeconds(10));
    }

    @Test
    void anUntrustedCertificateIsRefusedBeforeAnyRequestIsSent() {
        try (S3ObjectStore store = S3ObjectStore.create(config())) {
            assertThatThrownBy(store::createBucketIfMissing).hasStackTraceContaining(SSLHandshakeException.class.getName())
                    .hasMessageContaining("PKIX path building failed");
        }
        assertThat(requests.get()).isZero();
    }

    @Test
    void verificationCanBeTurnedOffForATestStore() {
        try (S3ObjectStore store = S3ObjectStore.create(config(), false)) {
            store.createBucketIfMissing();
        }
        assertThat(requests.get()).isPositive();
    }
}
