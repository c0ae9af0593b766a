package dev.postoffice.server.command;

import dev.postoffice.protocol.ResponseWriter;
import dev.postoffice.server.session.Session;
import dev.postoffice.server.session.Transaction;
import dev.postoffice.storage.StoredMessage;
import java.io.IOException;
import java.util.OptionalInt;
import java.util.function.Function;

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

    /**
     * The shape LIST and UIDL share (RFC 1939 sections 5 and 7): with a number, one {@code +OK n value}
     * line; without, {@code +OK header} and a {@code n value} line for every message not marked deleted.
     */
    static void listing(Session session, OptionalInt number, String header, Function<StoredMessage, String> value)
            throws IOException {
        ResponseWriter out = session.out();
        if (number.isPresent()) {
            int n = number.getAsInt();
            StoredMessage m = resolve(session, n);
            if (m != null) {
                out.ok(n + " " + value.apply(m));
            }
            return;
        }
        Transaction t = session.transaction();
        out.ok(header);
        for (int n = 1; n <= t.size(); n++) {
            StoredMessage m = t.visible(n);
            if (m != null) {
                out.line(n + " " + value.apply(m));
            }
        }
        out.end();
    }
}
