package dev.postoffice.storage;

import java.io.InputStream;

/**
 * Puts mail into maildrops: {@code deliver}, the LMTP listener, migration. A delivery takes no lease and never
 * waits for a POP3 session; it is atomic (the message is visible whole or not at all) and durable when it
 * returns. The store keeps each maildrop's {@link Usage} exact through deliveries and UPDATE, without listing the
 * maildrop each time, so quotas cost nothing per delivery.
 */
public interface MailDelivery {
    /** Stores one message without a quota (see {@link #deliver(MailboxRef, Envelope, InputStream, Quota)}). */
    default DeliveryResult deliver(MailboxRef ref, Envelope envelope, InputStream message) throws StorageException {
        return deliver(ref, envelope, message, Quota.NONE);
    }

    /**
     * Stores one message read from {@code message} (any line ends; a missing final line break is added), if the
     * maildrop's usage with it stays within {@code quota}; the check and the update of the usage are atomic with
     * respect to other deliveries to the same maildrop.
     *
     * @throws QuotaExceededException if the quota does not admit the message; nothing was stored
     * @throws StorageException permanent for an unusable message (empty) or mailbox name; temporary for trouble
     *                          that may pass (disk full, I/O error), after removing anything partly written
     */
    DeliveryResult deliver(MailboxRef ref, Envelope envelope, InputStream message, Quota quota)
            throws StorageException;

    /** What the maildrop holds now (zero for one that does not exist yet). */
    Usage usage(MailboxRef ref) throws StorageException;
}
