package io.tierlog.auth;

import org.apache.kafka.common.security.scram.ScramCredential;
import org.apache.kafka.common.security.scram.internals.ScramFormatter;
import org.apache.kafka.common.security.scram.internals.ScramMechanism;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class TokenFileTest {
    @TempDir
    Path dir;

    @Test
    void aTokenNamesItsPrincipalAndNothingElseDoes() throws Exception {
        String ingest = TokenEntry.newToken();
        String reader = TokenEntry.newToken();
        Path file = dir.resolve("tokens.json");
        TokenFile.write(file, List.of(
                TokenEntry.create("ingest", ingest, List.of(new Grant(Permission.PRODUCE, "metrics."))),
                TokenEntry.create("reader", reader, List.of(new Grant(Permission.CONSUME, "")))));
        TokenFile tokens = TokenFile.open(file, 50);

        assertThat(tokens.bearer(ingest)).map(Principal::name).contains("ingest");
        assertThat(tokens.bearer(reader)).map(Principal::name).contains("reader");
        assertThat(tokens.bearer(ingest + "x")).isEmpty();
        assertThat(tokens.bearer("")).isEmpty();
        assertThat(tokens.password("ingest", ingest)).map(Principal::name).contains("ingest");
        assertThat(tokens.password("ingest", reader)).isEmpty();
        assertThat(tokens.password("nobody", ingest)).isEmpty();
        // the token itself is nowhere in the file
        assertThat(Files.readString(file)).doesNotContain(ingest).doesNotContain(reader);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    }

    @Test
    void grantsCoverTheirPermissionOnTopicsStartingWithTheirPrefix() {
        Principal p = new Principal("p", List.of(new Grant(Permission.PRODUCE, "metrics."),
                new Grant(Permission.CONSUME, "")));
        assertThat(p.may(Permission.PRODUCE, "metrics.cpu")).isTrue();
        assertThat(p.may(Permission.PRODUCE, "logs")).isFalse();
        assertThat(p.may(Permission.CONSUME, "logs")).isTrue();
        assertThat(p.may(Permission.ADMIN, "metrics.cpu")).isFalse();
        assertThat(p.isClusterAdmin()).isFalse();
        assertThat(new Principal("a", List.of(new Grant(Permission.ADMIN, ""))).isClusterAdmin()).isTrue();
        assertThat(new Principal("a", List.of(new Grant(Permission.ADMIN, "x"))).isClusterAdmin()).isFalse();
    }

    @Test
    void aChangedFileIsReloadedAndABrokenOneKeepsThePreviousPrincipals() throws Exception {
        String first = TokenEntry.newToken();
        String second = TokenEntry.newToken();
        Path file = dir.resolve("tokens.json");
        TokenFile.write(file, List.of(TokenEntry.create("first", first, List.of())));
        TokenFile tokens = TokenFile.open(file, 20);
        assertThat(tokens.bearer(first)).isPresent();

        TokenFile.write(file, List.of(TokenEntry.create("second", second, List.of())));
        await().atMost(Duration.ofSeconds(10)).until(() -> tokens.bearer(second).isPresent());
        assertThat(tokens.bearer(first)).isEmpty();

        Files.writeString(file, "{\"principals\": [ {\"name\": \"broken\"", StandardCharsets.UTF_8);
        // give it time to see the broken file: the good set must survive several checks
        long until = System.nanoTime() + Duration.ofMillis(300).toNanos();
        while (System.nanoTime() < until) {
            assertThat(tokens.bearer(second)).isPresent();
        }
    }

    @Test
    void anInvalidFileIsRefusedAtStartWithTheReason() throws Exception {
        Path file = dir.resolve("tokens.json");
        Files.writeString(file, "{\"principals\": [{\"name\": \"a\", \"tokenSha256\": \"00\", \"grants\": []}]}");
        assertThatThrownBy(() -> TokenFile.open(file, 1000)).hasMessageContaining("32 bytes");
        Files.writeString(file, "{\"principals\": [{\"name\": \"a\", \"tokenSha256\": \"" + "0".repeat(64)
                + "\", \"grants\": [{\"permission\": \"write\"}]}]}");
        assertThatThrownBy(() -> TokenFile.open(file, 1000)).hasMessageContaining("unknown permission 'write'");
        assertThatThrownBy(() -> TokenFile.open(dir.resolve("missing.json"), 1000)).hasMessageContaining("missing.json");
    }

    @Test
    void storedScramSecretsAreWhatKafkaComputesFromTheSamePasswordAndSalt() throws Exception {
        for (ScramSecret.Mechanism m : ScramSecret.Mechanism.values()) {
            byte[] salt = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
            ScramSecret ours = ScramSecret.derive(m, "tlk_secret", salt, 4096);
            ScramFormatter formatter = new ScramFormatter(ScramMechanism.forMechanismName(m.saslName));
            ScramCredential kafka = formatter.generateCredential(salt, formatter.saltedPassword("tlk_secret", salt, 4096), 4096);
            assertThat(ours.storedKey()).isEqualTo(kafka.storedKey());
            assertThat(ours.serverKey()).isEqualTo(kafka.serverKey());
            assertThat(ours.toString()).doesNotContain("storedKey=");
        }
    }
}
