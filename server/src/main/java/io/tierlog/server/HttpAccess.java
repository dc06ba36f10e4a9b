package io.tierlog.server;

import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.tierlog.auth.Authenticator;
import io.tierlog.auth.Permission;
import io.tierlog.auth.Principal;
import io.tierlog.auth.TlsFiles;

import java.security.cert.X509Certificate;

import java.util.Optional;

/**
 * Who may call which HTTP endpoint: reads {@code Authorization: Bearer <token>} once per request (401 with
 * {@code WWW-Authenticate: Bearer} without a known token) and wraps each endpoint with the permission it needs
 * (403 without it). Checked before the endpoint looks anything up, so a forbidden caller cannot learn whether a
 * topic exists. With no authenticator (an explicitly insecure server) every request is {@link Principal#ANONYMOUS}.
 */
final class HttpAccess {
    private static final String PRINCIPAL = "tierlog.principal";

    private final Authenticator authenticator;
    private final boolean metricsOpen;
    private final Counter unauthenticated;
    private final Counter forbidden;

    HttpAccess(Authenticator authenticator, boolean metricsOpen, MeterRegistry registry) {
        this.authenticator = authenticator;
        this.metricsOpen = metricsOpen;
        this.unauthenticated = Counter.builder("tierlog.http.auth.failures").tag("reason", "unauthenticated")
                .description("HTTP requests answered 401 (no or unknown bearer token)").register(registry);
        this.forbidden = Counter.builder("tierlog.http.auth.failures").tag("reason", "forbidden")
                .description("HTTP requests answered 403 (the principal lacks the permission)").register(registry);
    }

    /**
     * True when the path needs a principal: the API under /v1 (but its health check), Prometheus' remote_write and
     * query API (under /api/ and /prometheus/) and, unless opened, /metrics.
     */
    private boolean guarded(String path) {
        if (path.equals("/v1/health")) {
            return false;
        }
        return path.startsWith("/v1/") || path.equals("/v1") || path.startsWith("/api/") || path.startsWith("/prometheus/")
                || (path.equals("/metrics") && !metricsOpen);
    }

    /** The before-handler: names the principal of a guarded request or answers 401. Static console files stay open. */
    void authenticate(Context ctx) {
        if (authenticator == null) {
            ctx.attribute(PRINCIPAL, Principal.ANONYMOUS);
            return;
        }
        if (!guarded(ctx.path())) {
            return;
        }
        String header = ctx.header("Authorization");
        Optional<Principal> p = Optional.empty();
        if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            p = authenticator.bearer(header.substring(7).trim());
        } else if (header == null
                && ctx.req().getAttribute("jakarta.servlet.request.X509Certificate") instanceof X509Certificate[] chain
                && chain.length > 0) {
            // TLS already checked the chain against tls.client.ca.file; its subject CN names the principal
            p = TlsFiles.principalName(chain[0]).flatMap(authenticator::principal);
        }
        if (p.isEmpty()) {
            unauthenticated.increment();
            ctx.header("WWW-Authenticate", header == null ? "Bearer realm=\"tierlog\""
                    : "Bearer realm=\"tierlog\", error=\"invalid_token\"");
            throw new ApiException(401, "unauthorized", header == null
                    ? "this endpoint needs an 'Authorization: Bearer <token>' header"
                    : "the bearer token is not known to this server");
        }
        ctx.attribute(PRINCIPAL, p.get());
    }

    /** The request's principal (set by {@link #authenticate}). */
    static Principal principal(Context ctx) {
        Principal p = ctx.attribute(PRINCIPAL);
        if (p == null) {
            throw new IllegalStateException("no principal on " + ctx.path() + ": the endpoint is not guarded");
        }
        return p;
    }

    /** Fails with 403 unless the request's principal holds {@code p} on {@code topic}. */
    void require(Context ctx, Permission p, String topic) {
        if (!principal(ctx).may(p, topic)) {
            deny(ctx, "needs the " + p.jsonName() + " permission on topic '" + topic + "'");
        }
    }

    /** Whether the request's principal holds any permission on {@code topic} (it may then see the topic listed). */
    static boolean seesTopic(Context ctx, String topic) {
        Principal p = principal(ctx);
        for (Permission perm : Permission.values()) {
            if (p.may(perm, topic)) {
                return true;
            }
        }
        return false;
    }

    /** An endpoint on {@code {topic}} that needs {@code p} on it. */
    Handler onTopic(Permission p, Handler h) {
        return ctx -> {
            require(ctx, p, ctx.pathParam("topic"));
            h.handle(ctx);
        };
    }

    /** An endpoint on {@code {topic}} that any permission on it opens (describing a topic). */
    Handler seeingTopic(Handler h) {
        return ctx -> {
            String topic = ctx.pathParam("topic");
            if (!seesTopic(ctx, topic)) {
                deny(ctx, "has no permission on topic '" + topic + "'");
            }
            h.handle(ctx);
        };
    }

    /** A cluster-wide endpoint: needs admin on every topic (prefix ""). */
    Handler clusterAdmin(Handler h) {
        return ctx -> {
            if (!principal(ctx).isClusterAdmin()) {
                deny(ctx, "needs the admin permission on all topics (topic prefix \"\")");
            }
            h.handle(ctx);
        };
    }

    /** An endpoint any authenticated principal may call (its answer is filtered by the handler where needed). */
    Handler authenticated(Handler h) {
        return ctx -> {
            principal(ctx);
            h.handle(ctx);
        };
    }

    /** /metrics: open when configured so, else cluster admin. */
    Handler metrics(Handler h) {
        return metricsOpen || authenticator == null ? h : clusterAdmin(h);
    }

    private void deny(Context ctx, String why) {
        forbidden.increment();
        throw new ApiException(403, "forbidden", "principal '" + principal(ctx).name() + "' " + why);
    }
}
