package io.tierlog.hot;

/**
 * When the log forces appended bytes to disk. {@code NEVER} leaves it to the OS (acks=leader durability);
 * {@code INTERVAL} bounds the data at risk in a power loss to {@code intervalMs}; {@code ALWAYS} forces after
 * every append (acks=durable without waiting for a timer).
 */
public record FsyncPolicy(Mode mode, long intervalMs) {
    public enum Mode { NEVER, INTERVAL, ALWAYS }

    public static final FsyncPolicy NEVER = new FsyncPolicy(Mode.NEVER, 0);
    public static final FsyncPolicy ALWAYS = new FsyncPolicy(Mode.ALWAYS, 0);

    public FsyncPolicy {
        if (mode == Mode.INTERVAL && intervalMs <= 0) {
            throw new IllegalArgumentException("fsync interval must be > 0 ms, was " + intervalMs);
        }
    }

    public static FsyncPolicy interval(long intervalMs) {
        return new FsyncPolicy(Mode.INTERVAL, intervalMs);
    }
}
