package io.tierlog.promql;

/**
 * A well-formed query that cannot be answered for the data it met: many-to-many matching, duplicate output series,
 * too many samples. Prometheus answers these as {@code execution} errors (HTTP 422).
 */
public class QueryExecutionException extends RuntimeException {
    public QueryExecutionException(String message) {
        super(message);
    }
}
