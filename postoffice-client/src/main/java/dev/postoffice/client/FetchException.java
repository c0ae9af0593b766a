package dev.postoffice.client;

/**
 * A fetch that could not be completed. {@link #temporary()} tells a cron job whether trying again later may
 * work (network trouble, a busy maildrop, a server's {@code [SYS/TEMP]}, another fetch holding the lock) or not
 * (wrong password, a certificate that does not verify, an unusable target). Nothing is lost either way: what was
 * delivered is in the state, and the rest stays on the server.
 */
public final class FetchException extends Exception {
    private static final long serialVersionUID = 1L;
    private final boolean temporary;

    public FetchException(boolean temporary, String message) {
        super(message);
        this.temporary = temporary;
    }

    public FetchException(boolean temporary, String message, Throwable cause) {
        super(message, cause);
        this.temporary = temporary;
    }

    public boolean temporary() {
        return temporary;
    }
}
