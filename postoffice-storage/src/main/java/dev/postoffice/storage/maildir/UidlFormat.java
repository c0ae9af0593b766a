package dev.postoffice.storage.maildir;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * Dovecot's {@code pop3_uidl_format}, expanded as Dovecot 2.3's {@code var_expand} does, for the variables a Maildir
 * and its {@code dovecot-uidlist} give: {@code %u} (the IMAP UID), {@code %v} (the folder's UIDVALIDITY), {@code %f}
 * (the file's base name) and {@code %g} (the message GUID: the uidlist's {@code G} extension, else the base name),
 * also as {@code %{uid}}, {@code %{uidvalidity}}, {@code %{filename}} and {@code %{guid}}. Each takes Dovecot's
 * {@code [-][0]<width>} or {@code [-]<offset>.[0][-]<width>} prefix and the modifiers {@code L U E X R M D T}
 * ({@code X} is hexadecimal in lower case, as Dovecot prints it; a width without {@code 0} truncates, with it pads).
 * {@code %m} (the header MD5) is refused: Dovecot computes it for mbox only, so no Maildir client ever saw one; so
 * are the hash modifiers {@code H} and {@code N}, unknown variables and anything outside 0x21..0x7E. Immutable.
 */
public final class UidlFormat {
    /** Dovecot's default {@code pop3_uidl_format}. */
    public static final String DEFAULT = "%08Xu%08Xv";
    private static final int MAX_MODIFIERS = 10;
    private static final String MODIFIERS = "LUEXRHNMDT";

    /** One piece of the format: literal text, or a variable with its modifiers, offset and width. */
    private record Part(String literal, char variable, String modifiers, int offset, int width, boolean zeroPad) {}

    private final String format;
    private final List<Part> parts;

    private UidlFormat(String format, List<Part> parts) {
        this.format = format;
        this.parts = parts;
    }

    /**
     * Parses a format.
     *
     * @throws IllegalArgumentException with a message fit for an operator if Postoffice cannot serve it as Dovecot did
     */
    public static UidlFormat parse(String format) {
        if (format == null || format.isEmpty()) {
            throw new IllegalArgumentException("the UIDL format is empty");
        }
        List<Part> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int i = 0;
        int n = format.length();
        while (i < n) {
            char c = format.charAt(i++);
            if (c != '%') {
                if (c < 0x21 || c > 0x7E) {
                    throw new IllegalArgumentException("'" + format + "': a UIDL may hold only the characters 0x21..0x7E"
                            + " (RFC 1939), not " + describe(c));
                }
                literal.append(c);
                continue;
            }
            int sign = 1;
            boolean zeroPad = false;
            int width = 0;
            int offset = 0;
            if (i < n && format.charAt(i) == '-') {
                sign = -1;
                i++;
            }
            if (i < n && format.charAt(i) == '0') {
                zeroPad = true;
                i++;
            }
            int start = i;
            while (i < n && digit(format.charAt(i))) {
                i++;
            }
            width = number(format, start, i);
            if (i < n && format.charAt(i) == '.') {
                offset = sign * width;
                sign = 1;
                width = 0;
                i++;
                zeroPad = false;
                if (i < n && format.charAt(i) == '0') {
                    zeroPad = true;
                    i++;
                }
                if (i < n && format.charAt(i) == '-') {
                    sign = -1;
                    i++;
                }
                start = i;
                while (i < n && digit(format.charAt(i))) {
                    i++;
                }
                width = sign * number(format, start, i);
            }
            StringBuilder modifiers = new StringBuilder();
            while (i < n && modifiers.length() < MAX_MODIFIERS && MODIFIERS.indexOf(format.charAt(i)) >= 0) {
                char m = format.charAt(i++);
                if (m == 'H' || m == 'N') {
                    throw new IllegalArgumentException("'" + format + "': the hash modifier %" + m
                            + " is not supported");
                }
                modifiers.append(m);
            }
            if (i >= n) {
                // Dovecot stops expanding at a '%' with nothing after it.
                throw new IllegalArgumentException("'" + format + "' ends in the middle of a variable");
            }
            char v = format.charAt(i++);
            if (v == '{') {
                int close = format.indexOf('}', i);
                if (close < 0) {
                    throw new IllegalArgumentException("'" + format + "': %{ without a closing }");
                }
                String key = format.substring(i, close);
                i = close + 1;
                v = switch (key) {
                    case "uid" -> 'u';
                    case "uidvalidity" -> 'v';
                    case "filename" -> 'f';
                    case "guid" -> 'g';
                    case "md5" -> 'm';
                    default -> throw new IllegalArgumentException("'" + format + "': %{" + key + "} is not a"
                            + " pop3_uidl_format variable Postoffice can derive (%{uid}, %{uidvalidity}, %{filename},"
                            + " %{guid})");
                };
            }
            switch (v) {
                case '%' -> {
                    if (!modifiers.isEmpty() || width != 0 || offset != 0) {
                        throw new IllegalArgumentException("'" + format + "': %% takes no modifiers");
                    }
                    literal.append('%');
                    continue;
                }
                case 'u', 'v', 'f', 'g' -> { }
                case 'm' -> throw new IllegalArgumentException("'" + format + "': %m (the header MD5) is not"
                        + " available for a Maildir: Dovecot computes it for mbox only, so it never served such UIDLs"
                        + " from a Maildir");
                default -> throw new IllegalArgumentException("'" + format + "': %" + v + " is not a pop3_uidl_format"
                        + " variable (%u, %v, %f, %g; X is the hexadecimal modifier, as in %08Xu)");
            }
            if (!literal.isEmpty()) {
                parts.add(new Part(literal.toString(), '\0', "", 0, 0, false));
                literal.setLength(0);
            }
            parts.add(new Part(null, v, modifiers.toString(), offset, width, zeroPad));
        }
        if (!literal.isEmpty()) {
            parts.add(new Part(literal.toString(), '\0', "", 0, 0, false));
        }
        if (parts.stream().noneMatch(p -> p.literal() == null)) {
            throw new IllegalArgumentException("'" + format + "' has no variable: every message would get the same"
                    + " UIDL");
        }
        return new UidlFormat(format, List.copyOf(parts));
    }

    private static int number(String s, int from, int to) {
        if (to - from > 6) {
            throw new IllegalArgumentException("'" + s + "': width or offset too large");
        }
        return from == to ? 0 : Integer.parseInt(s.substring(from, to));
    }

    private static String describe(char c) {
        return c == ' ' ? "a space" : String.format(Locale.ROOT, "U+%04X", (int) c);
    }

    /** The format as given. */
    public String format() {
        return format;
    }

    /**
     * The UIDL Dovecot served for a message.
     *
     * @param guid the uidlist's {@code G} extension, or null (the base name stands in, as in Dovecot)
     */
    String expand(long uid, long uidValidity, String baseName, String guid) {
        StringBuilder out = new StringBuilder(24);
        for (Part p : parts) {
            if (p.literal() != null) {
                out.append(p.literal());
                continue;
            }
            String value = switch (p.variable()) {
                case 'u' -> Long.toString(uid);
                case 'v' -> Long.toString(uidValidity);
                case 'f' -> baseName;
                default -> guid != null ? guid : baseName;
            };
            for (int m = 0; m < p.modifiers().length(); m++) {
                value = modify(p.modifiers().charAt(m), value);
            }
            int offset = p.offset();
            if (offset < 0) {
                if (value.length() > -offset) {
                    value = value.substring(value.length() + offset);
                }
            } else if (offset > 0) {
                value = value.substring(Math.min(offset, value.length()));
            }
            int width = p.width();
            if (width == 0) {
                out.append(value);
            } else if (!p.zeroPad()) {
                // Dovecot truncates to the width; a negative one counts from the end, and below zero means all.
                int w = width < 0 ? value.length() + width : width;
                out.append(w < 0 ? value : value.substring(0, Math.min(w, value.length())));
            } else {
                out.append("0".repeat(Math.max(0, width - value.length()))).append(value);
            }
        }
        return out.toString();
    }

    private static String modify(char m, String value) {
        return switch (m) {
            case 'L' -> value.toLowerCase(Locale.ROOT);
            case 'U' -> value.toUpperCase(Locale.ROOT);
            case 'E' -> value.replace("\\", "\\\\").replace("\"", "\\\"").replace("'", "\\'");
            case 'X' -> hex(value);
            case 'R' -> new StringBuilder(value).reverse().toString();
            case 'M' -> HexFormat.of().formatHex(md5(value));
            case 'D' -> value.replace(".", ",dc=");
            case 'T' -> value.stripTrailing();
            default -> throw new IllegalStateException("modifier " + m);
        };
    }

    /** Dovecot's X: the decimal number as lower-case hexadecimal; anything else (or an overflow) is 0. */
    private static String hex(String value) {
        if (value.isEmpty() || value.length() > 20 || !value.chars().allMatch(c -> digit((char) c))) {
            return "0";
        }
        try {
            return Long.toUnsignedString(Long.parseUnsignedLong(value), 16);
        } catch (NumberFormatException e) {
            return "0";
        }
    }

    private static boolean digit(char c) {
        return c >= '0' && c <= '9';
    }

    private static byte[] md5(String value) {
        try {
            return MessageDigest.getInstance("MD5").digest(value.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform provides MD5", e);
        }
    }

    @Override
    public String toString() {
        return format;
    }
}
