package dev.postoffice.storage;

/**
 * The session's lease on its maildrop was lost (its lock was broken as stale, a database lease expired), so
 * another session may hold the maildrop now: nothing may be removed. Temporary.
 */
public class LeaseLostException extends StorageException {
    public LeaseLostException(String message) {
        super(message, true);
    }
}
