package io.tierlog.hot;

/**
 * Per-partition settings of the local log: when to roll the active segment, how sparse the indexes are,
 * and the fsync policy. Retention is decided by callers (see {@link PartitionLog#deleteOldestSegmentsWhile}),
 * because only they know whether a segment is safe in the cold tier.
 */
public record LogConfig(long segmentBytes, long segmentMs, int indexIntervalBytes, FsyncPolicy fsyncPolicy) {
    public static final LogConfig DEFAULTS = new LogConfig(128L * 1024 * 1024, 60L * 60 * 1000, 4096, FsyncPolicy.NEVER);

    public LogConfig {
        if (segmentBytes < 1024 || segmentBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("segmentBytes must be in 1024.." + Integer.MAX_VALUE + ", was " + segmentBytes);
        }
        if (segmentMs <= 0) {
            throw new IllegalArgumentException("segmentMs must be > 0, was " + segmentMs);
        }
        if (indexIntervalBytes <= 0) {
            throw new IllegalArgumentException("indexIntervalBytes must be > 0, was " + indexIntervalBytes);
        }
        if (fsyncPolicy == null) {
            throw new IllegalArgumentException("fsyncPolicy is required");
        }
    }

    public LogConfig withSegmentBytes(long v) {
        return new LogConfig(v, segmentMs, indexIntervalBytes, fsyncPolicy);
    }

    public LogConfig withSegmentMs(long v) {
        return new LogConfig(segmentBytes, v, indexIntervalBytes, fsyncPolicy);
    }

    public LogConfig withIndexIntervalBytes(int v) {
        return new LogConfig(segmentBytes, segmentMs, v, fsyncPolicy);
    }

    public LogConfig withFsyncPolicy(FsyncPolicy v) {
        return new LogConfig(segmentBytes, segmentMs, indexIntervalBytes, v);
    }
}
