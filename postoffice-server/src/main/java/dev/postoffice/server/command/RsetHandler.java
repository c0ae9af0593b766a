package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.server.session.Session;
import dev.postoffice.server.session.SessionState;
import dev.postoffice.server.session.Transaction;
import java.io.IOException;
import java.util.Set;

/** RSET (RFC 1939 section 5): unmarks every message marked deleted. */
final class RsetHandler implements CommandHandler<Command.Rset> {
    public Set<SessionState> validIn() {
        return Set.of(SessionState.TRANSACTION);
    }

    public void handle(Session session, Command.Rset command) throws IOException {
        Transaction t = session.transaction();
        t.unmarkAll();
        session.out().ok("maildrop has " + t.visibleCount() + " messages (" + t.visibleSize() + " octets)");
    }
}
