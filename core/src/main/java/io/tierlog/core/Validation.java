package io.tierlog.core;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * Checks applied at every edge before anything is stored. Topic names become directory names, so
 * {@link #topicName} is a security boundary; the messages name the field and the rule broken so that a
 * client can fix its request.
 */
public final class Validation {
    private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,200}");
    /** Largest timestamp accepted: year 9999, so that clients sending micro- or nanoseconds are caught. */
    public static final long MAX_TIMESTAMP = 253_402_300_799_999L;

    private Validation() {
    }

    /** Returns the name when it is a valid topic name, else throws with the reason. */
    public static String topicName(String name) {
        if (name == null || name.isEmpty()) {
            throw new InvalidInputException("topic name must not be empty");
        }
        if (name.equals(".") || name.equals("..")) {
            throw new InvalidInputException("topic name must not be '.' or '..'");
        }
        if (name.length() > 200) {
            throw new InvalidInputException("topic name is " + name.length() + " characters long; at most 200 are allowed");
        }
        if (!TOPIC.matcher(name).matches()) {
            throw new InvalidInputException("topic name '" + printable(name) + "' may only contain letters, digits, '.', '_' and '-'");
        }
        return name;
    }

    /** Consumer group names are Kafka's group ids, within what a file name can hold: see {@link GroupNames}. */
    public static String groupName(String name) {
        return GroupNames.check(name);
    }

    public static void metricName(String name, Limits limits) {
        identifier("metric name", name, limits);
    }

    public static void tagKey(String key, Limits limits) {
        identifier("tag key", key, limits);
    }

    private static void identifier(String what, String s, Limits limits) {
        if (s == null || s.isEmpty()) {
            throw new InvalidInputException(what + " must not be empty");
        }
        if (s.length() > limits.maxNameLength()) {
            throw new InvalidInputException(what + " '" + printable(s.substring(0, 32)) + "...' is " + s.length()
                    + " characters long; at most " + limits.maxNameLength() + " are allowed");
        }
        if (!isIdentifier(s)) {
            throw new InvalidInputException(what + " '" + printable(s) + "' must match [a-zA-Z_:][a-zA-Z0-9_:.]*");
        }
    }

    /** {@code [a-zA-Z_:][a-zA-Z0-9_:.]*} without a regex: this runs for every metric record produced. */
    static boolean isIdentifier(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'
                    || (i > 0 && ((c >= '0' && c <= '9') || c == '.'));
            if (!ok) {
                return false;
            }
        }
        return !s.isEmpty();
    }

    public static void tags(Map<String, String> tags, Limits limits) {
        if (tags == null) {
            return;
        }
        if (tags.size() > limits.maxTags()) {
            throw new InvalidInputException(tags.size() + " tags given; at most " + limits.maxTags() + " are allowed");
        }
        for (Map.Entry<String, String> e : tags.entrySet()) {
            tagKey(e.getKey(), limits);
            String v = e.getValue();
            if (v == null) {
                throw new InvalidInputException("tag '" + e.getKey() + "' has no value");
            }
            if (v.length() > limits.maxTagValueLength()) {
                throw new InvalidInputException("value of tag '" + e.getKey() + "' is " + v.length()
                        + " characters long; at most " + limits.maxTagValueLength() + " are allowed");
            }
        }
    }

    public static void timestamp(long timestamp) {
        if (timestamp < 0 || timestamp > MAX_TIMESTAMP) {
            throw new InvalidInputException("timestamp " + timestamp + " is outside 0.." + MAX_TIMESTAMP
                    + " (epoch milliseconds)");
        }
    }

    public static void metricEvent(MetricEvent e, Limits limits) {
        metricName(e.name(), limits);
        tags(e.tags(), limits);
        timestamp(e.timestamp());
        if (Double.isNaN(e.value()) && e.type() == MetricType.COUNTER) {
            throw new InvalidInputException("counter '" + e.name() + "' must not be NaN");
        }
    }

    public static void recordValueSize(int size, Limits limits) {
        if (size > limits.maxRecordValueBytes()) {
            throw new InvalidInputException("record value of " + size + " bytes exceeds the limit of "
                    + limits.maxRecordValueBytes() + " bytes");
        }
    }

    public static void offset(long offset, String what) {
        if (offset < 0) {
            throw new InvalidInputException(what + " must be >= 0, was " + offset);
        }
    }

    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && i < 64; i++) {
            char c = s.charAt(i);
            sb.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return s.length() > 64 ? sb + "..." : sb.toString();
    }
}
