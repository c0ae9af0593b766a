package dev.postoffice.storage;

/**
 * A session's exclusive hold on one maildrop (RFC 1939 section 8): a Maildir dot-lock, a database row with a
 * fencing token. Backends use it to fence UPDATE.
 */
public interface Lease extends AutoCloseable {
    /**
     * Confirms the lease is still this session's, right before a destructive step.
     *
     * @throws LeaseLostException if it is not
     */
    void verify() throws LeaseLostException;

    /** Releases the lease. Idempotent; never throws. */
    @Override
    void close();
}
