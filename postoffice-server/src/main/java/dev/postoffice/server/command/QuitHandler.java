package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.server.session.Session;
import dev.postoffice.server.session.SessionState;
import java.io.IOException;
import java.util.Set;

/** QUIT (RFC 1939 sections 4 and 6): from TRANSACTION it enters the UPDATE state. */
final class QuitHandler implements CommandHandler<Command.Quit> {
    public Set<SessionState> validIn() {
        return Set.of(SessionState.AUTHORIZATION, SessionState.TRANSACTION);
    }

    public void handle(Session session, Command.Quit command) throws IOException {
        session.quit();
    }
}
