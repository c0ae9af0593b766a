package dev.postoffice.auth;

import java.io.IOException;
import java.util.Optional;

/**
 * Where users and their secrets come from: two questions, so that a SQL table can answer them with one query
 * each. Implementations must be safe for concurrent use.
 */
public interface UserDirectory {
    /** Looks a user up by login name (exact match); e.g. {@code SELECT ... WHERE name = ?}. */
    Optional<UserRecord> find(String name) throws IOException;

    /**
     * Which secret-dependent login methods some user can use, and the per-user EXPIRE figures; asked on every
     * connection, so it must be cheap (a passwd-file computes it when it reads the file; a SQL directory can answer
     * with one aggregate query, or cache it). The default, for directories that cannot tell, is
     * {@link DirectoryCapabilities#ALL}.
     */
    default DirectoryCapabilities capabilities() throws IOException {
        return DirectoryCapabilities.ALL;
    }
}
