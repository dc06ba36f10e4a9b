package io.tierlog.sdk;

import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Measurement;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Statistic;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.NamingConvention;
import io.micrometer.core.instrument.cumulative.CumulativeCounter;
import io.micrometer.core.instrument.cumulative.CumulativeDistributionSummary;
import io.micrometer.core.instrument.cumulative.CumulativeFunctionCounter;
import io.micrometer.core.instrument.cumulative.CumulativeFunctionTimer;
import io.micrometer.core.instrument.cumulative.CumulativeTimer;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.distribution.HistogramSupport;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.micrometer.core.instrument.distribution.pause.PauseDetector;
import io.micrometer.core.instrument.internal.DefaultGauge;
import io.micrometer.core.instrument.internal.DefaultMeter;
import io.micrometer.core.instrument.push.PushMeterRegistry;
import io.micrometer.core.instrument.util.NamedThreadFactory;
import io.tierlog.core.MetricEvent;
import io.tierlog.core.MetricType;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Micrometer registry that ships every meter to a Tierlog metrics topic, so that an application already
 * instrumented with Micrometer stores its metrics in Tierlog with a few lines of configuration. It writes through a
 * {@link TierlogProducer} (kafka-clients over the server's Kafka listener). Each step
 * (default one minute), each measurement of each meter becomes one metric event: name (the meter name, plus
 * {@code .count}, {@code .sum}, {@code .max} ... for the statistics of timers and summaries), the meter's
 * tags, the value and the publish time. Values are cumulative (counters only grow, as in Prometheus), so a
 * lost publish loses resolution, never counts; readers derive rates from differences.
 *
 * <pre>{@code
 * TierlogMeterRegistry registry = new TierlogMeterRegistry(key -> switch (key) {
 *     case "tierlog.uri" -> "http://127.0.0.1:7070";
 *     case "tierlog.step" -> "10s";
 *     default -> null;
 * }, Clock.SYSTEM);
 * Metrics.addRegistry(registry);
 * }</pre>
 */
public class TierlogMeterRegistry extends PushMeterRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(TierlogMeterRegistry.class);
    private static final int MAX_TAG_VALUE = 256;

    private final TierlogRegistryConfig config;
    private final TierlogClient client;
    private final boolean ownsClient;
    private final TierlogProducer producer;
    private volatile boolean topicReady;

    /**
     * A registry with its own client to {@link TierlogRegistryConfig#uri()} (and
     * {@link TierlogRegistryConfig#bootstrapServers()} when set); it starts publishing at once.
     */
    public TierlogMeterRegistry(TierlogRegistryConfig config, Clock clock) {
        this(config, clock, config.bootstrapServers() == null ? TierlogClient.create(URI.create(config.uri()))
                : TierlogClient.create(URI.create(config.uri()), config.bootstrapServers()), true);
    }

    /** A registry that publishes through an existing client (which it does not close). */
    public TierlogMeterRegistry(TierlogRegistryConfig config, Clock clock, TierlogClient client) {
        this(config, clock, client, false);
    }

    private TierlogMeterRegistry(TierlogRegistryConfig config, Clock clock, TierlogClient client, boolean ownsClient) {
        super(config, clock);
        this.config = config;
        this.client = client;
        this.ownsClient = ownsClient;
        this.producer = client.producer(producerConfig(config.step()));
        config().namingConvention(new TierlogNamingConvention());
        if (config.enabled()) {
            start(new NamedThreadFactory("tierlog-metrics-publisher"));
        }
    }

    /**
     * A publish must not outlive its step: a sample is given up after about one step (the next publish carries the
     * cumulative values anyway), and a send blocks at most that long.
     */
    static ProducerConfig producerConfig(Duration step) {
        Duration linger = Duration.ofMillis(20);
        Duration requestTimeout = min(Duration.ofSeconds(30), step.dividedBy(2).isZero() ? Duration.ofMillis(1) : step.dividedBy(2));
        Duration deliveryTimeout = step.compareTo(linger.plus(requestTimeout)) < 0 ? linger.plus(requestTimeout) : step;
        return ProducerConfig.builder().linger(linger).requestTimeout(requestTimeout).deliveryTimeout(deliveryTimeout)
                .maxBlock(min(Duration.ofSeconds(60), step)).retryBackoff(min(Duration.ofMillis(50), step))
                .retryBackoffMax(min(Duration.ofSeconds(1), step)).build();
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    @Override
    protected void publish() {
        try {
            ensureTopic();
        } catch (RuntimeException e) {
            LOG.warn("cannot publish meters: topic {} is not available: {}", config.topic(), e.getMessage());
            return;
        }
        long now = clock.wallTime();
        List<CompletableFuture<Long>> sent = new ArrayList<>();
        for (Meter meter : getMeters()) {
            for (MetricEvent e : events(meter, now)) {
                try {
                    sent.add(producer.send(config.topic(), e));
                } catch (RuntimeException ex) {
                    LOG.debug("meter {} skipped: {}", e.name(), ex.getMessage());
                }
            }
        }
        producer.flush();
        long failed = sent.stream().filter(CompletableFuture::isCompletedExceptionally).count();
        if (failed > 0) {
            LOG.warn("{} of {} meter measurements could not be written to {}", failed, sent.size(), config.topic());
        }
    }

    /** The events one meter contributes to a publish. */
    List<MetricEvent> events(Meter meter, long timestamp) {
        Meter.Id id = meter.getId();
        String base = getConventionName(id);
        TreeMap<String, String> tags = new TreeMap<>();
        for (Tag t : getConventionTags(id)) {
            String v = t.getValue();
            tags.put(t.getKey(), v.length() > MAX_TAG_VALUE ? v.substring(0, MAX_TAG_VALUE) : v);
        }
        List<MetricEvent> out = new ArrayList<>();
        for (Measurement m : meter.measure()) {
            double v = m.getValue();
            if (Double.isNaN(v) || Double.isInfinite(v)) {
                continue;
            }
            Statistic s = m.getStatistic();
            String name = s == Statistic.VALUE ? base : base + "." + suffix(s);
            MetricType type = switch (s) {
                case COUNT, TOTAL, TOTAL_TIME -> id.getType() == Meter.Type.GAUGE ? MetricType.GAUGE : MetricType.COUNTER;
                default -> MetricType.GAUGE;
            };
            out.add(new MetricEvent(name, tags, timestamp, v, type));
        }
        if (meter instanceof HistogramSupport h) {
            for (ValueAtPercentile p : h.takeSnapshot().percentileValues()) {
                TreeMap<String, String> pt = new TreeMap<>(tags);
                pt.put("phi", Double.toString(p.percentile()));
                double v = meter instanceof Timer ? p.value(getBaseTimeUnit()) : p.value();
                if (!Double.isNaN(v)) {
                    out.add(new MetricEvent(base + ".percentile", pt, timestamp, v, MetricType.SUMMARY));
                }
            }
        }
        return out;
    }

    private static String suffix(Statistic s) {
        return switch (s) {
            case TOTAL, TOTAL_TIME -> "sum";
            default -> s.name().toLowerCase(Locale.ROOT);
        };
    }

    private void ensureTopic() {
        if (topicReady) {
            return;
        }
        try {
            client.describeTopic(config.topic());
        } catch (TierlogServerException.NotFound e) {
            if (!config.createTopic()) {
                throw e;
            }
            try {
                client.createTopic(config.topic(), config.topicPartitions(), Map.of("schema", "metrics"));
            } catch (TierlogServerException.Conflict raced) {
                LOG.debug("topic {} was created concurrently", config.topic());
            }
        }
        topicReady = true;
    }

    @Override
    protected <T> Gauge newGauge(Meter.Id id, T obj, ToDoubleFunction<T> valueFunction) {
        return new DefaultGauge<>(id, obj, valueFunction);
    }

    @Override
    protected Counter newCounter(Meter.Id id) {
        return new CumulativeCounter(id);
    }

    @Override
    protected Timer newTimer(Meter.Id id, DistributionStatisticConfig cfg, PauseDetector pauseDetector) {
        return new CumulativeTimer(id, clock, cfg, pauseDetector, getBaseTimeUnit(), false);
    }

    @Override
    protected DistributionSummary newDistributionSummary(Meter.Id id, DistributionStatisticConfig cfg, double scale) {
        return new CumulativeDistributionSummary(id, clock, cfg, scale, false);
    }

    @Override
    protected Meter newMeter(Meter.Id id, Meter.Type type, Iterable<Measurement> measurements) {
        return new DefaultMeter(id, type, measurements);
    }

    @Override
    protected <T> FunctionTimer newFunctionTimer(Meter.Id id, T obj, ToLongFunction<T> countFunction,
                                                 ToDoubleFunction<T> totalTimeFunction, TimeUnit unit) {
        return new CumulativeFunctionTimer<>(id, obj, countFunction, totalTimeFunction, unit, getBaseTimeUnit());
    }

    @Override
    protected <T> FunctionCounter newFunctionCounter(Meter.Id id, T obj, ToDoubleFunction<T> countFunction) {
        return new CumulativeFunctionCounter<>(id, obj, countFunction);
    }

    @Override
    protected TimeUnit getBaseTimeUnit() {
        return TimeUnit.SECONDS;
    }

    @Override
    protected DistributionStatisticConfig defaultHistogramConfig() {
        return DistributionStatisticConfig.builder().expiry(config.step()).build().merge(DistributionStatisticConfig.DEFAULT);
    }

    /** Publishes a last time, delivers what the producer still holds, then releases the client if owned. */
    @Override
    public void close() {
        try {
            super.close();
        } finally {
            producer.close();
            if (ownsClient) {
                client.close();
            }
        }
    }

    /** Maps Micrometer names and tag keys onto Tierlog's {@code [a-zA-Z_:][a-zA-Z0-9_:.]*} rule. */
    static final class TierlogNamingConvention implements NamingConvention {
        @Override
        public String name(String name, Meter.Type type, String baseUnit) {
            return sanitize(name);
        }

        @Override
        public String tagKey(String key) {
            return sanitize(key);
        }

        @Override
        public String tagValue(String value) {
            return value;
        }

        static String sanitize(String s) {
            if (s == null || s.isEmpty()) {
                return "_";
            }
            StringBuilder sb = new StringBuilder(s.length());
            for (int i = 0; i < s.length() && sb.length() < 256; i++) {
                char c = s.charAt(i);
                boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'
                        || (i > 0 && ((c >= '0' && c <= '9') || c == '.'));
                sb.append(ok ? c : '_');
            }
            return sb.toString();
        }
    }
}
