package io.tierlog.auth;

import java.util.List;

/**
 * An authenticated identity and what it may do. Both doors ask the same questions of it, so a token means the same
 * thing over HTTP and over the Kafka protocol. Immutable.
 */
public record Principal(String name, List<Grant> grants) {
    /** The identity of every request when authentication is off (an explicitly insecure server): may do anything. */
    public static final Principal ANONYMOUS = new Principal("ANONYMOUS",
            List.of(new Grant(Permission.PRODUCE, ""), new Grant(Permission.CONSUME, ""), new Grant(Permission.ADMIN, "")));

    public Principal {
        grants = List.copyOf(grants);
    }

    /** Whether this principal holds {@code p} on {@code topic}. */
    public boolean may(Permission p, String topic) {
        for (Grant g : grants) {
            if (g.covers(p, topic)) {
                return true;
            }
        }
        return false;
    }

    /** Whether this principal holds {@code p} on at least one topic prefix (e.g. consumer groups need consume somewhere). */
    public boolean mayOnSomeTopic(Permission p) {
        for (Grant g : grants) {
            if (g.permission() == p) {
                return true;
            }
        }
        return false;
    }

    /** Admin on every topic: the cluster-wide operations and views. */
    public boolean isClusterAdmin() {
        for (Grant g : grants) {
            if (g.permission() == Permission.ADMIN && g.topicPrefix().isEmpty()) {
                return true;
            }
        }
        return false;
    }
}
