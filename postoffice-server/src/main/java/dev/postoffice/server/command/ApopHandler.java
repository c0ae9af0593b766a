package dev.postoffice.server.command;

import dev.postoffice.protocol.Command;
import dev.postoffice.server.session.Session;
import dev.postoffice.server.session.SessionState;
import java.io.IOException;
import java.util.Set;

/**
 * APOP name digest (RFC 1939 section 7), against the timestamp of this connection's greeting. Offered
 * only when some user's stored secret allows it; the greeting then carries the timestamp.
 */
final class ApopHandler implements CommandHandler<Command.Apop> {
    public Set<SessionState> validIn() {
        return Set.of(SessionState.AUTHORIZATION);
    }

    public void handle(Session session, Command.Apop command) throws IOException {
        String timestamp = session.apopTimestamp();
        if (timestamp == null) {
            session.out().err("APOP is not available on this server");
            return;
        }
        String user = session.canonicalName(command.name());
        session.completeLogin(user, "APOP", session.context().auth().checkApop(user, timestamp, command.digest()));
    }
}
