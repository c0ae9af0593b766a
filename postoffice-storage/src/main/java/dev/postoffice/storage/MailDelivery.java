package dev.postoffice.storage;

import java.io.InputStream;

/**
 * Puts mail into maildrops: {@code deliver}, the LMTP listener, migration. A delivery takes no lease and never
 * waits for a POP3 session; it is atomic (the message is visible whole or not at all) and durable when it
 * returns.
 */
public interface MailDelivery {
    /**
     * Stores one message read from {@code message} (any line ends; a missing final line break is added).
     *
     * @throws StorageException permanent for an unusable message (empty) or mailbox name; temporary for trouble
     *                          that may pass (disk full, I/O error), after removing anything partly written
     */
    DeliveryResult deliver(MailboxRef ref, Envelope envelope, InputStream message) throws StorageException;
}
