package dev.postoffice.lmtp;

import dev.postoffice.auth.QuotaLimits;
import dev.postoffice.auth.UserDirectory;
import dev.postoffice.auth.UserRecord;
import dev.postoffice.storage.MailboxRef;
import dev.postoffice.storage.Quota;
import java.io.IOException;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Finds the user an LMTP recipient names: {@code user}, {@code user@domain} or {@code user+detail@domain} (the
 * detail dropped at the first delimiter), looked up as {@code local@domain} first, then as {@code local}, each as
 * given and then in lower case.
 */
final class Recipients {
    /** A recipient that names a user: its mailbox and quota. */
    record Resolved(String user, MailboxRef mailbox, Quota quota) {}

    private final UserDirectory users;
    private final String delimiter;
    private final Quota defaults;

    Recipients(UserDirectory users, String delimiter, Quota defaults) {
        this.users = users;
        this.delimiter = delimiter;
        this.defaults = defaults;
    }

    /**
     * The user, or empty for an unknown one.
     *
     * @throws IOException if the directory cannot be read (a temporary failure)
     */
    Optional<Resolved> resolve(Address address) throws IOException {
        String local = address.localPart();
        if (!delimiter.isEmpty()) {
            int d = local.indexOf(delimiter);
            if (d > 0) {
                local = local.substring(0, d);
            }
        }
        if (local.isEmpty()) {
            return Optional.empty();
        }
        Set<String> candidates = new LinkedHashSet<>();
        String domain = address.domain();
        if (!domain.isEmpty()) {
            candidates.add(local + "@" + domain);
            candidates.add(local.toLowerCase(Locale.ROOT) + "@" + domain);
        }
        candidates.add(local);
        candidates.add(local.toLowerCase(Locale.ROOT));
        for (String name : candidates) {
            Optional<UserRecord> found = users.find(name);
            if (found.isPresent()) {
                UserRecord r = found.get();
                Quota quota;
                try {
                    quota = QuotaLimits.of(r, defaults);
                } catch (IllegalArgumentException e) {
                    throw new IOException("user " + r.name() + ": " + e.getMessage(), e);
                }
                return Optional.of(new Resolved(r.name(), r.account().mailbox(), quota));
            }
        }
        return Optional.empty();
    }
}
