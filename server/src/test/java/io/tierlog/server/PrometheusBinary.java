package io.tierlog.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's {@code prometheus} package, the real remote_write client of {@link PrometheusRemoteWriteTest}. .ci/run
 * installs it; when it is missing here the setup installs it with apt-get (as root), and fails the test with the
 * reason when that is not possible: never skipped.
 */
final class PrometheusBinary {
    private PrometheusBinary() {
    }

    /** The executable's name on PATH, installed first when absent. */
    static String ensureInstalled() throws IOException, InterruptedException {
        if (Tools.onPath("prometheus")) {
            return "prometheus";
        }
        if (!Tools.onPath("apt-get")) {
            throw new AssertionError("the prometheus binary is not installed and apt-get is not available to install it");
        }
        String uid = run(List.of("id", "-u"), 10).trim();
        List<String> sudo = uid.equals("0") ? List.of() : List.of("sudo", "-n");
        run(concat(sudo, List.of("apt-get", "update", "-qq")), 600);
        run(concat(sudo, List.of("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq",
                "--no-install-recommends", "prometheus")), 900);
        if (!Tools.onPath("prometheus")) {
            throw new AssertionError("apt-get install prometheus finished but no prometheus binary is on PATH");
        }
        return "prometheus";
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }

    private static String run(List<String> command, long timeoutSeconds) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish in " + timeoutSeconds + " s");
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", command) + " failed (" + p.exitValue() + "): " + text);
        }
        return text;
    }
}
