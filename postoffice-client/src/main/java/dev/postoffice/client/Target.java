package dev.postoffice.client;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Where fetched messages go. A delivery streams one message into a place nobody reads yet and then
 * {@link Delivery#commit commits} it (durable on return, or durable at the next {@link #sync}); the fetcher
 * records the message in the state journal only after {@link #sync}, and deletes it on the server only after that.
 */
public interface Target extends AutoCloseable {
    /** Whether this target wants LF line ends (the Unix convention) rather than the wire's CRLF. */
    boolean lineFeeds();

    /**
     * Whether the message with this key is already in place: delivered by a run that crashed before its journal
     * write. Targets that cannot tell return false.
     */
    boolean holds(String key) throws IOException;

    /** Starts delivering the message with this key. */
    Delivery begin(String key) throws IOException;

    /** Makes every committed delivery durable. */
    void sync() throws IOException;

    /** Everything synced so far is in the state journal: bookkeeping kept for {@link #holds} may go. */
    default void recorded() throws IOException {}

    @Override
    void close() throws IOException;

    /** One message on its way in. */
    interface Delivery {
        OutputStream stream();

        /** The message is complete: put it in place. */
        void commit() throws IOException;

        /** The message is incomplete: throw it away. */
        void abort();
    }
}
