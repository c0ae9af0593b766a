package dev.postoffice.auth;

import java.io.IOException;
import java.util.Optional;

/** Where users and their secrets come from. Implementations must be safe for concurrent use. */
public interface UserDirectory {
    /** Looks a user up by login name (exact match). */
    Optional<UserRecord> find(String name) throws IOException;

    /**
     * Which secret-dependent login methods some user can use; cheap enough to ask on every connection. The
     * default, for directories that cannot enumerate their users, is {@link DirectoryCapabilities#ALL}.
     */
    default DirectoryCapabilities capabilities() throws IOException {
        return DirectoryCapabilities.ALL;
    }
}
