package io.tierlog.promql;

/**
 * Go's {@code Regexp.Expand} as label_replace uses it: {@code $1}, {@code ${1}}, {@code $name}, {@code ${name}}
 * and {@code $$}; a name is the longest run of letters, digits and underscores, and a group that does not exist
 * expands to nothing.
 */
final class Templates {
    private Templates() {
    }

    static String expand(String template, com.google.re2j.Matcher m) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < template.length()) {
            char c = template.charAt(i);
            if (c != '$' || i + 1 >= template.length()) {
                out.append(c);
                i++;
                continue;
            }
            char next = template.charAt(i + 1);
            if (next == '$') {
                out.append('$');
                i += 2;
                continue;
            }
            String name;
            if (next == '{') {
                int close = template.indexOf('}', i + 2);
                if (close < 0) {
                    out.append(c);
                    i++;
                    continue;
                }
                name = template.substring(i + 2, close);
                i = close + 1;
            } else {
                int j = i + 1;
                while (j < template.length() && (Character.isLetterOrDigit(template.charAt(j)) || template.charAt(j) == '_')) {
                    j++;
                }
                if (j == i + 1) {
                    out.append(c);
                    i++;
                    continue;
                }
                name = template.substring(i + 1, j);
                i = j;
            }
            out.append(group(m, name));
        }
        return out.toString();
    }

    private static String group(com.google.re2j.Matcher m, String name) {
        String g = null;
        if (name.chars().allMatch(Character::isDigit)) {
            int n = Integer.parseInt(name.length() > 6 ? "999999" : name);
            if (n <= m.groupCount()) {
                g = m.group(n);
            }
        } else {
            try {
                g = m.group(name);
            } catch (IllegalArgumentException e) {
                g = null; // no such named group: Go expands it to nothing
            }
        }
        return g == null ? "" : g;
    }
}
