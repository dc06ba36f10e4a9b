package io.tierlog.auth;

/**
 * One permission on every topic whose name starts with {@code topicPrefix} ("" = every topic). Prefixes, not
 * patterns, so that what a token may touch can be read off the file at a glance.
 */
public record Grant(Permission permission, String topicPrefix) {
    public Grant {
        if (permission == null || topicPrefix == null) {
            throw new IllegalArgumentException("a grant needs a permission and a topic prefix (\"\" for all topics)");
        }
    }

    boolean covers(Permission p, String topic) {
        return permission == p && topic.startsWith(topicPrefix);
    }
}
