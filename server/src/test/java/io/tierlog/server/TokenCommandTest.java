package io.tierlog.server;

import io.tierlog.auth.Permission;
import io.tierlog.auth.Principal;
import io.tierlog.auth.TokenFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class TokenCommandTest {
    @TempDir
    Path dir;

    private int run(StringWriter out, StringWriter err, String... args) {
        return TokenCommand.run(new CommandLine(TokenCommand.spec()).parseArgs(args), new PrintWriter(out, true),
                new PrintWriter(err, true));
    }

    @Test
    void addPrintsATokenOnceThatTheFileKnowsOnlyHashedAndRemoveTakesItAway() throws Exception {
        Path file = dir.resolve("tokens.json");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertThat(run(out, err, "add", "--file", file.toString(), "--name", "ingest", "--grant", "produce:metrics.",
                "--grant", "consume:")).isZero();
        String token = out.toString().trim();
        assertThat(token).startsWith("tlk_");
        assertThat(Files.readString(file)).doesNotContain(token);
        Principal p = TokenFile.open(file, 1000).bearer(token).orElseThrow();
        assertThat(p.name()).isEqualTo("ingest");
        assertThat(p.may(Permission.PRODUCE, "metrics.cpu")).isTrue();
        assertThat(p.may(Permission.PRODUCE, "logs")).isFalse();
        assertThat(p.may(Permission.CONSUME, "logs")).isTrue();

        assertThat(run(new StringWriter(), err, "add", "--file", file.toString(), "--name", "bad", "--grant", "write:x"))
                .isEqualTo(1);
        assertThat(err.toString()).contains("unknown permission 'write'");
        assertThat(run(new StringWriter(), err, "remove", "--file", file.toString(), "--name", "ingest")).isZero();
        assertThat(TokenFile.open(file, 1000).bearer(token)).isEmpty();
    }
}
