package dev.postoffice.auth;

import java.io.IOException;
import java.util.List;

/**
 * A user directory the command line can edit ({@code postoffice user add|passwd|del|list}): the passwd-file, or a
 * SQL table with the same fields.
 */
public interface EditableUserDirectory extends UserDirectory {
    /** Every user, in the directory's order. */
    List<UserRecord> list() throws IOException;

    /**
     * Adds a user with a secret ({@code {SCHEME}data}).
     *
     * @throws IllegalArgumentException if the name or secret is invalid
     * @throws UserExistsException      if the user exists
     */
    void add(String name, String secret) throws IOException;

    /**
     * Replaces a user's secret, keeping every other field.
     *
     * @throws NoSuchUserException if there is no such user
     */
    void setSecret(String name, String secret) throws IOException;

    /**
     * Removes a user (the mail stays).
     *
     * @throws NoSuchUserException if there is no such user
     */
    void remove(String name) throws IOException;

    /** Where the users are, for messages: a file name, a database URL without its password. */
    String describe();
}
