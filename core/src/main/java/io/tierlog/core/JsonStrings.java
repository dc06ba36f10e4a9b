package io.tierlog.core;

/**
 * Escapes text for a JSON string literal, for the few answers written by hand where no JSON library is at hand
 * (error bodies written by Jetty's error handler, OTLP's JSON status): quotes, backslashes and control characters.
 */
public final class JsonStrings {
    private JsonStrings() {
    }

    /** {@code s} with {@code "}, {@code \} and characters below U+0020 escaped (no surrounding quotes). */
    public static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }
}
