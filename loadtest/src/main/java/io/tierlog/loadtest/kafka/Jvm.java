package io.tierlog.loadtest.kafka;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How child JVMs are started: the java binary running this JVM, and options every child gets (native access
 * for the compression codecs, an English locale so the tools' numbers parse the same everywhere).
 */
public final class Jvm {
    private Jvm() {
    }

    public static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** This JVM's class path: the load test's jar and its runtime dependencies (Kafka's tools and broker). */
    public static String ownClassPath() {
        return System.getProperty("java.class.path");
    }

    public static List<String> command(List<String> jvmOptions, String classPath, String mainClass, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(java());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        if (Runtime.version().feature() >= 23) {
            cmd.add("--sun-misc-unsafe-memory-access=allow"); // protobuf-java's Unsafe use: no warning at every start
        }
        cmd.add("-Duser.language=en");
        cmd.add("-Duser.country=US");
        cmd.add("-Djava.awt.headless=true");
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(classPath);
        cmd.add(mainClass);
        cmd.addAll(args);
        return cmd;
    }
}
