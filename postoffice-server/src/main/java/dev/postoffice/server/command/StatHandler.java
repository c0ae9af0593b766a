package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.server.session.Session;
import dev.postoffice.server.session.SessionState;
import dev.postoffice.server.session.Transaction;
import java.io.IOException;
import java.util.Set;

/** STAT (RFC 1939 section 5): count and size of the messages not marked deleted. */
final class StatHandler implements CommandHandler<Command.Stat> {
    public Set<SessionState> validIn() {
        return Set.of(SessionState.TRANSACTION);
    }

    public void handle(Session session, Command.Stat command) throws IOException {
        Transaction t = session.transaction();
        session.out().ok(t.visibleCount() + " " + t.visibleSize());
    }
}
