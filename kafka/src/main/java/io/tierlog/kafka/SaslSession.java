package io.tierlog.kafka;

import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import javax.security.auth.callback.Callback;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.sasl.SaslException;
import javax.security.sasl.SaslServer;

import io.tierlog.auth.Authenticator;
import io.tierlog.auth.Principal;
import io.tierlog.auth.ScramSecret;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.message.SaslAuthenticateResponseData;
import org.apache.kafka.common.message.SaslHandshakeResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.SaslAuthenticateRequest;
import org.apache.kafka.common.requests.SaslAuthenticateResponse;
import org.apache.kafka.common.requests.SaslHandshakeRequest;
import org.apache.kafka.common.requests.SaslHandshakeResponse;
import org.apache.kafka.common.security.plain.PlainAuthenticateCallback;
import org.apache.kafka.common.security.plain.internals.PlainSaslServer;
import org.apache.kafka.common.security.scram.ScramCredential;
import org.apache.kafka.common.security.scram.ScramCredentialCallback;
import org.apache.kafka.common.security.scram.internals.ScramMechanism;
import org.apache.kafka.common.security.scram.internals.ScramSaslServer;

/**
 * One connection's SASL exchange (SaslHandshake v1, then SaslAuthenticate until done, as the Java clients and
 * librdkafka do it) on kafka-clients' own PLAIN and SCRAM servers, with the credentials of the token file. Used by
 * the connection's reader thread only.
 */
final class SaslSession {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SaslSession.class);
    static final List<String> MECHANISMS = List.of("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512");

    /** The answer to a SASL request and, once the exchange ended, its outcome. */
    record Step(Reply reply, Optional<Principal> authenticated, boolean failed) {
    }

    private final Authenticator authenticator;
    private SaslServer server;
    /** The user whose token a PLAIN exchange checked (the callback sees it before the server completes). */
    private Principal plainPrincipal;

    SaslSession(Authenticator authenticator) {
        this.authenticator = authenticator;
    }

    /** The principal of that name (a TLS client certificate named it). */
    Optional<Principal> principal(String name) {
        return authenticator.principal(name);
    }

    Step handshake(SaslHandshakeRequest request) {
        String mechanism = request.data().mechanism();
        SaslHandshakeResponseData data = new SaslHandshakeResponseData().setMechanisms(MECHANISMS);
        if (server != null) {
            return new Step(new Reply.Final(new SaslHandshakeResponse(data.setErrorCode(Errors.ILLEGAL_SASL_STATE.code())),
                    "a second SaslHandshake"), Optional.empty(), true);
        }
        try {
            if (mechanism.equals("PLAIN")) {
                server = new PlainSaslServer(this::plainCallbacks);
            } else if (ScramSecret.Mechanism.bySaslName(mechanism) != null) {
                ScramSecret.Mechanism m = ScramSecret.Mechanism.bySaslName(mechanism);
                server = new ScramSaslServer(ScramMechanism.forMechanismName(m.saslName), Map.of(),
                        callbacks -> scramCallbacks(m, callbacks));
            } else {
                return new Step(new Reply.Respond(new SaslHandshakeResponse(
                        data.setErrorCode(Errors.UNSUPPORTED_SASL_MECHANISM.code()))), Optional.empty(), false);
            }
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks " + mechanism, e);
        }
        return new Step(new Reply.Respond(new SaslHandshakeResponse(data.setErrorCode(Errors.NONE.code()))),
                Optional.empty(), false);
    }

    Step authenticate(SaslAuthenticateRequest request) {
        if (server == null) {
            return fail(request, Errors.ILLEGAL_SASL_STATE, "SaslAuthenticate before SaslHandshake");
        }
        byte[] challenge;
        try {
            challenge = server.evaluateResponse(request.data().authBytes());
        } catch (SaslAuthenticationException e) {
            return fail(request, Errors.SASL_AUTHENTICATION_FAILED, e.getMessage());
        } catch (SaslException | RuntimeException e) {
            // malformed client messages: one message for all, so that nothing about the credentials leaks
            LOG.debug("{} exchange failed", server.getMechanismName(), e);
            return fail(request, Errors.SASL_AUTHENTICATION_FAILED, "Authentication failed during "
                    + server.getMechanismName());
        }
        Optional<Principal> done = Optional.empty();
        if (server.isComplete()) {
            done = server instanceof PlainSaslServer ? Optional.ofNullable(plainPrincipal)
                    : authenticator.principal(server.getAuthorizationID());
            if (done.isEmpty()) {
                return fail(request, Errors.SASL_AUTHENTICATION_FAILED, "Authentication failed: unknown principal");
            }
        }
        SaslAuthenticateResponseData data = new SaslAuthenticateResponseData().setErrorCode(Errors.NONE.code())
                .setAuthBytes(challenge == null ? new byte[0] : challenge).setSessionLifetimeMs(0);
        return new Step(new Reply.Respond(new SaslAuthenticateResponse(data)), done, false);
    }

    private Step fail(SaslAuthenticateRequest request, Errors error, String message) {
        SaslAuthenticateResponseData data = new SaslAuthenticateResponseData().setErrorCode(error.code())
                .setErrorMessage(message).setAuthBytes(new byte[0]);
        // Kafka closes the connection after a failed authentication; the client reads the reason first
        return new Step(new Reply.Final(new SaslAuthenticateResponse(data), message), Optional.empty(), true);
    }

    private void plainCallbacks(Callback[] callbacks) throws UnsupportedCallbackException {
        String name = null;
        for (Callback c : callbacks) {
            if (c instanceof NameCallback n) {
                name = n.getDefaultName();
            } else if (c instanceof PlainAuthenticateCallback p) {
                Optional<Principal> who = name == null ? Optional.empty()
                        : authenticator.password(name, new String(p.password()));
                plainPrincipal = who.orElse(null);
                p.authenticated(who.isPresent());
            } else {
                throw new UnsupportedCallbackException(c);
            }
        }
    }

    private void scramCallbacks(ScramSecret.Mechanism m, Callback[] callbacks) throws UnsupportedCallbackException {
        String name = null;
        for (Callback c : callbacks) {
            if (c instanceof NameCallback n) {
                name = n.getDefaultName();
            } else if (c instanceof ScramCredentialCallback s) {
                if (name != null) {
                    authenticator.scramSecret(name, m).ifPresent(secret -> s.scramCredential(new ScramCredential(
                            secret.salt(), secret.storedKey(), secret.serverKey(), secret.iterations())));
                }
            } else {
                throw new UnsupportedCallbackException(c); // delegation tokens are not served
            }
        }
    }

}
