package io.tierlog.hot;

import io.tierlog.core.TierlogException;

/** An I/O failure of a partition log, wrapped once at the seam with the partition and file that failed. */
public class LogIOException extends TierlogException {
    public LogIOException(String message, Throwable cause) {
        super(message, cause);
    }
}
