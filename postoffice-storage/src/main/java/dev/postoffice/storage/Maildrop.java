package dev.postoffice.storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/** One user's maildrop, opened and locked for a session. Not thread-safe: one session uses it. */
public interface Maildrop extends AutoCloseable {
    /** The messages as they were when the maildrop was opened, oldest first. Never changes. */
    List<StoredMessage> messages();

    /** The message's bytes exactly as stored. The caller closes the stream. */
    InputStream openMessage(StoredMessage message) throws IOException;

    /**
     * A message stored in canonical form: CRLF line ends, ending with one, exactly {@link StoredMessage#size()}
     * octets.
     *
     * @param file     the message file; the caller closes it
     * @param dotLines whether a line starts with '.', which RETR must byte-stuff; without such lines the file
     *                 is exactly what RETR sends before the terminating line and can go to the peer unchanged,
     *                 without passing through the JVM
     */
    record CanonicalFile(FileChannel file, boolean dotLines) {}

    /**
     * The message as a {@link CanonicalFile}, if it is stored so. Empty when the stored form needs converting
     * or the backend cannot tell; the caller then uses {@link #openMessage}.
     */
    default Optional<CanonicalFile> openCanonical(StoredMessage message) throws IOException {
        return Optional.empty();
    }

    /**
     * Removes the given messages for good (the POP3 UPDATE state). Removes what it can; a message it
     * cannot remove stays intact and is reported in the exception.
     *
     * @throws StorageException if any message could not be removed
     */
    void remove(Collection<StoredMessage> messages) throws StorageException;

    /**
     * When a message was first retrieved in an earlier session, as recorded by {@link #recordRetrieved}
     * (RFC 2449 EXPIRE counts from there).
     */
    Optional<Instant> firstRetrieved(StoredMessage message);

    /**
     * Records that the messages were retrieved at {@code when}; a message keeps its first time. Kept with
     * the maildrop, so it survives restarts.
     */
    void recordRetrieved(Collection<StoredMessage> messages, Instant when) throws StorageException;

    /**
     * When the previous login recorded with {@link #recordLogin} happened, if one was (RFC 2449 LOGIN-DELAY).
     * Kept with the maildrop, so it survives restarts and is shared by servers on the same storage.
     */
    Optional<Instant> lastLogin();

    /** Records a login at {@code when}, replacing the previous one. */
    void recordLogin(Instant when) throws StorageException;

    /** Releases the lock. Idempotent; never throws. */
    @Override
    void close();
}
