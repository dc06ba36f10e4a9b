package io.tierlog.loadtest.kafka;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * CPU time a process has used (user + system, all its threads) from {@code /proc/<pid>/stat}, which is how the
 * benchmark charges each broker for its work: the difference across one tool run, divided by the records.
 * Linux only; the unit is clock ticks ({@code getconf CLK_TCK}, 100 on most systems).
 */
public final class ProcCpu {
    private static final long TICKS_PER_SECOND = clockTicks();

    private ProcCpu() {
    }

    /** CPU seconds in user space and in the kernel (system calls, page cache, network stack). */
    public record Times(double user, double system) {
        public double total() {
            return user + system;
        }

        public Times minus(Times earlier) {
            return new Times(user - earlier.user, system - earlier.system);
        }
    }

    /** utime and stime of {@code pid}. */
    public static Times times(long pid) throws IOException {
        long[] t = ticks(Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII));
        return new Times(t[0] / (double) TICKS_PER_SECOND, t[1] / (double) TICKS_PER_SECOND);
    }

    /** utime and stime (fields 14 and 15) of a {@code /proc/<pid>/stat} line, in clock ticks. */
    static long[] ticks(String stat) {
        // field 2, the command name, is in parentheses and may hold spaces: count fields after the last ')'
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" +");
        return new long[]{Long.parseLong(f[14 - 3]), Long.parseLong(f[15 - 3])};
    }

    /** The 1-minute load average, the machine's business while a figure was taken. */
    public static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg"), StandardCharsets.US_ASCII).trim().split(" +");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "?";
        }
    }

    private static long clockTicks() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            if (p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0) {
                return Long.parseLong(out);
            }
            p.destroyForcibly();
        } catch (IOException | NumberFormatException e) {
            // fall through to the Linux default
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 100;
    }
}
