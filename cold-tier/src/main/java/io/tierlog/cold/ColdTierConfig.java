package io.tierlog.cold;

import java.time.Duration;

/**
 * Tuning of the cold tier independent of the object store: where keys live in the bucket, how many uploads
 * run at once, how failed uploads back off, how sparse the remote index is and how much memory the read
 * caches may use.
 *
 * @param keyPrefix            first path element of every key (e.g. {@code tierlog}); may be empty
 * @param uploadThreads        uploads running at once across all partitions (one at a time per partition)
 * @param retryInitialBackoff  delay after the first failed upload; doubles per failure (with jitter)
 * @param retryMaxBackoff      cap of that delay
 * @param indexIntervalBytes   bytes of log per remote index entry
 * @param chunkBytes           unit of ranged reads and of the chunk cache
 * @param chunkCacheBytes      bound of the chunk cache
 * @param indexCacheBytes      bound of the parsed-index cache
 * @param readAheadChunks      on sequential reads, keep up to this many chunks ahead fetched in the
 *                             background (one GET per refill of at least half of them); 0 turns it off
 * @param closeTimeout         how long {@link ColdTier#close()} lets in-flight uploads finish
 * @param rollupsMs            the rollup resolutions (milliseconds) series blocks are written with; empty for none
 */
public record ColdTierConfig(String keyPrefix, int uploadThreads, Duration retryInitialBackoff,
                             Duration retryMaxBackoff, int indexIntervalBytes, int chunkBytes,
                             long chunkCacheBytes, long indexCacheBytes, int readAheadChunks, Duration closeTimeout,
                             java.util.List<Long> rollupsMs) {

    private static final java.util.List<Long> DEFAULT_ROLLUPS_MS =
            java.util.Arrays.stream(io.tierlog.cold.series.SeriesBlockWriter.DEFAULT_ROLLUPS).boxed().toList();

    public static final ColdTierConfig DEFAULTS = new ColdTierConfig("tierlog", 4, Duration.ofMillis(200),
            Duration.ofSeconds(30), 4096, 1024 * 1024, 256L * 1024 * 1024, 32L * 1024 * 1024, 16,
            Duration.ofSeconds(30), DEFAULT_ROLLUPS_MS);

    public ColdTierConfig {
        rollupsMs = java.util.List.copyOf(rollupsMs);
        if (rollupsMs.stream().anyMatch(r -> r < 1) || rollupsMs.stream().distinct().count() != rollupsMs.size()) {
            throw new IllegalArgumentException("rollup resolutions must be positive and distinct, were " + rollupsMs);
        }
        if (keyPrefix == null || keyPrefix.startsWith("/") || keyPrefix.endsWith("/")) {
            throw new IllegalArgumentException("keyPrefix must be non-null without leading or trailing '/', was " + keyPrefix);
        }
        if (uploadThreads < 1) {
            throw new IllegalArgumentException("uploadThreads must be >= 1, was " + uploadThreads);
        }
        if (retryInitialBackoff == null || retryInitialBackoff.isNegative() || retryMaxBackoff == null
                || retryMaxBackoff.compareTo(retryInitialBackoff) < 0) {
            throw new IllegalArgumentException("retry backoffs must satisfy 0 <= initial <= max, were "
                    + retryInitialBackoff + " and " + retryMaxBackoff);
        }
        if (indexIntervalBytes < 1) {
            throw new IllegalArgumentException("indexIntervalBytes must be >= 1, was " + indexIntervalBytes);
        }
        if (chunkBytes < 4096) {
            throw new IllegalArgumentException("chunkBytes must be >= 4096, was " + chunkBytes);
        }
        if (chunkCacheBytes < 0 || indexCacheBytes < 0) {
            throw new IllegalArgumentException("cache sizes must be >= 0");
        }
        if (readAheadChunks < 0) {
            throw new IllegalArgumentException("readAheadChunks must be >= 0, was " + readAheadChunks);
        }
        if (closeTimeout == null || closeTimeout.isNegative()) {
            throw new IllegalArgumentException("closeTimeout must be >= 0, was " + closeTimeout);
        }
    }

    /** The rollup resolutions as an array, ascending. */
    public long[] rollupResolutions() {
        return rollupsMs.stream().mapToLong(Long::longValue).sorted().toArray();
    }

    public ColdTierConfig withRollups(java.util.List<Long> v) {
        return new ColdTierConfig(keyPrefix, uploadThreads, retryInitialBackoff, retryMaxBackoff, indexIntervalBytes,
                chunkBytes, chunkCacheBytes, indexCacheBytes, readAheadChunks, closeTimeout, v);
    }

    public ColdTierConfig withKeyPrefix(String v) {
        return new ColdTierConfig(v, uploadThreads, retryInitialBackoff, retryMaxBackoff, indexIntervalBytes,
                chunkBytes, chunkCacheBytes, indexCacheBytes, readAheadChunks, closeTimeout, rollupsMs);
    }

    public ColdTierConfig withRetryBackoff(Duration initial, Duration max) {
        return new ColdTierConfig(keyPrefix, uploadThreads, initial, max, indexIntervalBytes,
                chunkBytes, chunkCacheBytes, indexCacheBytes, readAheadChunks, closeTimeout, rollupsMs);
    }

    public ColdTierConfig withCache(int chunk, long chunkCache, int readAhead) {
        return new ColdTierConfig(keyPrefix, uploadThreads, retryInitialBackoff, retryMaxBackoff, indexIntervalBytes,
                chunk, chunkCache, indexCacheBytes, readAhead, closeTimeout, rollupsMs);
    }

    public ColdTierConfig withUploadThreads(int v) {
        return new ColdTierConfig(keyPrefix, v, retryInitialBackoff, retryMaxBackoff, indexIntervalBytes,
                chunkBytes, chunkCacheBytes, indexCacheBytes, readAheadChunks, closeTimeout, rollupsMs);
    }

    public ColdTierConfig withIndexIntervalBytes(int v) {
        return new ColdTierConfig(keyPrefix, uploadThreads, retryInitialBackoff, retryMaxBackoff, v,
                chunkBytes, chunkCacheBytes, indexCacheBytes, readAheadChunks, closeTimeout, rollupsMs);
    }
}
