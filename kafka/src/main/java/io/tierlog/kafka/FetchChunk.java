package io.tierlog.kafka;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Whole stored batches handed to the listener for one fetch: bytes in memory (the cold tier's cache, a test) or a
 * region of a hot-tier segment file, which the listener sends with {@code sendfile} without copying it through
 * the heap. The region stays readable (its segment pinned) until {@link #release()}; every chunk must be released
 * exactly once, after its bytes were written or when the response is abandoned.
 */
public sealed interface FetchChunk {

    int size();

    /** Unpins what the chunk holds; idempotent. */
    void release();

    /** Batches in memory (position to limit). */
    record Heap(ByteBuffer batches) implements FetchChunk {
        @Override
        public int size() {
            return batches.remaining();
        }

        @Override
        public void release() {
            // nothing pinned
        }
    }

    /**
     * {@code size} bytes of {@code channel} from {@code position}: whole batches; {@code onRelease} unpins the
     * segment. The channel is shared: read it only with positional calls ({@code transferTo}, {@code read(dst, pos)}).
     */
    final class FileRegion implements FetchChunk {
        private final FileChannel channel;
        private final long position;
        private final int size;
        private final Runnable onRelease;
        private final java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();

        public FileRegion(FileChannel channel, long position, int size, Runnable onRelease) {
            this.channel = channel;
            this.position = position;
            this.size = size;
            this.onRelease = onRelease;
        }

        public FileChannel channel() {
            return channel;
        }

        public long position() {
            return position;
        }

        @Override
        public int size() {
            return size;
        }

        @Override
        public void release() {
            if (released.compareAndSet(false, true)) {
                onRelease.run();
            }
        }
    }
}
