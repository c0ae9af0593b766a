package dev.postoffice.storage;

import java.io.IOException;
import java.io.InputStream;
import java.util.Collection;
import java.util.List;

/** One user's maildrop, opened and locked for a session. Not thread-safe: one session uses it. */
public interface Maildrop extends AutoCloseable {
    /** The messages as they were when the maildrop was opened, oldest first. Never changes. */
    List<StoredMessage> messages();

    /** The message's bytes exactly as stored. The caller closes the stream. */
    InputStream openMessage(StoredMessage message) throws IOException;

    /**
     * Removes the given messages for good (the POP3 UPDATE state). Removes what it can; a message it
     * cannot remove stays intact and is reported in the exception.
     *
     * @throws StorageException if any message could not be removed
     */
    void remove(Collection<StoredMessage> messages) throws StorageException;

    /** Releases the lock. Idempotent; never throws. */
    @Override
    void close();
}
