package dev.postoffice.app.logging;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * {@code %safeMsg}: the formatted message with CR, LF and every other control character escaped, so that one
 * event is one line whatever a client managed to get into it (a user name, a token's header, an exception's
 * text). fail2ban and other log readers match whole lines; a forged {@code auth: ... result=fail} line could
 * otherwise get anyone banned. Used by the app's pattern, so no call site has to remember.
 */
public final class SafeMessageConverter extends ClassicConverter {
    @Override
    public String convert(ILoggingEvent event) {
        return escape(event.getFormattedMessage());
    }

    /**
     * The text with C0 controls, DEL, C1 controls and the Unicode line and paragraph separators written as
     * {@code \r}, {@code \n}, {@code \t} or {@code \\uXXXX}; a backslash stays as it is. Null stays null.
     */
    public static String escape(String s) {
        if (s == null) {
            return null;
        }
        int i = 0;
        while (i < s.length() && !control(s.charAt(i))) {
            i++;
        }
        if (i == s.length()) {
            return s; // the common case: nothing to escape, no copy
        }
        StringBuilder b = new StringBuilder(s.length() + 16).append(s, 0, i);
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!control(c)) {
                b.append(c);
            } else if (c == '\r') {
                b.append("\\r");
            } else if (c == '\n') {
                b.append("\\n");
            } else if (c == '\t') {
                b.append("\\t");
            } else {
                b.append(String.format("\\u%04x", (int) c));
            }
        }
        return b.toString();
    }

    private static boolean control(char c) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029';
    }
}
