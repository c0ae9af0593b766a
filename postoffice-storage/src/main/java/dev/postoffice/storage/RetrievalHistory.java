package dev.postoffice.storage;

import java.time.Instant;
import java.util.Collection;
import java.util.Optional;

/**
 * What RFC 2449's LOGIN-DELAY and EXPIRE need remembered with a maildrop, across restarts and by every server on
 * the same storage. Part of an open {@link Maildrop}.
 */
public interface RetrievalHistory {
    /** When the message was first retrieved in an earlier session, if it was. */
    Optional<Instant> firstRetrieved(StoredMessage message);

    /** Records that messages were retrieved at {@code when}; a message keeps its first time. */
    void recordRetrieved(Collection<StoredMessage> messages, Instant when) throws StorageException;

    /** When the previous recorded login happened, if one was. */
    Optional<Instant> lastLogin();

    /** Records a login at {@code when}, replacing the previous one. */
    void recordLogin(Instant when) throws StorageException;
}
