package io.tierlog.server;

import io.tierlog.auth.Grant;
import io.tierlog.auth.Permission;
import io.tierlog.auth.TokenEntry;
import io.tierlog.auth.TokenFile;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code tierlog token add|remove}: edits a token file so that operators never write hashes or SCRAM secrets by
 * hand. {@code add} prints the new token once (it is stored only hashed); a running server picks the change up.
 */
final class TokenCommand {
    private TokenCommand() {
    }

    static CommandSpec spec() {
        CommandSpec spec = CommandSpec.create().name("token");
        spec.usageMessage().description("Adds or removes a principal in a token file (auth.token.file).",
                "add prints the new token once: give it to the client as 'Authorization: Bearer <token>' or as the "
                        + "SASL password (PLAIN or SCRAM-SHA-256/512) of the principal's name.");
        spec.addPositional(picocli.CommandLine.Model.PositionalParamSpec.builder().paramLabel("add|remove")
                .type(String.class).index("0").description("what to do").build());
        spec.addOption(OptionSpec.builder("--file").paramLabel("FILE").type(String.class).required(true)
                .description("the token file (created with mode 0600 when missing)").build());
        spec.addOption(OptionSpec.builder("--name").paramLabel("NAME").type(String.class).required(true)
                .description("principal name (also the SASL user name): letters, digits, . _ @ -").build());
        spec.addOption(OptionSpec.builder("--grant").paramLabel("PERMISSION:PREFIX").type(String[].class)
                .description("produce|consume|admin on topics starting with PREFIX (empty = all), e.g. "
                        + "produce:metrics. or admin: ; repeatable").build());
        spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true).description("Show this help.").build());
        return spec;
    }

    static int run(ParseResult sub, PrintWriter out, PrintWriter err) {
        String action = sub.matchedPositionalValue(0, "");
        Path file = Path.of(sub.<String>matchedOptionValue("--file", null));
        String name = sub.matchedOptionValue("--name", null);
        String[] grantArgs = sub.matchedOptionValue("--grant", new String[0]);
        try {
            List<TokenEntry> entries = new ArrayList<>(TokenFile.readEntries(file));
            boolean existed = entries.removeIf(e -> e.principal().name().equals(name));
            switch (action) {
                case "add" -> {
                    List<Grant> grants = new ArrayList<>();
                    for (String g : grantArgs) {
                        grants.add(parseGrant(g));
                    }
                    String token = TokenEntry.newToken();
                    entries.add(TokenEntry.create(name, token, grants));
                    TokenFile.write(file, entries);
                    out.println(token);
                    err.println((existed ? "replaced" : "added") + " principal '" + name + "' in " + file
                            + "; the token above is shown only now");
                }
                case "remove" -> {
                    if (!existed) {
                        err.println("no principal '" + name + "' in " + file);
                        return 1;
                    }
                    TokenFile.write(file, entries);
                    err.println("removed principal '" + name + "' from " + file);
                }
                default -> {
                    err.println("unknown action '" + action + "': use add or remove");
                    return 2;
                }
            }
            return 0;
        } catch (IOException | RuntimeException e) {
            err.println("token " + action + " failed: " + e.getMessage());
            return 1;
        }
    }

    private static Grant parseGrant(String g) {
        int colon = g.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("a grant is PERMISSION:PREFIX (e.g. produce:metrics.), was '" + g + "'");
        }
        String perm = g.substring(0, colon).toUpperCase(Locale.ROOT);
        try {
            return new Grant(Permission.valueOf(perm), g.substring(colon + 1));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown permission '" + g.substring(0, colon)
                    + "'; expected produce, consume or admin", e);
        }
    }
}
