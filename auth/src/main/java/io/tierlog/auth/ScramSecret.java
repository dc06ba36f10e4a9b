package io.tierlog.auth;

import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Locale;

/**
 * What a SCRAM server stores for one user and mechanism (RFC 5802 section 3): salt, iteration count, StoredKey and
 * ServerKey, never the password. It lets a Kafka client prove it knows the token without sending it.
 */
public record ScramSecret(ScramSecret.Mechanism mechanism, byte[] salt, byte[] storedKey, byte[] serverKey,
                          int iterations) {

    /** The SCRAM mechanisms Kafka clients speak, with their hash. */
    public enum Mechanism {
        SCRAM_SHA_256("SCRAM-SHA-256", "SHA-256", "HmacSHA256", 256),
        SCRAM_SHA_512("SCRAM-SHA-512", "SHA-512", "HmacSHA512", 512);

        public final String saslName;
        final String digest;
        final String hmac;
        final int bits;

        Mechanism(String saslName, String digest, String hmac, int bits) {
            this.saslName = saslName;
            this.digest = digest;
            this.hmac = hmac;
            this.bits = bits;
        }

        public static Mechanism bySaslName(String name) {
            for (Mechanism m : values()) {
                if (m.saslName.equals(name.toUpperCase(Locale.ROOT))) {
                    return m;
                }
            }
            return null;
        }
    }

    /** Kafka's minimum (ScramMechanism.minIterations); also the default of the token tool. */
    public static final int MIN_ITERATIONS = 4096;
    static final int MAX_ITERATIONS = 1 << 20;

    public ScramSecret {
        if (iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
            throw new IllegalArgumentException("SCRAM iterations must be in " + MIN_ITERATIONS + ".." + MAX_ITERATIONS
                    + ", was " + iterations);
        }
        salt = salt.clone();
        storedKey = storedKey.clone();
        serverKey = serverKey.clone();
    }

    /** Derives the stored secret from a password (the principal's token) and a fresh salt. */
    public static ScramSecret derive(Mechanism m, String password, byte[] salt, int iterations) {
        try {
            // SaltedPassword := Hi(password, salt, i), which is PBKDF2 with the mechanism's HMAC
            SecretKeyFactory f = SecretKeyFactory.getInstance("PBKDF2With" + m.hmac);
            byte[] salted = f.generateSecret(new PBEKeySpec(password.toCharArray(), salt, iterations, m.bits)).getEncoded();
            byte[] clientKey = hmac(m, salted, "Client Key");
            byte[] storedKey = MessageDigest.getInstance(m.digest).digest(clientKey);
            byte[] serverKey = hmac(m, salted, "Server Key");
            return new ScramSecret(m, salt, storedKey, serverKey, iterations);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks " + m.hmac + " for " + m.saslName, e);
        }
    }

    private static byte[] hmac(Mechanism m, byte[] key, String text) throws GeneralSecurityException {
        Mac mac = Mac.getInstance(m.hmac);
        mac.init(new SecretKeySpec(key, m.hmac));
        return mac.doFinal(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Override
    public byte[] salt() {
        return salt.clone();
    }

    @Override
    public byte[] storedKey() {
        return storedKey.clone();
    }

    @Override
    public byte[] serverKey() {
        return serverKey.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ScramSecret s && s.mechanism == mechanism && s.iterations == iterations
                && Arrays.equals(s.salt, salt) && Arrays.equals(s.storedKey, storedKey)
                && Arrays.equals(s.serverKey, serverKey);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(storedKey);
    }

    @Override
    public String toString() {
        return "ScramSecret[" + mechanism.saslName + ", iterations=" + iterations + "]"; // no key material in logs
    }
}
