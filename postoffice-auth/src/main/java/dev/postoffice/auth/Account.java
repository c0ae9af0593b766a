package dev.postoffice.auth;

import dev.postoffice.storage.MailboxRef;
import java.util.Objects;

/**
 * An authenticated user: the canonical name from the user directory, the mailbox a store opens for it, and the
 * user's own policies.
 */
public record Account(String name, MailboxRef mailbox, UserPolicy policy) {
    public Account {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(mailbox, "mailbox");
        Objects.requireNonNull(policy, "policy");
    }
}
