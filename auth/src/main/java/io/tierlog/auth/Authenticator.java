package io.tierlog.auth;

import java.util.Optional;

/**
 * Checks a client's proof of identity and names its {@link Principal}. The seam between the doors (HTTP bearer
 * tokens, Kafka SASL) and wherever credentials live; implementations are thread safe.
 */
public interface Authenticator {

    /** The principal whose token this is, or empty for an unknown token. */
    Optional<Principal> bearer(String token);

    /** SASL/PLAIN: the principal when {@code password} is the token of the principal {@code name}. */
    Optional<Principal> password(String name, String password);

    /** SASL/SCRAM: what the server stores for {@code name} and mechanism {@code m}, or empty when none. */
    Optional<ScramSecret> scramSecret(String name, ScramSecret.Mechanism m);

    /** The principal of that name (after a SCRAM exchange proved it), or empty. */
    Optional<Principal> principal(String name);
}
