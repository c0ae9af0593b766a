package dev.postoffice.storage.maildir;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Maildir file names: parsing the parts other software writes and generating new unique names.
 * Everything here is plain string scanning, cheap enough for the per-file loop of a large maildrop.
 */
final class MaildirNames {
    /** Longest UIDL that RFC 1939 section 7 allows. */
    static final int MAX_UIDL = 70;

    /**
     * Prefix of a derived UIDL. It contains ':', which cannot occur in a base name (the base name ends at
     * the first ':'), so a derived UIDL never equals a UIDL taken verbatim from a base name.
     */
    static final String DERIVED_UIDL_PREFIX = "sha256:";

    private MaildirNames() {}

    /** The base name: the file name up to the first ':' (which starts the info part, such as ":2,S"). */
    static String baseName(String fileName) {
        int colon = fileName.indexOf(':');
        return colon < 0 ? fileName : fileName.substring(0, colon);
    }

    /**
     * The decimal number a name starts with (by convention the delivery time in epoch seconds), or -1 if
     * the name does not start with a digit. More than 18 digits yields {@link Long#MAX_VALUE}.
     */
    static long leadingSeconds(String name) {
        long value = 0;
        int i = 0;
        for (int n = name.length(); i < n; i++) {
            char c = name.charAt(i);
            if (c < '0' || c > '9') {
                break;
            }
            if (i == 18) {
                return Long.MAX_VALUE;
            }
            value = value * 10 + (c - '0');
        }
        return i == 0 ? -1 : value;
    }

    /**
     * The microseconds of the delivery within its second: the digits after {@code M} in the name's second
     * dot-separated part, as Dovecot ({@code 1700000000.M123456P42.host}) and Postfix
     * ({@code 1700000000.V803I1a2bM123456.host}) write them; -1 if absent. Orders messages delivered in the
     * same second, where comparing names as text would put M99 after M100000.
     */
    static long micros(String name) {
        int dot = name.indexOf('.');
        if (dot < 0) {
            return -1;
        }
        int end = name.indexOf('.', dot + 1);
        if (end < 0) {
            end = name.length();
        }
        for (int i = dot + 1; i < end; i++) {
            if (name.charAt(i) == 'M' && i + 1 < end && Character.isDigit(name.charAt(i + 1))) {
                long value = 0;
                int j = i + 1;
                for (; j < end && j < i + 10 && name.charAt(j) >= '0' && name.charAt(j) <= '9'; j++) {
                    value = value * 10 + (name.charAt(j) - '0');
                }
                return value;
            }
        }
        return -1;
    }

    /**
     * The value of a {@code ,<type>=<digits>} field after the unique part of a base name, as Postfix and
     * Dovecot write {@code ,S=} (file size) and {@code ,W=} (size with CRLF line ends); -1 if absent or
     * malformed.
     */
    static long sizeField(String baseName, char type) {
        int n = baseName.length();
        int comma = baseName.indexOf(',');
        while (comma >= 0) {
            int start = comma + 1;
            int end = baseName.indexOf(',', start);
            if (end < 0) {
                end = n;
            }
            if (end - start >= 3 && baseName.charAt(start) == type && baseName.charAt(start + 1) == '=') {
                long value = digits(baseName, start + 2, end);
                if (value >= 0) {
                    return value;
                }
            }
            comma = end < n ? end : -1;
        }
        return -1;
    }

    private static long digits(String s, int from, int to) {
        if (to - from > 18) {
            return -1;
        }
        long value = 0;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    /**
     * The UIDL of a message: its base name when that is 1 to 70 characters in 0x21..0x7E, otherwise
     * {@value #DERIVED_UIDL_PREFIX} followed by the unpadded base64url SHA-256 of the base name's UTF-8
     * bytes (50 characters). Depends on nothing but the base name, so it survives restarts, the move from
     * {@code new/} to {@code cur/} and flag changes.
     */
    static String uidl(String baseName) {
        int n = baseName.length();
        if (n >= 1 && n <= MAX_UIDL && printable(baseName)) {
            return baseName;
        }
        return derivedUidl(baseName);
    }

    /** The {@value #DERIVED_UIDL_PREFIX} form of a base name's UIDL, whatever the name. */
    static String derivedUidl(String baseName) {
        byte[] digest = sha256().digest(baseName.getBytes(StandardCharsets.UTF_8));
        return DERIVED_UIDL_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    }

    /** Whether a string is a valid UIDL: 1 to 70 characters in 0x21..0x7E (RFC 1939 section 7). */
    static boolean validUidl(String s) {
        return !s.isEmpty() && s.length() <= MAX_UIDL && printable(s);
    }

    private static boolean printable(String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x21 || c > 0x7E) {
                return false;
            }
        }
        return true;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform provides SHA-256", e);
        }
    }

    /**
     * A unique name in the form Dovecot uses, with the random part the Maildir specification recommends:
     * {@code <seconds>.M<microseconds>P<pid>Q<counter>R<random hex>.<host>}.
     *
     * @param host the host name, already escaped with {@link #escapeHostname}
     */
    static String uniqueName(long epochSeconds, int micros, long pid, long counter, int random, String host) {
        return epochSeconds + ".M" + micros + "P" + pid + "Q" + counter + "R" + HexFormat.of().toHexDigits(random)
                + "." + host;
    }

    /** The host name with '/' and ':' written as {@code \057} and {@code \072}, as the Maildir spec asks. */
    static String escapeHostname(String host) {
        if (host.indexOf('/') < 0 && host.indexOf(':') < 0) {
            return host;
        }
        StringBuilder b = new StringBuilder(host.length() + 8);
        for (int i = 0, n = host.length(); i < n; i++) {
            char c = host.charAt(i);
            if (c == '/') {
                b.append("\\057");
            } else if (c == ':') {
                b.append("\\072");
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
