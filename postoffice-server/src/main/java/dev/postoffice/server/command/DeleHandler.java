package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.server.session.Session;
import dev.postoffice.server.session.SessionState;
import java.io.IOException;
import java.util.Set;

/** DELE msg (RFC 1939 section 5): marks the message; it is removed only in the UPDATE state. */
final class DeleHandler implements CommandHandler<Command.Dele> {
    public Set<SessionState> validIn() {
        return Set.of(SessionState.TRANSACTION);
    }

    public void handle(Session session, Command.Dele command) throws IOException {
        int n = command.message();
        if (Messages.resolve(session, n) != null) {
            session.transaction().markDeleted(n);
            session.out().ok("message " + n + " deleted");
        }
    }
}
