package io.tierlog.auth;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A server's TLS identity from the PEM files operators already have (a certificate chain and its PKCS#8 private
 * key, optionally the CA whose client certificates identify principals), as one {@link SSLContext} both doors use.
 * Read once at start; a bad file fails the start with its path.
 */
public final class TlsFiles {
    private static final Pattern PRIVATE_KEY = Pattern.compile(
            "-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");
    /** The in-memory key store's password: it never leaves the process, so it guards nothing. */
    private static final char[] STORE_PASSWORD = "tierlog".toCharArray();

    private final SSLContext context;
    private final boolean clientCertificates;

    private TlsFiles(SSLContext context, boolean clientCertificates) {
        this.context = context;
        this.clientCertificates = clientCertificates;
    }

    /**
     * Loads {@code certificate} (PEM chain, server first) and {@code key} (PEM PKCS#8, "BEGIN PRIVATE KEY"; convert
     * others with {@code openssl pkcs8 -topk8 -nocrypt}); {@code clientCa} (PEM, may be null) turns on client
     * certificates signed by it.
     */
    public static TlsFiles load(Path certificate, Path key, Path clientCa) {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            Certificate[] chain = certificates(certificate).toArray(Certificate[]::new);
            if (chain.length == 0) {
                throw new IllegalArgumentException("no certificate in " + certificate);
            }
            ks.setKeyEntry("server", privateKey(key), STORE_PASSWORD, chain);
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, STORE_PASSWORD);
            TrustManager[] trust = null;
            if (clientCa != null) {
                trust = trustManagers(clientCa);
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), trust, null);
            return new TlsFiles(ctx, clientCa != null);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the TLS files " + certificate + ", " + key, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("unusable TLS certificate or key (" + certificate + ", " + key + "): "
                    + e.getMessage(), e);
        }
    }

    /** Trust managers that accept exactly the CAs in a PEM file (for client certificates, or a private S3 CA). */
    public static TrustManager[] trustManagers(Path caPem) throws IOException, GeneralSecurityException {
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        int i = 0;
        for (Certificate c : certificates(caPem)) {
            ts.setCertificateEntry("ca" + i++, c);
        }
        if (i == 0) {
            throw new IllegalArgumentException("no certificate in " + caPem);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        return tmf.getTrustManagers();
    }

    public SSLContext context() {
        return context;
    }

    /** Whether client certificates are asked for (a client CA was given). */
    public boolean clientCertificates() {
        return clientCertificates;
    }

    /** The principal name a client certificate carries: its subject's CN. */
    public static Optional<String> principalName(X509Certificate client) {
        try {
            for (Rdn rdn : new LdapName(client.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return Optional.of(rdn.getValue().toString());
                }
            }
        } catch (InvalidNameException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    private static Collection<? extends Certificate> certificates(Path pem) throws IOException, GeneralSecurityException {
        return CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(Files.readAllBytes(pem)));
    }

    private static PrivateKey privateKey(Path pem) throws IOException, GeneralSecurityException {
        Matcher m = PRIVATE_KEY.matcher(Files.readString(pem, StandardCharsets.US_ASCII));
        if (!m.find()) {
            throw new IllegalArgumentException(pem + " holds no PKCS#8 '-----BEGIN PRIVATE KEY-----' block (convert "
                    + "with: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8)");
        }
        byte[] der = Base64.getMimeDecoder().decode(m.group(1));
        GeneralSecurityException last = null;
        for (String algorithm : new String[]{"RSA", "EC", "Ed25519", "EdDSA"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                last = e;
            }
        }
        throw new GeneralSecurityException("the key in " + pem + " is not RSA, EC or EdDSA", last);
    }
}
