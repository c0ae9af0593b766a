package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.server.session.Session;
import dev.postoffice.server.session.SessionState;
import java.io.IOException;
import java.util.Set;

/** APOP name digest (RFC 1939 section 7), against the timestamp of this connection's greeting. */
final class ApopHandler implements CommandHandler<Command.Apop> {
    public Set<SessionState> validIn() {
        return Set.of(SessionState.AUTHORIZATION);
    }

    public void handle(Session session, Command.Apop command) throws IOException {
        session.completeLogin(command.name(), "APOP",
                session.auth().checkApop(command.name(), session.apopTimestamp(), command.digest()));
    }
}
