package io.tierlog.ingest;

import io.tierlog.core.TierlogException;

/**
 * The pipeline is closed (or closing) and did not take or could not finish the publish; distinct from
 * {@link OverloadedException} so that the edge can answer "shutting down" rather than "retry later".
 */
public class IngestClosedException extends TierlogException {
    public IngestClosedException(String message) {
        super(message);
    }
}
