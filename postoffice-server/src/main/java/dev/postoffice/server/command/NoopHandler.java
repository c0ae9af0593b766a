package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.server.session.Session;
import dev.postoffice.server.session.SessionState;
import java.io.IOException;
import java.util.Set;

/** NOOP (RFC 1939 section 5). */
final class NoopHandler implements CommandHandler<Command.Noop> {
    public Set<SessionState> validIn() {
        return Set.of(SessionState.TRANSACTION);
    }

    public void handle(Session session, Command.Noop command) throws IOException {
        session.out().ok(null);
    }
}
