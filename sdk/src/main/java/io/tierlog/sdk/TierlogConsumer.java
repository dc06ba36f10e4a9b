package io.tierlog.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a topic's partitions in offset order, tailing new records with the server's long poll, so that an
 * application sees records within milliseconds of their acknowledgement without busy polling. Every assigned
 * partition has at most one fetch outstanding; {@link #poll(Duration)} returns as soon as any of them brings
 * records, and fetches that complete later are kept for the next poll (nothing is dropped or re-read).
 * Positions can be committed under a group name and resumed from with {@link StartPosition#committed}.
 *
 * <p>Not thread-safe: use one consumer per thread, as with Kafka's consumer.
 */
public final class TierlogConsumer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TierlogConsumer.class);
    private static final long ERROR_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    private final TierlogClient client;
    private final Http http;
    private final ConsumerConfig config;
    private final Duration requestTimeout;
    private String topic;
    private boolean metricsTopic;
    private final TreeMap<Integer, Long> positions = new TreeMap<>();
    /**
     * The raw HTTP answer of each outstanding fetch. Pages are decoded in {@link #poll}, on the caller's thread:
     * the JDK client completes async exchanges on the common fork-join pool (one worker on a 2-core machine),
     * and decoding thousands of records there delayed every other answer of the process, producers' acks too.
     */
    private final Map<Integer, CompletableFuture<HttpResponse<byte[]>>> outstanding = new HashMap<>();
    private final Map<Integer, Long> fetchedFrom = new HashMap<>();
    private final Map<Integer, Long> backoffUntil = new HashMap<>();
    private int rotation;
    private boolean closed;

    TierlogConsumer(TierlogClient client, Http http, ConsumerConfig config, Duration requestTimeout) {
        this.client = client;
        this.http = http;
        this.config = config;
        this.requestTimeout = requestTimeout;
    }

    /** Reads every partition of {@code topic}, starting at {@code start}. */
    public void subscribe(String topic, StartPosition start) {
        TopicInfo info = client.describeTopic(topic);
        List<Integer> all = info.partitions().stream().map(TopicInfo.PartitionInfo::partition).toList();
        assign(info, all, start);
    }

    /** Reads the given partitions of {@code topic}, starting at {@code start}. */
    public void assign(String topic, Collection<Integer> partitions, StartPosition start) {
        assign(client.describeTopic(topic), partitions, start);
    }

    private void assign(TopicInfo info, Collection<Integer> partitions, StartPosition start) {
        ensureOpen();
        if (partitions.isEmpty()) {
            throw new IllegalArgumentException("no partitions to assign");
        }
        cancelOutstanding();
        positions.clear();
        this.topic = info.name();
        this.metricsTopic = info.isMetrics();
        Map<Integer, Long> committed = start instanceof StartPosition.Committed ? committed() : Map.of();
        for (int p : partitions) {
            positions.put(p, resolve(info, info.partition(p), start, committed));
        }
        LOG.debug("consumer of {} starts at {}", topic, positions);
    }

    private long resolve(TopicInfo info, TopicInfo.PartitionInfo p, StartPosition s, Map<Integer, Long> committed) {
        return switch (s) {
            case StartPosition.Earliest e -> p.logStartOffset();
            case StartPosition.Latest l -> p.highWatermark();
            case StartPosition.Offset o -> o.offset();
            case StartPosition.Timestamp t -> client.query().offsetForTimestamp(info.name(), p.partition(), t.epochMillis());
            case StartPosition.Committed c -> committed.containsKey(p.partition()) ? committed.get(p.partition())
                    : resolve(info, p, c.fallback(), committed);
        };
    }

    /**
     * Returns the next records of the assigned partitions, waiting up to {@code timeout} when there are none
     * (empty list on timeout). Positions advance past the records returned.
     */
    public List<ConsumedRecord> poll(Duration timeout) {
        ensureOpen();
        if (topic == null) {
            throw new IllegalStateException("subscribe or assign before poll");
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        List<ConsumedRecord> out = new ArrayList<>();
        while (true) {
            collect(out);
            if (!out.isEmpty()) {
                return out;
            }
            long now = System.nanoTime();
            long remaining = deadline - now;
            issueFetches(now, Math.max(0, Math.min(config.maxWait().toMillis(), TimeUnit.NANOSECONDS.toMillis(remaining))));
            if (remaining <= 0) {
                return out;
            }
            long wait = Math.min(remaining, ERROR_BACKOFF_NANOS);
            if (outstanding.isEmpty()) {
                sleepNanos(wait);
                continue;
            }
            try {
                CompletableFuture.anyOf(outstanding.values().toArray(CompletableFuture[]::new))
                        .get(wait, TimeUnit.NANOSECONDS);
            } catch (TimeoutException | ExecutionException e) {
                // a timeout just loops; a failed fetch is handled by collect()
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TierlogClientException("interrupted while polling " + topic, e);
            }
        }
    }

    private void collect(List<ConsumedRecord> out) {
        List<Integer> order = new ArrayList<>(positions.keySet());
        if (order.isEmpty()) {
            return;
        }
        Collections.rotate(order, -(rotation++ % order.size()));
        for (int p : order) {
            CompletableFuture<HttpResponse<byte[]>> f = outstanding.get(p);
            if (f == null || !f.isDone()) {
                continue;
            }
            outstanding.remove(p);
            long from = fetchedFrom.remove(p);
            Fetch.Page page;
            try {
                page = Fetch.parse(f.join(), topic, p, from, metricsTopic, config.maxRecords());
            } catch (RuntimeException e) {
                Throwable cause = Http.unwrap(e);
                if (cause instanceof TierlogServerException.OffsetOutOfRange oor) {
                    reset(p, from, oor);
                } else if (cause instanceof TierlogServerException se && se.status() != 503) {
                    throw se;
                } else {
                    LOG.warn("fetch of {}-{} at {} failed, retrying: {}", topic, p, from, cause.toString());
                    backoffUntil.put(p, System.nanoTime() + ERROR_BACKOFF_NANOS);
                }
                continue;
            }
            long pos = positions.get(p);
            if (from != pos) {
                continue; // the position was moved by seek() while this fetch was out
            }
            // a binary answer is bounded by bytes, not records: keep maxRecords here and refetch the rest
            int taken = 0;
            boolean truncated = false;
            for (ConsumedRecord r : page.records()) {
                if (r.offset() >= pos) {
                    if (taken == config.maxRecords()) {
                        truncated = true;
                        break;
                    }
                    out.add(r);
                    pos = r.offset() + 1;
                    taken++;
                }
            }
            positions.put(p, truncated ? pos : Math.max(pos, page.nextOffset()));
        }
    }

    private void reset(int p, long from, TierlogServerException.OffsetOutOfRange e) {
        long start = e.logStartOffset();
        long hw = e.highWatermark();
        if (start < 0 || hw < 0) {
            TopicInfo.PartitionInfo info = client.describeTopic(topic).partition(p);
            start = info.logStartOffset();
            hw = info.highWatermark();
        }
        long to = switch (config.outOfRangeReset()) {
            case EARLIEST -> from < start ? start : hw;
            case LATEST -> hw;
            case NONE -> throw e;
        };
        LOG.warn("offset {} of {}-{} is out of range [{}, {}]; moving to {}", from, topic, p, start, hw, to);
        positions.put(p, to);
    }

    private void issueFetches(long now, long maxWaitMs) {
        for (Map.Entry<Integer, Long> e : positions.entrySet()) {
            int p = e.getKey();
            if (outstanding.containsKey(p)) {
                continue;
            }
            Long until = backoffUntil.get(p);
            if (until != null) {
                if (until - now > 0) {
                    continue;
                }
                backoffUntil.remove(p);
            }
            long from = e.getValue();
            outstanding.put(p, http.sendAsync(Fetch.offsetRequest(http, topic, p, from, config.maxRecords(), maxWaitMs,
                    true, requestTimeout)));
            fetchedFrom.put(p, from);
        }
    }

    private static void sleepNanos(long nanos) {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TierlogClientException("interrupted while polling", e);
        }
    }

    /** The next offset to be returned for each assigned partition. */
    public Map<Integer, Long> positions() {
        return Collections.unmodifiableMap(new TreeMap<>(positions));
    }

    public long position(int partition) {
        Long p = positions.get(partition);
        if (p == null) {
            throw new IllegalArgumentException("partition " + partition + " is not assigned");
        }
        return p;
    }

    /** Moves a partition's position; a fetch already outstanding for the old position is discarded. */
    public void seek(int partition, long offset) {
        position(partition);
        if (offset < 0) {
            throw new IllegalArgumentException("offset must be >= 0, was " + offset);
        }
        CompletableFuture<HttpResponse<byte[]>> f = outstanding.remove(partition);
        if (f != null) {
            f.cancel(true);
            fetchedFrom.remove(partition);
        }
        positions.put(partition, offset);
    }

    /** Commits the current positions of all assigned partitions for the consumer's group. */
    public void commitSync() {
        commitSync(positions);
    }

    /** Commits the given next-offsets-to-read for the consumer's group. */
    public void commitSync(Map<Integer, Long> offsets) {
        String group = requireGroup();
        List<Map<String, Object>> list = new ArrayList<>();
        offsets.forEach((p, o) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("partition", p);
            m.put("offset", o);
            list.add(m);
        });
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("topic", topic);
        body.put("offsets", list);
        http.sendJson("PUT", "/v1/groups/" + Http.enc(group) + "/offsets", body);
    }

    /** The group's committed offsets for the topic (partitions never committed are absent). */
    public Map<Integer, Long> committed() {
        String group = requireGroup();
        JsonNode n;
        try {
            n = http.getJson("/v1/groups/" + Http.enc(group) + "/offsets?topic=" + Http.enc(topic));
        } catch (TierlogServerException.NotFound e) {
            return Map.of();
        }
        Map<Integer, Long> out = new TreeMap<>();
        for (JsonNode o : n.path("offsets")) {
            out.put(o.path("partition").asInt(), o.path("offset").asLong());
        }
        return out;
    }

    private String requireGroup() {
        if (config.group() == null) {
            throw new IllegalStateException("this consumer has no group; create it with ConsumerConfig.group(name)");
        }
        if (topic == null) {
            throw new IllegalStateException("subscribe or assign before committing");
        }
        return config.group();
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("consumer is closed");
        }
    }

    private void cancelOutstanding() {
        outstanding.values().forEach(f -> f.cancel(true));
        outstanding.clear();
        fetchedFrom.clear();
    }

    /** Abandons outstanding fetches. Does not commit: call {@link #commitSync()} first if you want that. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            cancelOutstanding();
            client.forget(this);
        }
    }
}
