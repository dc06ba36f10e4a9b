package io.tierlog.hot;

import io.tierlog.core.Record;
import io.tierlog.hot.testing.TempLogDir;
import io.tierlog.hot.testing.TestBatches;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kills a child JVM that appends in a loop with SIGKILL at random moments, several rounds on the same
 * directory, and checks after each round that every acknowledged batch is intact and offsets are dense.
 * fsync is NEVER: the page cache survives a process kill, so acknowledged = written to the OS.
 */
class CrashRecoveryTest {
    private static final int ROUNDS = 5;

    record Ack(long baseOffset, int count, long checksum) {
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void acknowledgedBatchesSurviveSigkill() throws Exception {
        Random rnd = new Random();
        try (TempLogDir tmp = new TempLogDir()) {
            tmp.manager().close();
            List<Ack> acks = new ArrayList<>();
            long previousEnd = 0;
            for (int round = 0; round < ROUNDS; round++) {
                Process child = startChild(tmp.dir(), rnd.nextLong());
                long killAtNanos = 0;
                int roundAcks = 0;
                try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                    String ready = in.readLine();
                    assertThat(ready).as("child start line").startsWith("READY");
                    assertThat(Long.parseLong(ready.substring(6))).as("child resumes at the recovered end").isEqualTo(previousEnd);
                    killAtNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100 + rnd.nextInt(400));
                    boolean killed = false;
                    long nextAck = previousEnd;
                    String line;
                    while ((line = in.readLine()) != null) {
                        String[] f = line.split(" ");
                        if (f.length == 5 && f[0].equals("ACK") && f[4].equals("END")) {
                            Ack ack = new Ack(Long.parseLong(f[1]), Integer.parseInt(f[2]), Long.parseLong(f[3]));
                            assertThat(ack.baseOffset()).as("acks of one run are dense").isEqualTo(nextAck);
                            nextAck = ack.baseOffset() + ack.count();
                            acks.add(ack);
                            roundAcks++;
                            if (!killed && System.nanoTime() >= killAtNanos) {
                                // SIGKILL via the handle: Process.destroyForcibly would also close our end of
                                // the pipe, losing acks the child printed just before it died
                                killed = child.toHandle().destroyForcibly();
                            }
                        }
                    }
                } finally {
                    child.destroyForcibly();
                    child.waitFor(10, TimeUnit.SECONDS);
                }
                assertThat(roundAcks).as("acks in round %d", round).isGreaterThan(0);
                assertThat(child.exitValue()).as("killed, not exited").isNotZero();
                previousEnd = verify(tmp.dir(), acks);
            }
        }
    }

    /** Reopens the log, checks every ack against the stored records and density; returns the log end. */
    private static long verify(Path dir, List<Ack> acks) {
        try (LogManager m = new LogManager(dir)) {
            PartitionLog log = m.open(CrashChild.TP, CrashChild.CONFIG);
            List<Record> all = TestBatches.readAll(log, 0, 256 * 1024);
            for (int i = 0; i < all.size(); i++) {
                assertThat(all.get(i).offset()).as("dense offsets").isEqualTo(i);
            }
            // a batch written but killed before its ack line may survive too: acks can skip it across runs
            long previousAckEnd = 0;
            for (Ack a : acks) {
                assertThat(a.baseOffset()).as("acks never overlap").isGreaterThanOrEqualTo(previousAckEnd);
                previousAckEnd = a.baseOffset() + a.count();
                assertThat(a.baseOffset() + a.count()).as("acknowledged batch at %d is in the log", a.baseOffset())
                        .isLessThanOrEqualTo(all.size());
                List<Record> batch = all.subList((int) a.baseOffset(), (int) a.baseOffset() + a.count());
                assertThat(CrashChild.checksum(batch)).as("content of batch %d", a.baseOffset()).isEqualTo(a.checksum());
            }
            return log.logEndOffset();
        }
    }

    private static Process startChild(Path dir, long seed) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx128m", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "-cp", System.getProperty("java.class.path"),
                CrashChild.class.getName(), dir.toString(), Long.toString(seed));
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        return pb.start();
    }
}
