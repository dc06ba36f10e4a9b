package io.tierlog.sdk;

import java.util.Map;

/**
 * Who the client is on a server that authenticates (a token file, see the server's docs/security.md): the
 * principal's name and its token. The token is sent as {@code Authorization: Bearer} on HTTP calls and as the
 * SASL/PLAIN password on the Kafka listener, where the name is the user name. Never logged or printed.
 */
public record Credentials(String principal, String token) {
    public Credentials {
        if (principal == null || principal.isBlank() || token == null || token.isBlank()) {
            throw new IllegalArgumentException("credentials need a principal name and a token");
        }
    }

    /** The kafka-clients settings of SASL/PLAIN with these credentials ({@code SASL_SSL} when {@code tls}). */
    Map<String, Object> kafkaProperties(boolean tls) {
        return Map.of("security.protocol", tls ? "SASL_SSL" : "SASL_PLAINTEXT", "sasl.mechanism", "PLAIN",
                "sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                        + escape(principal) + "\" password=\"" + escape(token) + "\";");
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    @Override
    public String toString() {
        return "Credentials[principal=" + principal + ", token=***]";
    }
}
