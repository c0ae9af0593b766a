package dev.postoffice.storage;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where maildrops live. The server reaches storage only through this interface and {@link Maildrop};
 * the Maildir backend is the embedded default.
 */
public interface MaildropStore {
    /**
     * Opens a user's maildrop for a POP3 session and takes its exclusive lock (RFC 1939 section 8).
     * The message list is fixed at this moment: mail delivered later appears in the next session.
     *
     * @param user the canonical user name
     * @param home the user's home directory from the user directory, if it names one
     * @throws MaildropBusyException if another session (in this process or another) holds the lock
     * @throws StorageException      if the maildrop cannot be read
     */
    Maildrop open(String user, Optional<Path> home) throws MaildropBusyException, StorageException;

    /**
     * Stores one message atomically (temporary file, fsync, rename) and returns its storage id.
     * Delivery never waits for the POP3 lock.
     */
    String deliver(String user, Optional<Path> home, InputStream message) throws StorageException;
}
