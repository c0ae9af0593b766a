package dev.postoffice.storage;

import dev.postoffice.message.MessageBody;
import java.io.IOException;
import java.time.Instant;
import java.util.Collection;
import java.util.List;

/**
 * One user's maildrop, opened for a POP3 session and holding its lease (RFC 1939's exclusive lock). Not
 * thread-safe: one session uses it ({@link #releaseIdle()} excepted). The message list is the snapshot taken at open and never changes; mail
 * delivered meanwhile appears at the next open.
 */
public interface Maildrop extends AutoCloseable {
    /** The mailbox this is. */
    MailboxRef ref();

    /** The messages as they were when the maildrop was opened, oldest first. */
    List<StoredMessage> messages();

    /**
     * A message's body, to be streamed by RETR or TOP.
     *
     * @throws IOException if the message cannot be read now (other software removed it, an I/O error)
     */
    MessageBody body(StoredMessage message) throws IOException;

    /** LOGIN-DELAY and EXPIRE history kept with this maildrop (RFC 2449). */
    RetrievalHistory history();

    /**
     * The POP3 UPDATE state in one call, fenced by the lease: removes {@code deletions} for good and records
     * {@code retrieved} (RFC 2449 EXPIRE counts from a message's first retrieval) at {@code now}. Deletes
     * nothing unless the lease is still held. Removes what it can; a message it cannot remove stays intact and
     * is named in the exception. May be called more than once (EXPIRE at login, then UPDATE).
     *
     * @throws LeaseLostException if the lease was lost (another session may hold the maildrop); nothing was removed
     * @throws StorageException   if a message could not be removed
     */
    void commit(Collection<StoredMessage> deletions, Collection<StoredMessage> retrieved, Instant now)
            throws LeaseLostException, StorageException;

    /**
     * QUIT's UPDATE: {@link #commit} with the same guarantees, then {@link #close()}, whatever the outcome. A store
     * may release the lease in UPDATE's own transaction (PostgreSQL: one round trip for both).
     *
     * @throws LeaseLostException if the lease was lost; nothing was removed
     * @throws StorageException   if a message could not be removed
     */
    default void commitAndClose(Collection<StoredMessage> deletions, Collection<StoredMessage> retrieved,
            Instant now) throws LeaseLostException, StorageException {
        try {
            commit(deletions, retrieved, now);
        } finally {
            close();
        }
    }

    /**
     * Closes what the maildrop keeps open between operations (Maildir: the directory handles a RETR keeps for the
     * next one), unless an operation is using it; the next operation opens it again. Any thread may call this: the
     * server's watchdog does for sessions waiting for their client, so that idle sessions hold no descriptor.
     * Never throws.
     */
    default void releaseIdle() {}

    /** Releases the lease. Idempotent; never throws. */
    @Override
    void close();
}
