package dev.postoffice.protocol.client;

import java.util.Locale;
import java.util.Optional;

/**
 * A server's status line as a client reads it: {@code +OK text} or {@code -ERR [CODE] text} (RFC 1939 section 3,
 * RFC 2449 section 8 response codes), or a SASL continuation {@code + base64}.
 *
 * @param ok           whether the line starts with {@code +OK}
 * @param continuation whether the line is a SASL continuation ({@code +} and a space, or a lone {@code +})
 * @param code         the bracketed response code of an {@code -ERR} (upper case), or empty
 * @param text         the rest of the line; for +OK and -ERR with control characters escaped and the length
 *                     bounded, so it is safe to show on a terminal or in a log
 */
public record StatusLine(boolean ok, boolean continuation, Optional<String> code, String text) {
    /**
     * Parses a line read without its terminator.
     *
     * @throws ProtocolException when the line is neither {@code +OK}, {@code -ERR} nor a continuation
     */
    public static StatusLine parse(String line) throws ProtocolException {
        if (line.equals("+OK") || startsWithIgnoreCase(line, "+OK ")) {
            return new StatusLine(true, false, Optional.empty(), Printable.of(line.length() > 3 ? line.substring(4) : ""));
        }
        if (line.equals("-ERR") || startsWithIgnoreCase(line, "-ERR ")) {
            String rest = line.length() > 4 ? line.substring(5) : "";
            if (rest.startsWith("[")) {
                int close = rest.indexOf(']');
                if (close > 1) {
                    return new StatusLine(false, false, Optional.of(Printable.of(rest.substring(1, close)).toUpperCase(Locale.ROOT)),
                            Printable.of(rest.substring(close + 1).strip()));
                }
            }
            return new StatusLine(false, false, Optional.empty(), Printable.of(rest));
        }
        if (line.equals("+") || line.startsWith("+ ")) {
            return new StatusLine(false, true, Optional.empty(), line.length() > 2 ? line.substring(2) : "");
        }
        throw new ProtocolException("not a POP3 status line: " + Printable.of(line));
    }

    /** Whether the code is the given one (for example {@code IN-USE}, {@code SYS/TEMP}, {@code AUTH}). */
    public boolean hasCode(String wanted) {
        return code.map(c -> c.equals(wanted)).orElse(false);
    }

    private static boolean startsWithIgnoreCase(String s, String prefix) {
        return s.regionMatches(true, 0, prefix, 0, prefix.length());
    }
}
