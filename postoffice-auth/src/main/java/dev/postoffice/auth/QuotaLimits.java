package dev.postoffice.auth;

import dev.postoffice.storage.Quota;
import java.util.Map;

/**
 * A user's {@link Quota}: the server's defaults, overridden by the {@code quota_bytes=} and {@code quota_messages=}
 * extra fields of the user's record (0 for no limit).
 */
public final class QuotaLimits {
    private QuotaLimits() {}

    /** The user's quota; a malformed field is an {@link IllegalArgumentException} naming it. */
    public static Quota of(UserRecord user, Quota defaults) {
        Map<String, String> extra = user.extra();
        return new Quota(field(extra, "quota_bytes", defaults.maxBytes()),
                field(extra, "quota_messages", defaults.maxMessages()), defaults.grace());
    }

    private static long field(Map<String, String> extra, String key, long fallback) {
        String v = extra.get(key);
        if (v == null) {
            return fallback;
        }
        try {
            long n = Long.parseLong(v.trim());
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("invalid " + key + "=" + v + " (a whole number of "
                + (key.equals("quota_bytes") ? "octets" : "messages") + ", 0 for no limit)");
    }
}
