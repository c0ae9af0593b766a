package dev.postoffice.lmtp;

import java.util.Locale;

/**
 * A path of MAIL FROM or RCPT TO ({@code <local@domain>}, {@code <>}, a source route before {@code :} ignored) and
 * the parameters after it.
 *
 * @param address the address without angle brackets; empty for the null sender
 * @param params  what follows the path, trimmed
 */
record Address(String address, String params) {
    /** Parses what follows {@code FROM:} or {@code TO:}; throws {@link IllegalArgumentException} if malformed. */
    static Address parse(String text) {
        String t = text.stripLeading();
        if (t.isEmpty() || t.charAt(0) != '<') {
            throw new IllegalArgumentException("the address must be enclosed in <>");
        }
        boolean quoted = false;
        int close = -1;
        for (int i = 1; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c == '\\' && quoted) {
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (c == '>' && !quoted) {
                close = i;
                break;
            }
        }
        if (close < 0) {
            throw new IllegalArgumentException("unterminated address");
        }
        String inner = t.substring(1, close);
        if (inner.startsWith("@")) {
            int colon = inner.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("malformed source route");
            }
            inner = inner.substring(colon + 1);
        }
        if (inner.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new IllegalArgumentException("invalid character in the address");
        }
        String rest = t.substring(close + 1);
        if (!rest.isEmpty() && rest.charAt(0) != ' ') {
            throw new IllegalArgumentException("text after the address");
        }
        return new Address(inner, rest.trim());
    }

    /** The local part, unquoted. */
    String localPart() {
        int at = address.lastIndexOf('@');
        String local = at < 0 ? address : address.substring(0, at);
        if (local.length() >= 2 && local.startsWith("\"") && local.endsWith("\"")) {
            local = local.substring(1, local.length() - 1).replaceAll("\\\\(.)", "$1");
        }
        return local;
    }

    /** The domain, lower case; empty for an address without one. */
    String domain() {
        int at = address.lastIndexOf('@');
        return at < 0 ? "" : address.substring(at + 1).toLowerCase(Locale.ROOT);
    }
}
