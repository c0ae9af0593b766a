package dev.postoffice.lmtp;

import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Optional;

/**
 * The header lines written above each delivered copy, as Dovecot's LMTP writes them: {@code Return-Path:} from
 * MAIL FROM, {@code Delivered-To:} when the transaction has a single recipient, and a {@code Received:} line.
 */
final class TraceHeaders {
    private static final DateTimeFormatter DATE =
            DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ENGLISH);

    private TraceHeaders() {}

    /**
     * @param recipient the recipient as given, when the transaction has only one
     */
    static byte[] build(String sender, Optional<String> recipient, String helo, String peer, String host, String id,
            ZonedDateTime now) {
        StringBuilder b = new StringBuilder(256);
        b.append("Return-Path: <").append(sender).append(">\r\n");
        recipient.ifPresent(r -> b.append("Delivered-To: ").append(r).append("\r\n"));
        b.append("Received: from ").append(token(helo)).append(" (").append(peer).append(")\r\n");
        b.append("\tby ").append(host).append(" with LMTP id ").append(id).append("\r\n");
        b.append("\t(envelope-from <").append(sender).append(">)");
        recipient.ifPresent(r -> b.append("\r\n\tfor <").append(r).append(">"));
        b.append("; ").append(DATE.format(now)).append("\r\n");
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The client's LHLO name, with anything but a host name's characters replaced (it is not trusted). */
    static String token(String s) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), 100));
        for (int i = 0; i < s.length() && i < 100; i++) {
            char c = s.charAt(i);
            boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || ".-_[]:".indexOf(c) >= 0;
            b.append(ok ? c : '?');
        }
        return b.isEmpty() ? "unknown" : b.toString();
    }
}
