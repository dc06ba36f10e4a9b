package io.tierlog.server;

import io.tierlog.auth.Grant;
import io.tierlog.auth.Permission;
import io.tierlog.auth.TestCa;
import io.tierlog.auth.TokenEntry;
import io.tierlog.auth.TokenFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** HTTPS from PEM files made by a throwaway CA, and client certificates as a second way to name a principal. */
class HttpTlsTest {
    @TempDir
    Path dir;

    private final String adminToken = TokenEntry.newToken();
    private TestCa ca;
    private ServerHarness h;

    @BeforeEach
    void start() throws Exception {
        ca = new TestCa(dir, "tierlog-test-ca");
        TestCa.Issued server = ca.server("tierlog");
        Path tokens = dir.resolve("tokens.json");
        TokenFile.write(tokens, List.of(
                TokenEntry.create("admin", adminToken, List.of(new Grant(Permission.ADMIN, ""))),
                TokenEntry.create("reader", TokenEntry.newToken(), List.of(new Grant(Permission.CONSUME, "")))));
        h = new ServerHarness(dir.resolve("data"), Map.of("auth.token.file", tokens.toString(),
                "tls.cert.file", server.certificate().toString(), "tls.key.file", server.key().toString(),
                "tls.client.ca.file", ca.caPem().toString()));
    }

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    private HttpResponse<String> get(SSLContext ssl, String scheme, String path, String token) throws Exception {
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
        if (ssl != null) {
            b.sslContext(ssl);
        }
        try (HttpClient c = b.build()) {
            HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(scheme + "://127.0.0.1:" + h.server.port() + path))
                    .timeout(Duration.ofSeconds(10));
            if (token != null) {
                r.header("Authorization", "Bearer " + token);
            }
            return c.send(r.build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    @Test
    void theApiIsServedOverHttpsOnlyWithTheConfiguredCertificate() throws Exception {
        SSLContext trusting = ca.clientContext(null);
        assertThat(get(trusting, "https", "/v1/health", null).statusCode()).isEqualTo(200);
        assertThat(get(trusting, "https", "/v1/topics", adminToken).statusCode()).isEqualTo(200);
        assertThat(get(trusting, "https", "/v1/topics", null).statusCode()).isEqualTo(401);
        // a client that does not trust the CA refuses the server
        assertThatThrownBy(() -> get(SSLContext.getDefault(), "https", "/v1/health", null))
                .isInstanceOf(SSLHandshakeException.class);
        // plain HTTP on the TLS port gets no API answer
        HttpResponse<String> plain = null;
        try {
            plain = get(null, "http", "/v1/health", null);
        } catch (IOException expected) {
            // closed by the TLS connector: also a refusal
        }
        if (plain != null) {
            assertThat(plain.statusCode()).isNotEqualTo(200);
        }
    }

    @Test
    void aClientCertificateFromTheClientCaNamesItsPrincipalAndOneFromAnotherCaIsRefused() throws Exception {
        SSLContext reader = ca.clientContext(ca.client("reader"));
        assertThat(get(reader, "https", "/v1/topics", null).statusCode()).isEqualTo(200);
        assertThat(get(reader, "https", "/v1/storage", null).statusCode()).as("reader is no admin").isEqualTo(403);
        // a certificate for a name the token file does not know authenticates no one
        assertThat(get(ca.clientContext(ca.client("stranger")), "https", "/v1/topics", null).statusCode()).isEqualTo(401);
        TestCa other = new TestCa(dir, "other-ca");
        SSLContext forged = ca.clientContext(other.client("admin"));
        // the server asks for certificates of its client CA only, so the forged one is not even sent: no principal
        assertThat(get(forged, "https", "/v1/topics", null).statusCode()).isEqualTo(401);
    }
}
