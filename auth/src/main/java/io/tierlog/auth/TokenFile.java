package io.tierlog.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The principals of a server, read from a JSON file of hashed tokens ({@code auth.token.file}, format in
 * docs/security.md). The file is checked for changes at most once per {@code checkIntervalMs} on use and reloaded
 * as a whole: requests see either the old or the new set, never a mix. A file that no longer parses keeps the old
 * set (and is logged at ERROR), so a bad edit cannot lock everyone out or let everyone in. Thread safe.
 */
public final class TokenFile implements Authenticator {
    private static final Logger LOG = LoggerFactory.getLogger(TokenFile.class);
    /** Checked before reading: the file is read whole. */
    static final long MAX_FILE_BYTES = 16L * 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Loaded(Object fileKey, long modifiedNanos, long size, Map<String, Principal> byTokenHash,
                          Map<String, TokenEntry> byName) {
    }

    private final Path file;
    private final long checkIntervalNanos;
    private final AtomicReference<Loaded> current = new AtomicReference<>();
    private volatile long nextCheckNanos;
    /** The file version that last failed to load, so that one bad edit is logged once, not at every check. */
    private String failedVersion;

    private TokenFile(Path file, long checkIntervalMs) {
        this.file = file;
        this.checkIntervalNanos = checkIntervalMs * 1_000_000L;
    }

    /** Reads the file now; a missing or invalid file is an error (the server must not start without its principals). */
    public static TokenFile open(Path file, long checkIntervalMs) {
        TokenFile f = new TokenFile(file, checkIntervalMs);
        try {
            f.current.set(f.read());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the token file " + file, e);
        }
        f.nextCheckNanos = System.nanoTime() + f.checkIntervalNanos;
        LOG.info("token file {}: {} principal(s)", file, f.current.get().byName().size());
        return f;
    }

    /** The principals currently in force, by name. */
    public List<Principal> principals() {
        return fresh().byName().values().stream().map(TokenEntry::principal).toList();
    }

    @Override
    public Optional<Principal> bearer(String token) {
        if (token == null || token.isEmpty() || token.length() > 1024) {
            return Optional.empty();
        }
        return Optional.ofNullable(fresh().byTokenHash().get(HexFormat.of().formatHex(TokenEntry.sha256(token))));
    }

    @Override
    public Optional<Principal> password(String name, String password) {
        TokenEntry e = fresh().byName().get(name);
        if (e == null || password == null || password.length() > 1024) {
            return Optional.empty();
        }
        return MessageDigest.isEqual(TokenEntry.sha256(password), e.tokenSha256())
                ? Optional.of(e.principal()) : Optional.empty();
    }

    @Override
    public Optional<ScramSecret> scramSecret(String name, ScramSecret.Mechanism m) {
        TokenEntry e = fresh().byName().get(name);
        return e == null ? Optional.empty() : Optional.ofNullable(e.scram().get(m));
    }

    @Override
    public Optional<Principal> principal(String name) {
        return Optional.ofNullable(fresh().byName().get(name)).map(TokenEntry::principal);
    }

    /** The loaded set, reloaded first when the check interval passed and the file changed. */
    private Loaded fresh() {
        long now = System.nanoTime();
        if (now - nextCheckNanos >= 0) {
            nextCheckNanos = now + checkIntervalNanos;
            reloadIfChanged();
        }
        return current.get();
    }

    private synchronized void reloadIfChanged() {
        Loaded old = current.get();
        String version = null;
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            if (Objects.equals(a.fileKey(), old.fileKey()) && a.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS)
                    == old.modifiedNanos() && a.size() == old.size()) {
                return;
            }
            version = a.fileKey() + "/" + a.lastModifiedTime() + "/" + a.size();
            if (version.equals(failedVersion)) {
                return;
            }
            Loaded next = read();
            current.set(next);
            failedVersion = null;
            LOG.info("token file {} reloaded: {} principal(s)", file, next.byName().size());
        } catch (IOException | RuntimeException e) {
            failedVersion = version;
            LOG.error("token file {} could not be reloaded; the previous principals stay in force: {}", file, e.getMessage());
        }
    }

    private Loaded read() throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        if (a.size() > MAX_FILE_BYTES) {
            throw new IllegalArgumentException("token file " + file + " is larger than " + MAX_FILE_BYTES + " bytes");
        }
        List<TokenEntry> entries = parse(Files.readAllBytes(file));
        Map<String, Principal> byHash = new HashMap<>();
        Map<String, TokenEntry> byName = new LinkedHashMap<>();
        for (TokenEntry e : entries) {
            if (byName.putIfAbsent(e.principal().name(), e) != null) {
                throw new IllegalArgumentException("principal '" + e.principal().name() + "' appears twice in " + file);
            }
            if (byHash.putIfAbsent(e.tokenSha256Hex(), e.principal()) != null) {
                throw new IllegalArgumentException("two principals share a token in " + file);
            }
        }
        return new Loaded(a.fileKey(), a.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS), a.size(),
                Map.copyOf(byHash), byName);
    }

    /** Parses the file's JSON; every problem names the principal and field. */
    static List<TokenEntry> parse(byte[] json) throws IOException {
        JsonNode root = JSON.readTree(json);
        if (root == null || !root.path("principals").isArray()) {
            throw new IllegalArgumentException("the token file must be a JSON object {\"principals\": [...]}");
        }
        List<TokenEntry> out = new ArrayList<>();
        for (JsonNode p : root.get("principals")) {
            String name = text(p, "name", "a principal");
            String where = "principal '" + name + "'";
            byte[] hash;
            try {
                hash = HexFormat.of().parseHex(text(p, "tokenSha256", where));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": tokenSha256 is not hex", e);
            }
            List<Grant> grants = new ArrayList<>();
            if (!p.path("grants").isArray()) {
                throw new IllegalArgumentException(where + ": grants must be an array");
            }
            for (JsonNode g : p.get("grants")) {
                grants.add(new Grant(Permission.parse(text(g, "permission", where)),
                        g.path("topicPrefix").isTextual() ? g.get("topicPrefix").asText() : ""));
            }
            Map<ScramSecret.Mechanism, ScramSecret> scram = new EnumMap<>(ScramSecret.Mechanism.class);
            JsonNode s = p.path("scram");
            for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
                String mech = it.next();
                ScramSecret.Mechanism m = ScramSecret.Mechanism.bySaslName(mech);
                if (m == null) {
                    throw new IllegalArgumentException(where + ": unknown SCRAM mechanism '" + mech + "'");
                }
                JsonNode v = s.get(mech);
                Base64.Decoder b64 = Base64.getDecoder();
                scram.put(m, new ScramSecret(m, b64.decode(text(v, "salt", where)), b64.decode(text(v, "storedKey", where)),
                        b64.decode(text(v, "serverKey", where)), v.path("iterations").asInt(0)));
            }
            out.add(new TokenEntry(new Principal(name, grants), hash, scram));
        }
        return out;
    }

    private static String text(JsonNode n, String field, String where) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException(where + ": '" + field + "' must be a string");
        }
        return v.asText();
    }

    /**
     * Writes {@code entries} to {@code file} with owner-only permissions, through a temporary file renamed into
     * place, so that a server polling the file never reads half of it.
     */
    public static void write(Path file, List<TokenEntry> entries) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode ps = root.putArray("principals");
        Base64.Encoder b64 = Base64.getEncoder();
        for (TokenEntry e : entries) {
            ObjectNode p = ps.addObject();
            p.put("name", e.principal().name());
            p.put("tokenSha256", e.tokenSha256Hex());
            ArrayNode gs = p.putArray("grants");
            for (Grant g : e.principal().grants()) {
                gs.addObject().put("permission", g.permission().jsonName()).put("topicPrefix", g.topicPrefix());
            }
            ObjectNode s = p.putObject("scram");
            e.scram().forEach((m, v) -> s.putObject(m.saslName).put("salt", b64.encodeToString(v.salt()))
                    .put("storedKey", b64.encodeToString(v.storedKey())).put("serverKey", b64.encodeToString(v.serverKey()))
                    .put("iterations", v.iterations()));
        }
        Path abs = file.toAbsolutePath();
        Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root).getBytes(StandardCharsets.UTF_8));
        try {
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Reads the entries of a file (for the token tool, which adds to it). */
    public static List<TokenEntry> readEntries(Path file) throws IOException {
        return Files.exists(file) ? parse(Files.readAllBytes(file)) : List.of();
    }
}
