package io.tierlog.server;

import io.tierlog.core.BytesKeyedCache;
import io.tierlog.core.CorruptBatchException;
import io.tierlog.core.InvalidInputException;
import io.tierlog.core.Limits;
import io.tierlog.core.MetricCodec;
import io.tierlog.core.MetricType;
import io.tierlog.core.Record;
import io.tierlog.core.RecordBatch;
import io.tierlog.core.SeriesKey;
import io.tierlog.core.TierlogException;
import io.tierlog.core.Validation;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks a client's record batches (Kafka RecordBatch v2, as received through HTTP or the Kafka listener) before
 * they reach the ingest ring, in one pass that decompresses each batch once: framing, CRC and record structure,
 * no transactional or control batches, every value within the size limit, every timestamp valid and, for a
 * {@code metrics} topic, every record a metric sample (canonical series key with a valid name and tags, 9-byte
 * value of a known type). Both doors use it, so a record accepted by one is accepted by the other.
 *
 * <p>Thread-safe: the memo of series keys already validated is a concurrent bounded cache.
 */
final class BatchValidator {
    /** Bad records reported per batch at most (Kafka's per-record errors); the batch is refused either way. */
    static final int MAX_RECORD_ERRORS = 100;

    private static final MetricType[] METRIC_TYPES = MetricType.values();
    private static final VarHandle DOUBLE_BE = MethodHandles.byteArrayViewVarHandle(double[].class, ByteOrder.BIG_ENDIAN);

    private final Limits limits;
    /** Series keys (exact bytes) already validated against {@link #limits}; bounded. */
    private final BytesKeyedCache<Boolean> validKeys = new BytesKeyedCache<>(65_536);

    BatchValidator(Limits limits) {
        this.limits = limits;
    }

    /** Batches that passed, with what the ingest ring needs to know about them. */
    record Valid(ByteBuffer batches, int batchCount, int recordCount, long minTimestamp) {
    }

    /** Why a batch was refused. */
    enum Problem {
        /** The bytes do not check out (framing, CRC, record structure): Kafka's CORRUPT_MESSAGE. */
        CORRUPT,
        /** A record breaks a rule of the topic: Kafka's INVALID_RECORD, with the bad records listed. */
        INVALID_RECORD,
        /** A record value exceeds the limit: Kafka's MESSAGE_TOO_LARGE, HTTP 413. */
        TOO_LARGE,
        /** The batch's codec is not the one the topic's compression.type names: Kafka's UNSUPPORTED_COMPRESSION_TYPE. */
        UNSUPPORTED_COMPRESSION
    }

    /** One refused record: its index in its batch and why. */
    record RecordError(int index, String message) {
    }

    /** A refused batch: nothing of the request is stored. */
    static final class RejectedBatchException extends InvalidInputException {
        private final Problem problem;
        private final List<RecordError> recordErrors;

        RejectedBatchException(Problem problem, String message, List<RecordError> recordErrors, Throwable cause) {
            super(message, cause);
            this.problem = problem;
            this.recordErrors = List.copyOf(recordErrors);
        }

        Problem problem() {
            return problem;
        }

        List<RecordError> recordErrors() {
            return recordErrors;
        }
    }

    /**
     * Checks the concatenated batches in {@code body} (position to limit; at least one) for a topic of the given
     * schema. Throws {@link RejectedBatchException} naming the first problem.
     */
    Valid check(ByteBuffer body, boolean metrics) {
        ByteBuffer buf = body.duplicate().order(ByteOrder.BIG_ENDIAN);
        int pos = buf.position();
        int batches = 0;
        long records = 0;
        long min = Long.MAX_VALUE;
        if (pos >= buf.limit()) {
            throw new RejectedBatchException(Problem.CORRUPT, "no batch in input", List.of(), null);
        }
        while (pos < buf.limit()) {
            int size;
            try {
                size = RecordBatch.sizeAt(buf, pos);
            } catch (CorruptBatchException e) {
                throw new RejectedBatchException(Problem.CORRUPT, "batch " + batches + ": " + e.getMessage(), List.of(), e);
            }
            if (size < 0) {
                throw new RejectedBatchException(Problem.CORRUPT, "batch " + batches + " is truncated: "
                        + (buf.limit() - pos) + " bytes left at position " + (pos - body.position()), List.of(), null);
            }
            RecordBatch b = RecordBatch.wrap(buf.duplicate().position(pos));
            RecordBatch.Checked checked = checkOne(b, metrics, batches);
            records += checked.recordCount();
            min = Math.min(min, checked.minTimestamp());
            pos += size;
            batches++;
        }
        if (records > Integer.MAX_VALUE) {
            throw new RejectedBatchException(Problem.INVALID_RECORD, "too many records in one request: " + records, List.of(), null);
        }
        return new Valid(body, batches, (int) records, min);
    }

    private RecordBatch.Checked checkOne(RecordBatch b, boolean metrics, int n) {
        if (b.magic() != RecordBatch.MAGIC) {
            throw new RejectedBatchException(Problem.CORRUPT, "batch " + n + " has magic " + b.magic()
                    + ": only Kafka's record batch v2 (magic 2) is accepted", List.of(), null);
        }
        if (b.isControl() || b.isTransactional()) {
            throw new RejectedBatchException(Problem.INVALID_RECORD, "batch " + n
                    + " is transactional or a control batch: Tierlog does not support transactions", List.of(), null);
        }
        List<RecordError> errors = new ArrayList<>();
        Problem[] worst = {Problem.INVALID_RECORD};
        RecordBatch.Checked checked;
        try {
            checked = metrics ? validateMetrics(b, errors, worst) : b.validate((i, ts, keyLength, valueLength) -> {
                if (valueLength > limits.maxRecordValueBytes()) {
                    worst[0] = Problem.TOO_LARGE;
                    addError(errors, i, "value of " + valueLength + " bytes exceeds the limit of "
                            + limits.maxRecordValueBytes() + " bytes");
                    return;
                }
                try {
                    Validation.timestamp(ts);
                } catch (TierlogException e) {
                    addError(errors, i, e.getMessage());
                }
            });
        } catch (CorruptBatchException e) {
            throw new RejectedBatchException(Problem.CORRUPT, "batch " + n + ": " + e.getMessage(), List.of(), e);
        }
        if (!errors.isEmpty()) {
            RecordError first = errors.getFirst();
            throw new RejectedBatchException(worst[0], "batch " + n + ", record " + first.index() + ": " + first.message()
                    + (errors.size() > 1 ? " (and " + (errors.size() - 1) + " more)" : ""), errors, null);
        }
        return checked;
    }

    /** A metrics topic's rules need each record's key and value: the records are decoded (once). */
    private RecordBatch.Checked validateMetrics(RecordBatch b, List<RecordError> errors, Problem[] worst) {
        return b.validate((i, r) -> {
            if (r.value() != null && r.value().length > limits.maxRecordValueBytes()) {
                worst[0] = Problem.TOO_LARGE;
                addError(errors, i, "value of " + r.value().length + " bytes exceeds the limit of "
                        + limits.maxRecordValueBytes() + " bytes");
                return;
            }
            String problem = problemOf(r, true);
            if (problem != null) {
                addError(errors, i, problem);
            }
        });
    }

    private static void addError(List<RecordError> errors, int index, String message) {
        if (errors.size() < MAX_RECORD_ERRORS) {
            errors.add(new RecordError(index, message));
        }
    }

    /** Why a record's content may not be stored in the topic, or null when it may. */
    private String problemOf(Record r, boolean metrics) {
        try {
            Validation.timestamp(r.timestamp());
            if (metrics && !isValidSample(r)) {
                // the slow path throws the precise error (not a sample, bad name or tag, NaN counter ...)
                Validation.metricEvent(MetricCodec.decode(r), limits);
                return "not a valid metric sample";
            }
        } catch (TierlogException e) {
            return e.getMessage();
        }
        return null;
    }

    /**
     * True when the record is a valid metric sample: a 9-byte value with a known type id (a counter not NaN)
     * and a key that parses as a series key with a valid name and tags. Checking a key is the costly part and
     * a metrics topic sees the same few series over and over, so keys that passed are remembered (bounded).
     */
    private boolean isValidSample(Record r) {
        byte[] key = r.key();
        byte[] value = r.value();
        if (key == null || value == null || value.length != MetricCodec.VALUE_SIZE) {
            return false;
        }
        MetricType type = null;
        for (MetricType t : METRIC_TYPES) {
            if (t.id() == value[0]) {
                type = t;
                break;
            }
        }
        if (type == null || (type == MetricType.COUNTER && Double.isNaN((double) DOUBLE_BE.get(value, 1)))) {
            return false;
        }
        if (validKeys.get(key) != null) {
            return true;
        }
        SeriesKey parsed = SeriesKey.parse(key); // throws CorruptBatchException on a malformed key
        Validation.metricName(parsed.name(), limits);
        Validation.tags(parsed.tags(), limits);
        validKeys.put(key, Boolean.TRUE);
        return true;
    }
}
