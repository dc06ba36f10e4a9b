package io.tierlog.cold;

import io.tierlog.cold.series.SeriesBlockReader;

import java.util.List;

/**
 * What {@link ColdTier#selectSeries} found: the matching series' samples from the partition's series block objects
 * (one entry per series per block, blocks in offset order), and the remote segments in the time range that are
 * segment copies (offloaded before series blocks, or holding transactions), which the caller reads by offset.
 */
public record SeriesSelection(List<SeriesBlockReader.SeriesSamples> series, List<RemoteSegmentInfo> segmentCopies) {
    public SeriesSelection {
        series = List.copyOf(series);
        segmentCopies = List.copyOf(segmentCopies);
    }
}
