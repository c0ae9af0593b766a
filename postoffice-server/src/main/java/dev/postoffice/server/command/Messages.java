package dev.postoffice.server.command;

import dev.postoffice.server.session.Session;
import dev.postoffice.storage.StoredMessage;
import java.io.IOException;

/** Resolving a message number for the commands that take one. */
final class Messages {
    private Messages() {}

    /** The message, or null after answering {@code -ERR} for a missing or deleted one. */
    static StoredMessage resolve(Session session, int number) throws IOException {
        StoredMessage m = session.transaction().visible(number);
        if (m == null) {
            session.out().err(session.transaction().isDeleted(number)
                    ? "message " + number + " already deleted"
                    : "no such message");
        }
        return m;
    }
}
