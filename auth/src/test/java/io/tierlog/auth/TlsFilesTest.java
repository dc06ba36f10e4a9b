package io.tierlog.auth;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TlsFilesTest {
    @TempDir
    Path dir;

    @Test
    void aPemChainAndPkcs8KeyMakeAServerContextAndAClientCertificateNamesItsPrincipal() throws Exception {
        TestCa ca = new TestCa(dir, "test-ca");
        TestCa.Issued server = ca.server("tierlog");
        TlsFiles tls = TlsFiles.load(server.certificate(), server.key(), ca.caPem());
        assertThat(tls.clientCertificates()).isTrue();
        assertThat(tls.context().getProtocol()).isEqualTo("TLS");
        assertThat(TlsFiles.principalName(ca.client("reader").cert())).contains("reader");
    }

    @Test
    void aKeyThatIsNotPkcs8IsRefusedWithTheWayToConvertIt() throws Exception {
        TestCa ca = new TestCa(dir, "test-ca");
        TestCa.Issued server = ca.server("tierlog");
        Path pkcs1 = dir.resolve("rsa.key");
        Files.writeString(pkcs1, "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
        assertThatThrownBy(() -> TlsFiles.load(server.certificate(), pkcs1, null)).hasMessageContaining("openssl pkcs8");
        assertThatThrownBy(() -> TlsFiles.load(dir.resolve("missing.crt"), server.key(), null))
                .hasMessageContaining("missing.crt");
    }
}
