package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.server.session.Session;
import dev.postoffice.server.session.SessionState;
import java.io.IOException;
import java.util.Set;

/** STLS (RFC 2595 section 4): only before login and only once. */
final class StlsHandler implements CommandHandler<Command.Stls> {
    public Set<SessionState> validIn() {
        return Set.of(SessionState.AUTHORIZATION);
    }

    public void handle(Session session, Command.Stls command) throws IOException {
        if (session.secure()) {
            session.out().err("already using TLS");
            return;
        }
        if (!session.stlsPossible()) {
            session.out().err("TLS is not available on this server");
            return;
        }
        session.out().ok("Begin TLS negotiation");
        session.startTls();
    }
}
