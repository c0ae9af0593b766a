package dev.postoffice.auth;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * One user as a user directory stores it.
 *
 * @param name   the login name, possibly {@code local@domain}
 * @param secret the stored secret with its scheme prefix, e.g. {@code {ARGON2ID}$argon2id$v=19$...}
 * @param home   the home directory field, if set
 * @param extra  Dovecot extra fields ({@code key=value}), in file order
 */
public record UserRecord(String name, String secret, Optional<Path> home, Map<String, String> extra) {
    public Account account() {
        return new Account(name, home, extra);
    }
}
