package io.tierlog.core;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Consumer group names, as both doors accept them, and the file-safe form the offsets store keeps them under.
 *
 * <p>A group name is what Kafka calls a group id: any non-empty string without control characters (Kafka allows
 * even those; a name with a line break would forge log lines). On disk a group is named by its
 * {@linkplain #escape escaped} form: every UTF-8 byte outside {@code [a-zA-Z0-9._-]} becomes {@code %XX}, and
 * {@code .} and {@code ..} become {@code %2E} and {@code %2E%2E}. The escaped form is the name itself for every
 * name Tierlog accepted before Kafka groups existed, so older offsets files keep their names. It must fit
 * {@link #MAX_ESCAPED_LENGTH} characters (a file name has 255 bytes; the store adds its suffixes): 240 characters
 * of {@code [a-zA-Z0-9._-]} (console-consumer ids, Kafka Streams application ids), fewer of anything else.
 */
public final class GroupNames {
    /** The longest escaped name. */
    public static final int MAX_ESCAPED_LENGTH = 240;

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private GroupNames() {
    }

    /** Returns the name when it is a valid group name, else throws with the reason. */
    public static String check(String name) {
        if (name == null || name.isEmpty()) {
            throw new InvalidInputException("group name must not be empty");
        }
        for (int i = 0; i < name.length(); i++) {
            if (Character.isISOControl(name.charAt(i))) {
                throw new InvalidInputException("group name '" + printable(name)
                        + "' contains a control character (at index " + i + ")");
            }
        }
        if (!isWellFormed(name)) {
            throw new InvalidInputException("group name '" + printable(name) + "' is not valid UTF-16 (a lone surrogate)");
        }
        int length = escape(name).length();
        if (length > MAX_ESCAPED_LENGTH) {
            throw new InvalidInputException("group name '" + printable(name) + "' is too long: " + length
                    + " characters once escaped for its file name (each character outside [a-zA-Z0-9._-] counts 3 per"
                    + " UTF-8 byte); at most " + MAX_ESCAPED_LENGTH + " are allowed");
        }
        return name;
    }

    /** The file-safe form of a {@linkplain #check valid} name: only {@code [a-zA-Z0-9._%-]}, never '.' or '..'. */
    public static String escape(String name) {
        if (name.equals(".")) {
            return "%2E";
        }
        if (name.equals("..")) {
            return "%2E%2E";
        }
        StringBuilder sb = new StringBuilder(name.length());
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            if (isPlain(b)) {
                sb.append((char) b);
            } else {
                sb.append('%').append(HEX[(b >> 4) & 0xF]).append(HEX[b & 0xF]);
            }
        }
        return sb.toString();
    }

    /** The name an {@linkplain #escape escaped} form stands for; throws when {@code escaped} is not one. */
    public static String unescape(String escaped) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(escaped.length());
        for (int i = 0; i < escaped.length(); i++) {
            char c = escaped.charAt(i);
            if (c == '%' && i + 2 < escaped.length()) {
                int hi = Character.digit(escaped.charAt(i + 1), 16);
                int lo = Character.digit(escaped.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    throw new InvalidInputException("'" + printable(escaped) + "' has a bad escape at index " + i);
                }
                bytes.write(hi << 4 | lo);
                i += 2;
            } else if (c < 0x80 && isPlain((byte) c)) {
                bytes.write(c);
            } else {
                throw new InvalidInputException("'" + printable(escaped) + "' is not an escaped group name (index " + i + ")");
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw new InvalidInputException("'" + printable(escaped) + "' does not escape UTF-8", e);
        }
    }

    private static boolean isPlain(byte b) {
        return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '.' || b == '_' || b == '-';
    }

    private static boolean isWellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    return false;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && i < 64; i++) {
            char c = s.charAt(i);
            sb.append(Character.isISOControl(c) ? '?' : c);
        }
        return s.length() > 64 ? sb + "..." : sb.toString();
    }
}
