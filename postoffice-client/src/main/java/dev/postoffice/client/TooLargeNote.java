package dev.postoffice.client;

import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The note a user gets instead of a message larger than {@code --max-size}: a short text message naming the
 * message's From, Subject and Date (from {@code TOP n 0}), its size, and how to download it anyway. The message
 * itself stays on the server; docs/fetch.md describes when a note is sent.
 */
final class TooLargeNote {
    /** The header that marks a note, with the message's UIDL. */
    static final String HEADER = "X-Postoffice-Fetch-Note";
    private static final int MAX_VALUE = 300;

    private TooLargeNote() {}

    /**
     * The note, with LF or CRLF line ends.
     *
     * @param headers the message's header section as {@code TOP n 0} sent it (un-stuffed), or null when the
     *                server would not send it
     */
    static byte[] build(PopUrl url, String uid, long size, long limit, byte[] headers, ZonedDateTime now, boolean lf) {
        Map<String, String> h = headers == null ? Map.of() : parse(new String(headers, StandardCharsets.UTF_8));
        String subject = h.getOrDefault("subject", "(no subject)");
        StringBuilder sb = new StringBuilder();
        String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(now.withZoneSameInstant(ZoneOffset.UTC));
        line(sb, "From: postoffice fetch <MAILER-DAEMON@localhost>");
        line(sb, "To: " + url.user());
        line(sb, "Subject: [left on the server: " + human(size) + "] " + subject);
        line(sb, "Date: " + date);
        line(sb, HEADER + ": " + uid);
        line(sb, "Auto-Submitted: auto-generated");
        line(sb, "MIME-Version: 1.0");
        line(sb, "Content-Type: text/plain; charset=utf-8");
        line(sb, "Content-Transfer-Encoding: 8bit");
        line(sb, "");
        line(sb, "A message of " + human(size) + " (" + size + " octets) is larger than the size limit of "
                + human(limit) + ",");
        line(sb, "so it was not downloaded from " + url + ". It stays on the server and is not deleted.");
        line(sb, "");
        line(sb, "  From:    " + h.getOrDefault("from", "(unknown)"));
        line(sb, "  Subject: " + subject);
        line(sb, "  Date:    " + h.getOrDefault("date", "(unknown)"));
        line(sb, "  Size:    " + size + " octets");
        if (headers == null) {
            line(sb, "  (the server would not send the message's headers)");
        }
        line(sb, "");
        line(sb, "To download it, fetch with a size limit of at least " + human(size) + " (--max-size " + ceiling(size)
                + ", or max-size = " + ceiling(size) + " in the accounts file) or with no limit;");
        line(sb, "it is then delivered once, like any other message. This note is sent only once.");
        String text = sb.toString();
        return (lf ? text : text.replace("\n", "\r\n")).getBytes(StandardCharsets.UTF_8);
    }

    private static void line(StringBuilder sb, String s) {
        sb.append(s).append('\n');
    }

    /** From, Subject and Date of a header section: unfolded, control characters dropped, cut to a sane length. */
    static Map<String, String> parse(String section) {
        Map<String, String> out = new LinkedHashMap<>();
        String name = null;
        StringBuilder value = new StringBuilder();
        for (String raw : section.split("\r?\n", -1)) {
            if (raw.isEmpty()) {
                break; // the end of the header section
            }
            if ((raw.charAt(0) == ' ' || raw.charAt(0) == '\t') && name != null) {
                value.append(' ').append(raw.strip());
                continue;
            }
            keep(out, name, value);
            int colon = raw.indexOf(':');
            name = colon > 0 ? raw.substring(0, colon).strip().toLowerCase(Locale.ROOT) : null;
            value.setLength(0);
            if (name != null) {
                value.append(raw.substring(colon + 1).strip());
            }
        }
        keep(out, name, value);
        return out;
    }

    private static void keep(Map<String, String> out, String name, StringBuilder value) {
        if (name == null || !(name.equals("from") || name.equals("subject") || name.equals("date")) || out.containsKey(name)) {
            return;
        }
        String v = value.toString().replaceAll("\\p{Cntrl}", " ").strip();
        if (v.length() > MAX_VALUE) {
            v = v.substring(0, MAX_VALUE) + "...";
        }
        if (!v.isEmpty()) {
            out.put(name, v);
        }
    }

    /** A size for people: {@code 900 B}, {@code 12.5 KB}, {@code 3.2 MB}. */
    static String human(long n) {
        if (n < 1024) {
            return n + " B";
        }
        if (n < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KB", n / 1024.0);
        }
        return String.format(Locale.ROOT, "%.1f MB", n / (1024.0 * 1024));
    }

    /** The smallest {@code --max-size} value in whole K or M that lets a message of {@code n} octets through. */
    static String ceiling(long n) {
        long mb = 1024L * 1024;
        return n >= mb ? (n + mb - 1) / mb + "M" : (n + 1023) / 1024 + "k";
    }
}
