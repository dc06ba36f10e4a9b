package io.tierlog.cold;

import io.tierlog.core.TierlogException;

/** An object-store operation failed after the store's own retries; the message names the operation and key. */
public class ObjectStoreException extends TierlogException {
    public ObjectStoreException(String message, Throwable cause) {
        super(message, cause);
    }

    public ObjectStoreException(String message) {
        super(message);
    }
}
