package dev.postoffice.lmtp;

import java.util.Locale;

/** The parameters of MAIL FROM this listener honours: {@code SIZE=}, {@code BODY=7BIT|8BITMIME}, {@code SMTPUTF8}. */
final class MailParams {
    private MailParams() {}

    /**
     * The SIZE parameter, or -1 without one.
     *
     * @throws IllegalArgumentException with the reply for a bad or unsupported parameter
     */
    static long size(String params) {
        long size = -1;
        for (String p : params.isEmpty() ? new String[0] : params.split(" +")) {
            int eq = p.indexOf('=');
            String key = (eq < 0 ? p : p.substring(0, eq)).toUpperCase(Locale.ROOT);
            String value = eq < 0 ? "" : p.substring(eq + 1);
            switch (key) {
                case "SIZE" -> {
                    try {
                        size = Long.parseLong(value);
                    } catch (NumberFormatException e) {
                        size = -2;
                    }
                    if (size < 0) {
                        throw new IllegalArgumentException("501 5.5.4 Bad SIZE parameter");
                    }
                }
                case "BODY" -> {
                    String v = value.toUpperCase(Locale.ROOT);
                    if (!v.equals("7BIT") && !v.equals("8BITMIME")) {
                        throw new IllegalArgumentException("555 5.5.4 Unsupported BODY type");
                    }
                }
                case "SMTPUTF8" -> {
                    if (eq >= 0) {
                        throw new IllegalArgumentException("555 5.5.4 SMTPUTF8 takes no value");
                    }
                }
                // Echoed only when it is a plain keyword: a CR or other control character in a reply line could
                // make the client read a reply of the client's own making.
                default -> throw new IllegalArgumentException("555 5.5.4 Unsupported parameter"
                        + (key.length() <= 64 && key.chars().allMatch(c -> c > ' ' && c < 127) ? " " + key : ""));
            }
        }
        return size;
    }
}
