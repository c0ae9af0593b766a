package dev.postoffice.client;

/** RFC 1939 section 7: a unique-id is 1 to 70 characters in the range 0x21 to 0x7E. */
final class Uidls {
    private Uidls() {}

    static boolean isValid(String uidl) {
        if (uidl.isEmpty() || uidl.length() > 70) {
            return false;
        }
        for (int i = 0; i < uidl.length(); i++) {
            char c = uidl.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                return false;
            }
        }
        return true;
    }
}
