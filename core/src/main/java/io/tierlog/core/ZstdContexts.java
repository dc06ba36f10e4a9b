package io.tierlog.core;

import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small pool of native zstd contexts. Creating a context per call (what the one-shot {@code Zstd.*} methods
 * do) costs more than decompressing a 100-record batch; thread-locals would leak one per virtual thread.
 * Contexts beyond {@link #MAX_POOLED} are closed on release, so native memory stays bounded.
 */
final class ZstdContexts {
    static final int MAX_POOLED = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
    static final int LEVEL = 1;

    private static final ConcurrentLinkedQueue<ZstdCompressCtx> COMPRESSORS = new ConcurrentLinkedQueue<>();
    private static final ConcurrentLinkedQueue<ZstdDecompressCtx> DECOMPRESSORS = new ConcurrentLinkedQueue<>();
    private static final AtomicInteger POOLED_COMPRESSORS = new AtomicInteger();
    private static final AtomicInteger POOLED_DECOMPRESSORS = new AtomicInteger();

    private ZstdContexts() {
    }

    static ZstdCompressCtx compressor() {
        ZstdCompressCtx c = COMPRESSORS.poll();
        if (c != null) {
            POOLED_COMPRESSORS.decrementAndGet();
            return c;
        }
        return new ZstdCompressCtx().setLevel(LEVEL);
    }

    static void release(ZstdCompressCtx c) {
        if (POOLED_COMPRESSORS.incrementAndGet() <= MAX_POOLED) {
            COMPRESSORS.offer(c);
        } else {
            POOLED_COMPRESSORS.decrementAndGet();
            c.close();
        }
    }

    static ZstdDecompressCtx decompressor() {
        ZstdDecompressCtx d = DECOMPRESSORS.poll();
        if (d != null) {
            POOLED_DECOMPRESSORS.decrementAndGet();
            return d;
        }
        return new ZstdDecompressCtx();
    }

    static void release(ZstdDecompressCtx d) {
        if (POOLED_DECOMPRESSORS.incrementAndGet() <= MAX_POOLED) {
            DECOMPRESSORS.offer(d);
        } else {
            POOLED_DECOMPRESSORS.decrementAndGet();
            d.close();
        }
    }
}
