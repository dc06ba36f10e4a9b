package io.tierlog.hot;

import io.tierlog.core.Record;
import io.tierlog.core.TopicPartition;
import io.tierlog.hot.testing.TestBatches;

import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;

/**
 * Child process of {@link CrashRecoveryTest}: appends random batches forever (until killed) and prints one
 * line per acknowledged batch: {@code ACK <baseOffset> <recordCount> <checksum> END}.
 */
public final class CrashChild {
    static final TopicPartition TP = new TopicPartition("crash", 0);
    static final LogConfig CONFIG = LogConfig.DEFAULTS.withSegmentBytes(64 * 1024).withIndexIntervalBytes(1024);

    private CrashChild() {
    }

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        Random rnd = new Random(Long.parseLong(args[1]));
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        LogManager manager = new LogManager(dir);
        PartitionLog log = manager.open(TP, CONFIG);
        out.println("READY " + log.logEndOffset());
        out.flush();
        long ts = 1_000_000;
        while (true) {
            ByteBuffer batch = TestBatches.randomBatch(rnd, 50, ts += 10);
            List<Record> records = TestBatches.records(batch);
            AppendInfo info = log.append(batch);
            log.advanceHighWatermark(info.nextOffset());
            out.println("ACK " + info.baseOffset() + " " + info.recordCount() + " " + checksum(records) + " END");
            out.flush();
        }
    }

    /** Content checksum of records, independent of their offsets and of the batch encoding. */
    static long checksum(List<Record> records) {
        CRC32C crc = new CRC32C();
        ByteBuffer ts = ByteBuffer.allocate(8);
        for (Record r : records) {
            crc.update(ts.clear().putLong(r.timestamp()).flip());
            crc.update(r.key() == null ? new byte[]{-1} : r.key());
            crc.update(r.value() == null ? new byte[]{-1} : r.value());
            crc.update(r.headers().size());
        }
        return crc.getValue();
    }
}
