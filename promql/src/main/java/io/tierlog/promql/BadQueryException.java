package io.tierlog.promql;

/**
 * The query is wrong: it does not parse, uses what Tierlog does not evaluate, or is inconsistent (a range where an
 * instant vector is needed). Prometheus answers these as {@code bad_data} (HTTP 400); nothing was read.
 */
public class BadQueryException extends RuntimeException {
    public BadQueryException(String message) {
        super(message);
    }
}
