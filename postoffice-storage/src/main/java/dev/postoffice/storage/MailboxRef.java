package dev.postoffice.storage;

import java.util.Objects;
import java.util.Optional;

/**
 * Names one user's mailbox for a store, never by a path: the canonical user name and, where the user directory
 * gives one, a backend-specific locator (for Maildir, the user's home directory; the Maildir is then
 * {@code home/Maildir}, as with Postfix's {@code home_mailbox = Maildir/}; without it, the store's default place).
 */
public record MailboxRef(String user, Optional<String> locator) {
    public MailboxRef {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(locator, "locator");
    }

    /** A mailbox at the store's default place for the user. */
    public static MailboxRef of(String user) {
        return new MailboxRef(user, Optional.empty());
    }
}
