package io.tierlog.loadtest.jmh;

import io.tierlog.core.Compression;
import io.tierlog.core.Limits;
import io.tierlog.core.MetricCodec;
import io.tierlog.core.MetricEvent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Realistic metric samples and batches shared by the benchmarks (host/region/service tags, 100 series). */
final class BenchData {
    static final long BASE_TS = 1_732_470_000_000L;

    private BenchData() {
    }

    /** {@code n} samples spread over 100 series (10 hosts x 10 metric names), one millisecond apart. */
    static List<MetricEvent> events(int n, long seed) {
        List<MetricEvent> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int host = (int) ((seed + i) % 10);
            int metric = (int) ((seed + i) / 10 % 10);
            out.add(new MetricEvent("app.metric_" + metric,
                    Map.of("host", "host-" + host, "region", "eu-west-1", "service", "checkout"),
                    BASE_TS + seed + i, (seed + i) * 0.5));
        }
        return out;
    }

    /** One encoded batch of {@code n} metric records (base offset 0). */
    static ByteBuffer batch(int n, Compression c, long seed) {
        return MetricCodec.encode(events(n, seed), c, Limits.DEFAULTS).buffer();
    }

    static ByteBuffer copy(ByteBuffer b) {
        ByteBuffer c = ByteBuffer.allocate(b.remaining());
        c.put(b.duplicate()).flip();
        return c;
    }

    static void deleteRecursively(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                    Files.delete(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
