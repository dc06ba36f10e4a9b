package io.tierlog.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One principal as the token file stores it: its grants, the SHA-256 of its token (never the token) and the SCRAM
 * secrets derived from the same token, so one secret works as an HTTP bearer token and as a Kafka SASL password.
 * Tokens are 256 random bits, so a plain SHA-256 is enough: there is nothing to brute-force.
 */
public record TokenEntry(Principal principal, byte[] tokenSha256, Map<ScramSecret.Mechanism, ScramSecret> scram) {
    /** Principal names: also SASL user names, so no ',' or '=' (SCRAM would need escaping) and no spaces. */
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9._@-]{1,128}");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String TOKEN_PREFIX = "tlk_";

    public TokenEntry {
        if (!NAME.matcher(principal.name()).matches()) {
            throw new IllegalArgumentException("principal name '" + principal.name() + "' must match " + NAME.pattern());
        }
        if (tokenSha256.length != 32) {
            throw new IllegalArgumentException("tokenSha256 of '" + principal.name() + "' must be 32 bytes (64 hex digits)");
        }
        tokenSha256 = tokenSha256.clone();
        scram = Map.copyOf(scram);
    }

    @Override
    public byte[] tokenSha256() {
        return tokenSha256.clone();
    }

    /** A fresh token: 32 random bytes, base64url, with a prefix that secret scanners can recognise. */
    public static String newToken() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return TOKEN_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** The entry for {@code token}: its hash and SCRAM-SHA-256/512 secrets with fresh salts. */
    public static TokenEntry create(String name, String token, List<Grant> grants) {
        Map<ScramSecret.Mechanism, ScramSecret> scram = new EnumMap<>(ScramSecret.Mechanism.class);
        for (ScramSecret.Mechanism m : ScramSecret.Mechanism.values()) {
            byte[] salt = new byte[16];
            RANDOM.nextBytes(salt);
            scram.put(m, ScramSecret.derive(m, token, salt, ScramSecret.MIN_ITERATIONS));
        }
        return new TokenEntry(new Principal(name, grants), sha256(token), scram);
    }

    static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }

    String tokenSha256Hex() {
        return HexFormat.of().formatHex(tokenSha256);
    }

    @Override
    public String toString() {
        return "TokenEntry[" + principal + "]"; // no hash or key material in logs
    }
}
