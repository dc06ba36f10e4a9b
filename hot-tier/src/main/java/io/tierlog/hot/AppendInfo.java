package io.tierlog.hot;

/** What an append assigned: the dense offset range [baseOffset, lastOffset] and its size on disk. */
public record AppendInfo(long baseOffset, long lastOffset, int recordCount, long maxTimestamp, int sizeInBytes) {
    public long nextOffset() {
        return lastOffset + 1;
    }
}
