package dev.postoffice.auth;

import dev.postoffice.storage.MailboxRef;
import java.nio.file.Path;
import java.util.Optional;

/** The hashing pool the auth tests share, and the service stack the server builds. */
final class TestAuth {
    static final HashExecutor HASHING = new HashExecutor();

    private TestAuth() {}

    /** A verifier with the cache in front, as the server uses it. */
    static LoginCache service(UserDirectory directory) {
        return new LoginCache(new CredentialVerifier(directory, HASHING));
    }

    /** The account of a passwd-file user without extra fields. */
    static Account account(String name, Optional<Path> home) {
        return new Account(name, new MailboxRef(name, home.map(Path::toString)), UserPolicy.SERVER_DEFAULT);
    }
}
