package io.tierlog.cold;

import io.tierlog.core.StorageException;

/**
 * A closed local segment does not scan as the offset-contiguous record batches its metadata promises. Closed
 * segments never change, so retrying cannot help: the offloader quarantines the segment instead of blocking
 * its partition's later uploads forever.
 */
final class CorruptLocalSegmentException extends StorageException {
    CorruptLocalSegmentException(String message) {
        super(message);
    }

    CorruptLocalSegmentException(String message, Throwable cause) {
        super(message, cause);
    }
}
