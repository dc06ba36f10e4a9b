package io.tierlog.ingest;

import io.tierlog.core.TierlogException;

/**
 * The ring of a shard stayed full for the whole publish timeout: the caller should back off and retry
 * (the HTTP edge answers 503 with Retry-After). Nothing of the rejected publish was stored.
 */
public class OverloadedException extends TierlogException {
    public OverloadedException(String message) {
        super(message);
    }
}
