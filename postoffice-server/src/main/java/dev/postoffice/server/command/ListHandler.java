package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.server.session.Session;
import dev.postoffice.server.session.SessionState;
import dev.postoffice.server.session.Transaction;
import java.io.IOException;
import java.util.Set;

/** LIST [msg] (RFC 1939 section 5): sizes of messages not marked deleted. */
final class ListHandler implements CommandHandler<Command.List> {
    public Set<SessionState> validIn() {
        return Set.of(SessionState.TRANSACTION);
    }

    public void handle(Session session, Command.List command) throws IOException {
        Transaction t = session.transaction();
        Messages.listing(session, command.message(),
                t.visibleCount() + " messages (" + t.visibleSize() + " octets)", m -> String.valueOf(m.size()));
    }
}
