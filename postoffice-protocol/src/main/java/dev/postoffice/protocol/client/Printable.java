package dev.postoffice.protocol.client;

/** Server text made safe to show: control characters escaped, length bounded. */
final class Printable {
    private static final int MAX = 200;

    private Printable() {}

    static String of(String s) {
        StringBuilder out = new StringBuilder(Math.min(s.length(), MAX) + 8);
        for (int i = 0; i < s.length() && out.length() < MAX; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                out.append(String.format("\\x%02x", (int) c));
            } else {
                out.append(c);
            }
        }
        if (out.length() >= MAX) {
            out.append("...");
        }
        return out.toString();
    }
}
