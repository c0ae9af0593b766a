package dev.postoffice.auth;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * An authenticated user: the canonical name from the user directory and, when the directory names one,
 * the user's home directory (the Maildir then lives at {@code home/Maildir}, as with Postfix's
 * {@code home_mailbox = Maildir/}), and the directory's extra fields (Dovecot's {@code key=value}).
 */
public record Account(String name, Optional<Path> home, Map<String, String> extra) {
    public Account {
        extra = Map.copyOf(extra);
    }

    /** An account without extra fields. */
    public Account(String name, Optional<Path> home) {
        this(name, home, Map.of());
    }

    /**
     * The user's RFC 2449 EXPIRE policy from the {@code expire=} extra field: days, or {@code never};
     * empty when the field is absent or not one of those.
     */
    public Optional<Optional<Integer>> expireDays() {
        return parseExpire(extra.get("expire"));
    }

    /** {@code never} is {@code Optional.of(Optional.empty())}; a number of days is {@code Optional.of(Optional.of(n))}. */
    static Optional<Optional<Integer>> parseExpire(String value) {
        if (value == null) {
            return Optional.empty();
        }
        if (value.equalsIgnoreCase("never")) {
            return Optional.of(Optional.empty());
        }
        try {
            int days = Integer.parseInt(value.trim());
            return days < 0 ? Optional.empty() : Optional.of(Optional.of(days));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
