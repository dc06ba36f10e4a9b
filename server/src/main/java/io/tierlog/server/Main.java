package io.tierlog.server;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;
import sun.misc.Signal;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The {@code tierlog} command line ({@code tierlog server [flags]}): resolves the configuration, runs the
 * server until SIGTERM or SIGINT, then shuts it down gracefully and exits 0. The flags are generated from
 * {@link ConfigKey}, so every file key has a flag of the same name.
 */
public final class Main {
    private static final Logger LOG = LoggerFactory.getLogger(Main.class);

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.getenv()));
    }

    /** Parses and runs; returns the process exit code. */
    static int run(String[] args, Map<String, String> env) {
        CommandSpec server = CommandSpec.create().name("server");
        server.usageMessage().description("Runs the Tierlog server (HTTP API, hot and cold tier).",
                "Precedence: flags > TIERLOG_* environment variables > --config file > defaults.");
        server.addOption(OptionSpec.builder("--config").paramLabel("FILE").type(String.class)
                .description("Java properties file with any of the keys below (see docs/configuration.md)").build());
        for (ConfigKey k : ConfigKey.values()) {
            OptionSpec.Builder o = OptionSpec.builder(k.flag()).paramLabel("VALUE").type(String.class)
                    .description(k.description + " (file key " + k.key + ", env " + k.envVar() + ", default '"
                            + k.defaultValue + "')");
            if (k == ConfigKey.INSECURE) {
                o.arity("0..1").fallbackValue("true"); // a bare --insecure, as the warning in the docs spells it
            }
            server.addOption(o.build());
        }
        server.addOption(OptionSpec.builder("-h", "--help").usageHelp(true).description("Show this help.").build());
        CommandSpec top = CommandSpec.create().name("tierlog");
        top.usageMessage().description("Tierlog: an event-streaming log for metrics with tiered storage.");
        top.addOption(OptionSpec.builder("-h", "--help").usageHelp(true).description("Show this help.").build());
        top.addSubcommand("server", new CommandLine(server));
        top.addSubcommand("token", new CommandLine(TokenCommand.spec()));
        CommandLine cli = new CommandLine(top);
        PrintWriter err = new PrintWriter(System.err, true);
        ParseResult parsed;
        try {
            parsed = cli.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            err.println(e.getMessage());
            e.getCommandLine().usage(err);
            return 2;
        }
        if (CommandLine.printHelpIfRequested(parsed)) {
            return 0;
        }
        if (!parsed.hasSubcommand()) {
            cli.usage(err);
            return 2;
        }
        ParseResult sub = parsed.subcommand();
        if (sub.commandSpec().name().equals("token")) {
            return TokenCommand.run(sub, new PrintWriter(System.out, true), err);
        }
        Map<String, String> flags = new LinkedHashMap<>();
        for (ConfigKey k : ConfigKey.values()) {
            if (sub.hasMatchedOption(k.flag())) {
                flags.put(k.key, sub.matchedOptionValue(k.flag(), ""));
            }
        }
        String file = sub.matchedOptionValue("--config", null);
        ServerConfig config;
        try {
            config = ServerConfig.load(file == null ? null : Path.of(file), env, flags);
        } catch (RuntimeException e) {
            err.println("invalid configuration: " + e.getMessage());
            return 2;
        }
        return serve(config);
    }

    private static int serve(ServerConfig config) {
        CountDownLatch stop = new CountDownLatch(1);
        TierlogServer server;
        try {
            server = TierlogServer.start(config);
        } catch (RuntimeException e) {
            LOG.error("server failed to start: {}", e.toString(), e);
            return 1;
        }
        // SIGTERM/SIGINT end the wait below so that main can close and exit 0; the hook covers other exits
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "tierlog-shutdown"));
        for (String sig : new String[]{"TERM", "INT"}) {
            try {
                Signal.handle(new Signal(sig), s -> stop.countDown());
            } catch (IllegalArgumentException e) {
                LOG.warn("cannot handle SIG{} ({}); the shutdown hook will close the server", sig, e.getMessage());
            }
        }
        System.out.println("tierlog listening on " + (config.security().tlsEnabled() ? "https" : "http") + "://"
                + config.host() + ":" + server.port());
        if (server.kafkaPort() >= 0) {
            System.out.println("tierlog listening for Kafka clients on " + config.host() + ":" + server.kafkaPort()
                    + " (bootstrap.servers=" + config.host() + ":" + server.kafkaPort() + ")");
        }
        System.out.flush();
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.info("shutting down");
        server.close();
        return 0;
    }
}
