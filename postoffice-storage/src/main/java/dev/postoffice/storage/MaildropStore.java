package dev.postoffice.storage;

/**
 * Where maildrops live. The server reaches stored mail only through this interface, {@link Maildrop} and
 * {@link MailDelivery}; Maildir is the embedded default, memory and (later) PostgreSQL implement the same
 * contract (the testkit's {@code MaildropStoreContract}).
 */
public interface MaildropStore {
    /**
     * Opens a user's maildrop for a POP3 session and takes its lease (RFC 1939 section 8). The message list is
     * fixed at this moment: mail delivered later appears in the next session.
     *
     * @throws MaildropBusyException if another session (in this process or another) holds the lease
     * @throws StorageException      if the maildrop cannot be read
     */
    Maildrop open(MailboxRef ref) throws MaildropBusyException, StorageException;
}
