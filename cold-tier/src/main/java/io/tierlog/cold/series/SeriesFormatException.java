package io.tierlog.cold.series;

import io.tierlog.core.StorageException;

/**
 * A compressed series column does not decode: truncated, overlong, or claiming more values than its chunk may hold.
 * Columns are read from stored objects, so this is a storage fault (5xx), never a client error.
 */
public final class SeriesFormatException extends StorageException {
    public SeriesFormatException(String message) {
        super(message);
    }
}
