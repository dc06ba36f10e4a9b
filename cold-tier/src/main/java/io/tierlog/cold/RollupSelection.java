package io.tierlog.cold;

import io.tierlog.cold.series.SeriesBlockReader;

import java.util.List;

/**
 * What {@link ColdTier#selectRollups} found: the matching series' rollups from the partition's series blocks that
 * hold them (one entry per series per block, blocks in offset order; an entry that is not clean tells the caller
 * that the series cannot be answered from rollups), and the remote segments in the time range that hold no rollups
 * at that resolution (segment copies, blocks written before rollups), which the caller reads by offset.
 */
public record RollupSelection(List<SeriesBlockReader.SeriesRollups> rollups, List<RemoteSegmentInfo> unrolled) {
    public RollupSelection {
        rollups = List.copyOf(rollups);
        unrolled = List.copyOf(unrolled);
    }
}
