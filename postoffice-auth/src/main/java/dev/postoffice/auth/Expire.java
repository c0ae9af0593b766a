package dev.postoffice.auth;

import java.util.Optional;

/** A user's RFC 2449 EXPIRE policy: the server's, never, or a number of days after first retrieval. */
public sealed interface Expire {
    /** No policy of the user's own: the server's applies. */
    record ServerDefault() implements Expire {}

    /** Messages are never removed for age. */
    record Never() implements Expire {}

    /** Messages are removed {@code days} days after they were first retrieved (0: at the end of that session). */
    record Days(int days) implements Expire {
        public Days {
            if (days < 0) {
                throw new IllegalArgumentException("EXPIRE days must not be negative: " + days);
            }
        }
    }

    /**
     * The policy in effect given the server's: days, or empty for never.
     *
     * @param serverDays the server's policy, empty for never
     */
    default Optional<Integer> days(Optional<Integer> serverDays) {
        return switch (this) {
            case ServerDefault d -> serverDays;
            case Never n -> Optional.empty();
            case Days d -> Optional.of(d.days());
        };
    }

    /**
     * Parses an {@code expire=} value: a number of days (surrounding blanks allowed) or {@code never} (any case);
     * absent (null), negative or anything else is {@link ServerDefault}.
     */
    static Expire parse(String value) {
        if (value == null) {
            return new ServerDefault();
        }
        if (value.equalsIgnoreCase("never")) {
            return new Never();
        }
        try {
            int days = Integer.parseInt(value.trim());
            return days < 0 ? new ServerDefault() : new Days(days);
        } catch (NumberFormatException e) {
            return new ServerDefault();
        }
    }
}
