package io.tierlog.loadtest.kafka;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options every load test that starts its own Tierlog server shares (a picocli mixin): where the built server is,
 * the class path a test hands in instead, and where the data goes. One definition, so the commands cannot drift.
 */
public final class ServerOptions {
    @Option(names = "--tierlog-home", description = "repository root with the built server (default: -Dtierlog.home or .)")
    Path home = Path.of(System.getProperty("tierlog.home", "."));

    @Option(names = "--tierlog-classpath", hidden = true, description = "class path for the Tierlog server JVM (tests)")
    String tierlogClassPath;

    @Option(names = "--data-root", description = "where the data goes, deleted afterwards (default: java.io.tmpdir)")
    Path dataRoot = Path.of(System.getProperty("java.io.tmpdir"));

    /** The class path of the server JVM: the one handed in, else the built server's under {@code --tierlog-home}. */
    public String serverClassPath() {
        return tierlogClassPath != null ? tierlogClassPath : TierlogBroker.serverClassPath(home);
    }

    public Path dataRoot() {
        return dataRoot;
    }
}
