package dev.postoffice.auth;

import dev.postoffice.storage.MailboxRef;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One user as a user directory stores it: the stored secret and the account a login gives.
 *
 * @param secret  the stored secret with its scheme prefix, e.g. {@code {ARGON2ID}$argon2id$v=19$...}
 * @param account the user's name, mailbox and policies, parsed when the directory was read
 * @param extra   Dovecot extra fields ({@code key=value}), in file order; empty for directories without them
 */
public record UserRecord(String secret, Account account, Map<String, String> extra) {
    public UserRecord {
        Objects.requireNonNull(secret, "secret");
        Objects.requireNonNull(account, "account");
        extra = Collections.unmodifiableMap(new LinkedHashMap<>(extra));
    }

    /**
     * The fields of a passwd-file line: the home directory becomes the mailbox locator, the {@code expire=} extra
     * field the EXPIRE policy.
     */
    public UserRecord(String name, String secret, Optional<Path> home, Map<String, String> extra) {
        this(secret, new Account(name, new MailboxRef(name, home.map(Path::toString)), UserPolicy.ofExtraFields(extra)),
                extra);
    }

    /** The login name, possibly {@code local@domain}. */
    public String name() {
        return account.name();
    }

    /** The home directory, which a passwd-file stores as the mailbox locator. */
    public Optional<Path> home() {
        return account.mailbox().locator().map(Path::of);
    }
}
