package io.tierlog.cold;

import io.tierlog.core.StorageException;

/**
 * The layout of one remote object, as its manifest entry records it, so that objects written by earlier versions
 * stay readable after the offload format of a topic changes: a copy of the segment's log file with a sparse index
 * trailer ({@link SegmentObject}), or a series block ({@code io.tierlog.cold.series.SeriesBlockWriter}) for
 * {@code metrics} topics. The id is stored in the manifest; never renumber.
 */
enum ObjectFormat {
    SEGMENT_COPY(0),
    SERIES_BLOCK(1);

    private final int id;

    ObjectFormat(int id) {
        this.id = id;
    }

    int id() {
        return id;
    }

    static ObjectFormat fromId(int id) {
        for (ObjectFormat f : values()) {
            if (f.id == id) {
                return f;
            }
        }
        throw new StorageException("unknown remote object format " + id);
    }
}
